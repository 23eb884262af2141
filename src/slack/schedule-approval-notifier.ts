/**
 * The result of a schedule's request for approval on Slack's Web API: one message in the thread of its waiting note
 * (or, if that was never posted, in the channel the change was made from). Rendering comes from src/blocks.
 */
import { scheduleApprovalResultMessage } from '../blocks/approval-messages.js';
import type { MessageRef, RequestNotifier } from '../services/pipeline/ports.js';
import type { ScheduleApprovalView } from '../services/schedules/approval.js';
import type { ChannelWriter } from './channel-writer.js';

export function createScheduleApprovalNotifier(deps: {
  writer: ChannelWriter;
}): Pick<RequestNotifier<ScheduleApprovalView>, 'complete'> {
  return {
    complete(view: ScheduleApprovalView, parent: MessageRef | undefined): Promise<MessageRef> {
      const message = scheduleApprovalResultMessage(view);
      return parent
        ? deps.writer.post(parent.channel, message, parent.ts, { urgent: true })
        : deps.writer.post(view.channelId, message);
    },
  };
}
