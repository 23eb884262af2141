/**
 * The ⋯ menu on a catalog entry: "Restore from it…" opens the restore form with that backup picked; "Delete it…"
 * opens the delete confirmation. Each is checked like its slash command (actions `restore`, `delete`). The restore
 * button (or menu) on a backup's reply carries the same values and is handled here too.
 */
import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  OverflowAction,
  SlackActionMiddlewareArgs,
  StaticSelectAction,
} from '@slack/bolt';
import { catalogEntryAction } from '../blocks/catalog-messages.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import { openDeleteConfirmation } from '../commands/delete.js';
import { openRestoreForm } from '../commands/restore.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<OverflowAction | ButtonAction | StaticSelectAction>> &
  AllMiddlewareArgs;

export function catalogEntry(services: Services) {
  return async ({ ack, body, action, client, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    const chosen = catalogEntryAction(action.type === 'button' ? action.value : action.selected_option?.value);
    if (!chosen) return;
    const actor = actorOf(body);
    const channelId = channelOf(body);
    await afterAck(logger, respond, async () => {
      const { decision, auditId } =
        chosen.kind === 'restore'
          ? await services.restores.authorizeOpen(actor, channelId, chosen.backupFileId)
          : await services.deletions.authorizeOpen(actor, channelId, [chosen.backupFileId]);
      if (!decision.allowed) {
        await respond({ ...ephemeral(permissionDeniedMessage(decision)), replace_original: false });
        return;
      }
      if (chosen.kind === 'restore') {
        await openRestoreForm(services, client, {
          triggerId: body.trigger_id,
          actor,
          channelId,
          backupFileId: chosen.backupFileId,
          auditId,
        });
      } else {
        await openDeleteConfirmation(services, client, {
          triggerId: body.trigger_id,
          actor,
          channelId,
          backupFileIds: [chosen.backupFileId],
          auditId,
        });
      }
    });
  };
}
