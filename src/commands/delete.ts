/**
 * `/cloudphone delete bf-…` (and "Delete it…" in the catalog): the permission check (action `delete`), the ack, then
 * at once a modal, filled in with the confirmation once the backups are looked up.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { cloudProblemView } from '../blocks/common.js';
import { buildDeleteConfirm, deleteLoadingView } from '../blocks/delete-modal.js';
import { CALLBACK } from '../blocks/ids.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { openAfterPermission, openLoadingThenFill } from '../slack/modal-opening.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function deleteCommand(
  services: Services,
  args: CommandArgs,
  actor: Actor,
  backupFileIds: string[],
): Promise<void> {
  const { command, client } = args;
  await openAfterPermission(
    args,
    () => services.deletions.authorizeOpen(actor, command.channel_id, backupFileIds),
    (auditId) =>
      openDeleteConfirmation(services, client, {
        triggerId: command.trigger_id,
        actor,
        channelId: command.channel_id,
        backupFileIds,
        auditId,
      }),
  );
}

/** Opens the loading view now (the trigger expires), then replaces it with the confirmation. Call after the ack. */
export async function openDeleteConfirmation(
  services: Services,
  client: WebClient,
  input: { triggerId: string; actor: Actor; channelId: string; backupFileIds: string[]; auditId?: number | undefined },
): Promise<void> {
  const loading = deleteLoadingView(input.backupFileIds.length, services.simulated);
  await openLoadingThenFill(
    client,
    { triggerId: input.triggerId, afterAcks: services.afterAcks, loading },
    async (viewId) => {
      const result = await services.deletions.plan({
        actor: input.actor,
        channelId: input.channelId,
        backupFileIds: input.backupFileIds,
        planKey: `view:${viewId}`,
        auditId: input.auditId,
      });
      return result.ok
        ? buildDeleteConfirm(result.plan, { simulated: services.simulated })
        : cloudProblemView(CALLBACK.deleteNotice, 'Delete backups', 'look the backups up', result.failure);
    },
  );
}
