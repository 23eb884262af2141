/**
 * The notifier port for deletions on Slack's Web API: the one result message, in the channel the deletion was asked
 * from (a DM to the person when the bot cannot post there). Rendering comes from src/blocks.
 */
import { deleteResultMessage } from '../blocks/delete-modal.js';
import type { DeleteRecord } from '../db/delete-requests.js';
import type { MessageRef, RequestNotifier } from '../services/pipeline/ports.js';
import type { ChannelWriter, ParentOf } from './channel-writer.js';

/** The block_id that marks a deletion's result message, so a re-run after a crash finds it instead of posting again. */
export function deleteResultMarker(deleteId: string): string {
  return `delete-result:${deleteId}`;
}

export function createDeleteNotifier(deps: { writer: ChannelWriter }): Pick<RequestNotifier<DeleteRecord>, 'complete'> {
  const { writer } = deps;
  return {
    async complete(record: DeleteRecord): Promise<MessageRef> {
      const where: ParentOf = {
        id: record.id,
        channelId: record.channelId,
        userId: record.actor.userId,
        createdAtMs: record.confirmedAt ?? record.createdAt,
      };
      const marker = deleteResultMarker(record.id);
      const existing = await writer.findAnnounced(where, marker);
      if (existing) return existing;
      const message = deleteResultMessage(record);
      const [first, ...rest] = message.blocks as { block_id?: string }[];
      const blocks = first ? [{ ...first, block_id: marker }, ...rest] : [];
      return writer.announce(where, { text: message.text, blocks });
    },
  };
}
