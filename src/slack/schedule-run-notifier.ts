/**
 * The notifier port for scheduled runs on Slack's Web API: the parent message in the schedule's channel (updated in
 * place), the threaded summary, and the full per-instance table as a file when it is long. Rendering comes from
 * src/blocks/schedule-run-messages.ts.
 */
import type { WebClient } from '@slack/web-api';
import { scheduleRunParentMessage, scheduleRunSummary } from '../blocks/schedule-run-messages.js';
import type { Logger } from '../logger.js';
import type { MessageRef, RequestNotifier } from '../services/pipeline/ports.js';
import type { ScheduleRunView } from '../services/schedules/run-steps.js';
import type { ChannelWriter, ParentOf } from './channel-writer.js';
import { completionMarker, parentMarker, withParentMarker } from './notifier.js';
import { findReplyWithMarker } from './thread.js';

function where(view: ScheduleRunView): ParentOf {
  return { id: view.id, channelId: view.channelId, userId: view.owner.userId, createdAtMs: view.createdAt };
}

export function createScheduleRunNotifier(deps: {
  client: WebClient;
  writer: ChannelWriter;
  logger: Logger;
}): RequestNotifier<ScheduleRunView> {
  const { client, writer, logger } = deps;
  return {
    announce: (view) => writer.announce(where(view), withParentMarker(view.id, scheduleRunParentMessage(view))),
    findAnnounced: (view) => writer.findAnnounced(where(view), parentMarker(view.id)),
    progress: (view, parent) => writer.update(parent, withParentMarker(view.id, scheduleRunParentMessage(view))),
    async complete(view, parent): Promise<MessageRef> {
      const summary = scheduleRunSummary(view);
      const blocks = [
        {
          type: 'context',
          block_id: completionMarker(view.id),
          elements: [{ type: 'mrkdwn', text: `Run \`${view.id}\`` }],
        },
        ...summary.blocks,
      ];
      if (parent) {
        const existing = await findReplyWithMarker(client, parent, completionMarker(view.id));
        if (existing) return { channel: parent.channel, ts: existing };
      } else {
        // No parent (a denied run, a missed slot): the summary is the run's one message in the channel.
        const existing = await writer.findAnnounced(where(view), completionMarker(view.id));
        if (existing) return existing;
        return writer.announce(where(view), { text: summary.text, blocks });
      }
      const posted = await writer.post(parent.channel, { text: summary.text, blocks }, parent.ts, { urgent: true });
      if (summary.fullTable) {
        try {
          await client.filesUploadV2({
            channel_id: posted.channel,
            thread_ts: parent.ts,
            filename: summary.fullTable.filename,
            content: summary.fullTable.content,
            title: 'Every instance of the run, one row each',
          });
        } catch (error) {
          logger.warn({ requestId: view.id, err: error }, 'could not attach the run table');
        }
      }
      return posted;
    },
  };
}
