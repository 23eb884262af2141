/**
 * `/cloudphone restore [bf-…]` (and "Restore from it…" in the catalog): the permission check, the ack, then at once a
 * modal (a trigger_id lives 3 seconds), which is filled in with the catalog's backups once the cloud has answered.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { buildRestoreForm, restoreLoadingView, unknownBackupView } from '../blocks/restore-modal.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { openAfterPermission, openLoadingThenFill } from '../slack/modal-opening.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function restoreCommand(
  services: Services,
  args: CommandArgs,
  actor: Actor,
  backupFileId: string | undefined,
): Promise<void> {
  const { command, client } = args;
  await openAfterPermission(
    args,
    () => services.restores.authorizeOpen(actor, command.channel_id, backupFileId),
    (auditId) =>
      openRestoreForm(services, client, {
        triggerId: command.trigger_id,
        actor,
        channelId: command.channel_id,
        backupFileId,
        auditId,
      }),
  );
}

/** Opens the loading view now (the trigger expires), then replaces it with the form. Call after the ack. */
export async function openRestoreForm(
  services: Services,
  client: WebClient,
  input: {
    triggerId: string;
    actor: Actor;
    channelId: string;
    backupFileId?: string | undefined;
    auditId?: number | undefined;
    /** "Retry failed…": the failed targets filled in, and the restore they failed in, linked once confirmed. */
    retry?: { targetIds: readonly string[]; of: string } | undefined;
  },
): Promise<void> {
  // The form's target picker and typed names read the fleet listing: start it while the person reads the form.
  services.warmInstanceList();
  const loading = restoreLoadingView(services.simulated);
  await openLoadingThenFill(
    client,
    { triggerId: input.triggerId, afterAcks: services.afterAcks, loading },
    async () => {
      const choices = await services.restores.formChoices(
        { actor: input.actor, channelId: input.channelId },
        input.auditId,
        input.backupFileId,
      );
      if (choices.selectedMissing) return unknownBackupView(input.backupFileId ?? '', services.simulated);
      return buildRestoreForm({
        backups: choices.backups,
        selected: input.backupFileId,
        targets: input.retry?.targetIds,
        cloudError: choices.cloudError,
        privateMetadata: JSON.stringify({ channelId: input.channelId, retryOf: input.retry?.of }),
        simulated: services.simulated,
      });
    },
  );
}
