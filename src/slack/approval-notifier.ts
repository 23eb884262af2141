/**
 * The approval notifier on Slack's Web API: asks the approvers (the rule's channel, or a DM to each approver), tells
 * the requester in the request's thread (or channel), notes each decision there, and replaces the approvers' buttons
 * with the outcome. Rendering comes from src/blocks; writing from the channel writer every flow shares.
 */
import { approvalDecisionNote, approvalRequestMessage, approvalWaitingNote } from '../blocks/approval-messages.js';
import { approverUserIds } from '../services/access/approval-rules.js';
import type { ApprovalNotifier } from '../services/approval/step.js';
import type { MessageRef } from '../services/pipeline/ports.js';
import type { ChannelWriter } from './channel-writer.js';

export function createApprovalNotifier(deps: { writer: ChannelWriter }): ApprovalNotifier {
  const { writer } = deps;
  return {
    async ask(view) {
      const message = approvalRequestMessage(view);
      if (view.approval.channel) return [await writer.post(view.approval.channel, message)];
      // A DM to each approver named by user id (channel = their user id), never to the requester.
      const people = approverUserIds(view.approval).filter((id) => id !== view.subject.requesterId);
      const asks: MessageRef[] = [];
      for (const userId of people) asks.push(await writer.post(userId, message));
      return asks;
    },
    waiting(view, parent) {
      const note = approvalWaitingNote(view);
      return parent ? writer.post(parent.channel, note, parent.ts) : writer.post(view.subject.channelId, note);
    },
    async decision(view, parent, decision) {
      await writer.post(parent.channel, approvalDecisionNote(view, decision), parent.ts, { urgent: true });
    },
    close(view, ask) {
      return writer.update(ask, approvalRequestMessage(view));
    },
  };
}
