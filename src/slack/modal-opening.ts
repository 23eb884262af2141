/**
 * How a `/cloudphone` subcommand opens a modal whose content needs the cloud: the permission check and the ack (a
 * denial answers ephemerally), then, after the ack, a loading view at once (a trigger_id lives 3 seconds and is
 * single use), replaced by the real content once it is built.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { AccessDecision } from '../services/access/permissions.js';
import { afterAck, ephemeral } from './listener-helpers.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/**
 * Asks `authorize` before the ack; when allowed, acks and runs `open` with the audit entry of the decision after it
 * (a failure there reaches the person as a reference id).
 */
export async function openAfterPermission(
  { ack, respond, logger }: Pick<CommandArgs, 'ack' | 'respond' | 'logger'>,
  authorize: () => Promise<{ decision: AccessDecision; auditId?: number | undefined }>,
  open: (auditId: number | undefined) => Promise<void>,
): Promise<void> {
  const { decision, auditId } = await authorize();
  if (!decision.allowed) return ack(ephemeral(permissionDeniedMessage(decision)));
  await ack();
  await afterAck(logger, respond, () => open(auditId));
}

/**
 * Opens `loading` now, once acks waiting for Slack have gone (`afterAcks`), then replaces it with the view `fill`
 * builds for that modal's id. Nothing is filled in when Slack did not open the modal.
 */
export async function openLoadingThenFill(
  client: WebClient,
  input: { triggerId: string; afterAcks: () => Promise<void>; loading: ModalView },
  fill: (viewId: string) => Promise<ModalView>,
): Promise<void> {
  await input.afterAcks();
  const opened = await client.views.open({ trigger_id: input.triggerId, view: input.loading });
  const viewId = opened.view?.id;
  if (!viewId) return;
  const view = await fill(viewId);
  await client.views.update({ view_id: viewId, ...(opened.view?.hash ? { hash: opened.view.hash } : {}), view });
}
