/**
 * Approve / Deny on a request posted to its approvers. Approve: the service checks the person now (not the
 * requester, an approver, allowed the action themselves) and records it before the ack; only they see a refusal. Deny: the form
 * that asks why opens at once (the trigger_id lives 3 seconds); the check happens when it is submitted.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { approvalDenyModal, approvalRecordedText, approvalRefusedText } from '../blocks/approval-messages.js';
import { section } from '../blocks/common.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const note = (text: string) => ({ ...ephemeral({ text, blocks: [section(text)] }), replace_original: false });

export function approvalApprove(services: Services) {
  return async ({ ack, body, action, respond, logger }: ActionArgs): Promise<void> => {
    // Decided and recorded before the ack, like a confirmation: once Slack shows the click as taken, a restart cannot
    // lose it. The checks are local and the group lookups have a deadline within Slack's 3 seconds.
    const requestId = action.value ?? '';
    const result = await services.approvals.decide({
      requestId,
      approver: actorOf(body),
      channelId: channelOf(body),
      decision: 'approve',
    });
    await ack();
    await afterAck(logger, respond, async () => {
      await respond(
        note(
          result.ok ? approvalRecordedText('approve', requestId) : approvalRefusedText(result.reason, result.message),
        ),
      );
    });
  };
}

export function approvalDeny(_services: Services) {
  return async ({ ack, body, action, client, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      await client.views.open({ trigger_id: body.trigger_id, view: approvalDenyModal(action.value ?? '') });
    });
  };
}
