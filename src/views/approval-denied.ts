/**
 * The reason form behind Deny: the service checks the approver now and records the denial before the ack; a refusal
 * is shown under the reason field (the form stays open), a recorded denial closes it.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { approvalRefusedText, readDenyReason } from '../blocks/approval-messages.js';
import { BLOCK } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { actorOf, parseMetadata } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

const DenyMetadata = z.object({ requestId: z.string().min(1) });

export function approvalDenied(services: Services) {
  return async ({ ack, body, view }: ViewArgs): Promise<void> => {
    const fieldError = (text: string) =>
      ack({ response_action: 'errors', errors: { [BLOCK.approvalReason]: text.replace(/^[^\p{L}\p{N}\s]+\s+/u, '') } });
    const metadata = parseMetadata(DenyMetadata, view.private_metadata);
    if (!metadata) return fieldError(approvalRefusedText('not-found'));
    const reason = readDenyReason(view.state.values as never);
    if (!reason) return fieldError(approvalRefusedText('no-reason'));
    const result = await services.approvals.decide({
      requestId: metadata.requestId,
      approver: actorOf(body),
      channelId: '',
      decision: 'deny',
      reason,
    });
    if (!result.ok) return fieldError(approvalRefusedText(result.reason, result.message));
    await ack({ response_action: 'clear' });
  };
}
