/**
 * The "Retry failed backups" confirmation, submitted: checked again (the permission may have changed since it
 * opened), recorded as a new request before the ack, then linked from the first request's thread.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { RetryMetadata, retryLinkText } from '../blocks/backup-messages.js';
import { noticeView } from '../blocks/common.js';
import { CALLBACK } from '../blocks/ids.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { Services } from '../services/index.js';
import { actorOf, parseMetadata } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

const notice = (text: string) => ({
  response_action: 'update' as const,
  view: noticeView({ callbackId: CALLBACK.backupRetryNotice, title: 'Retry failed backups', text }),
});

export function backupRetried(services: Services) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const metadata = parseMetadata(RetryMetadata, view.private_metadata);
    const spec = metadata && services.backups.retrySpec(metadata.r);
    if (!metadata || !spec) return ack(notice('There is nothing to retry any more.'));
    const actor = actorOf(body);
    const channelId = metadata.c;
    const pending = await services.backups.authorize(actor, spec, channelId);
    if (!pending.decision.allowed) {
      pending.record();
      return ack(notice(`🔒 ${permissionDeniedMessage(pending.decision).text}`));
    }
    const { requestId, created } = await services.backups.submit({
      spec,
      actor,
      origin: { channelId },
      // The same confirmation submitted twice carries the same view id: one retry.
      idempotencyKey: `retry:${view.id}`,
      decision: pending,
    });
    await ack();
    const parent = services.backups.get(metadata.r)?.parent;
    if (!created || !parent) return;
    const text = retryLinkText({ userId: actor.userId, instances: spec.instanceIds.length, newRequestId: requestId });
    await client.chat
      .postMessage({ channel: parent.channel, thread_ts: parent.ts, text })
      .catch((error: unknown) => logger.warn({ err: error, requestId }, 'could not link the retry in the thread'));
  };
}
