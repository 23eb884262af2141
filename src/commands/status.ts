/**
 * `/cloudphone status [request id | task id | instance id | cloud RequestId]`: what the bot recorded, refreshed from
 * the cloud. Resolving the target and the permission check (action `status`, for the instances it touches) are local
 * and run before the ack, which shows a loading line; the refresh asks the cloud and replaces that line through the
 * response_url.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { permissionDeniedMessage } from '../blocks/messages.js';
import { statusLoadingMessage, statusMessage } from '../blocks/status-messages.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { ackLoadingThenAnswer, ephemeral } from '../slack/listener-helpers.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function statusCommand(
  services: Services,
  { command, ack, respond, logger }: CommandArgs,
  actor: Actor,
  text: string | undefined,
): Promise<void> {
  const target = services.status.resolve(text);
  const { decision, auditId } = await services.status.authorize(actor, command.channel_id, target, text);
  if (!decision.allowed) return ack(ephemeral(permissionDeniedMessage(decision)));
  await ackLoadingThenAnswer({ ack, respond, logger }, statusLoadingMessage(), async () =>
    statusMessage(await services.status.report(actor, target, auditId, command.channel_id)),
  );
}
