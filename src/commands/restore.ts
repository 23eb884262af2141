/**
 * `/cloudphone restore [bf-…]` (and "Restore from it…" in the catalog): the permission check, the ack, then at once a
 * modal (a trigger_id lives 3 seconds), which is filled in with the catalog's backups once the cloud has answered.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { permissionDeniedMessage } from '../blocks/messages.js';
import { buildRestoreForm, restoreLoadingView } from '../blocks/restore-modal.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { afterAck, ephemeral } from '../slack/listener-helpers.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function restoreCommand(
  services: Services,
  { command, ack, client, respond, logger }: CommandArgs,
  actor: Actor,
  backupFileId: string | undefined,
): Promise<void> {
  const { decision, auditId } = await services.restores.authorizeOpen(actor, command.channel_id, backupFileId);
  if (!decision.allowed) return ack(ephemeral(permissionDeniedMessage(decision.reason)));
  await ack();
  await afterAck(logger, respond, () =>
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
  },
): Promise<void> {
  await services.afterAcks();
  const opened = await client.views.open({ trigger_id: input.triggerId, view: restoreLoadingView(services.simulated) });
  const viewId = opened.view?.id;
  if (!viewId) return;
  const choices = await services.restores.formChoices(
    { actor: input.actor, channelId: input.channelId },
    input.auditId,
  );
  await client.views.update({
    view_id: viewId,
    ...(opened.view?.hash ? { hash: opened.view.hash } : {}),
    view: buildRestoreForm({
      backups: choices.backups,
      selected: input.backupFileId,
      cloudError: choices.cloudError,
      privateMetadata: JSON.stringify({ channelId: input.channelId }),
      simulated: services.simulated,
    }),
  });
}
