/**
 * The notifier port for restores on Slack's Web API. Rendering comes from src/blocks; writing (the channel queue, the DM
 * fallback) from the channel writer both notifiers share.
 */
import type { WebClient } from '@slack/web-api';
import { restoreCompletionMarker, restoreCompletionReply, restoreParentMessage } from '../blocks/restore-messages.js';
import type { MessageRef, RequestNotifier } from '../services/pipeline/ports.js';
import type { RestoreRequestView } from '../services/restore/model.js';
import { type ChannelWriter, parentOf } from './channel-writer.js';
import { parentMarker, withParentMarker } from './notifier.js';
import { findReplyWithMarker } from './thread.js';

export function createRestoreNotifier(deps: {
  client: WebClient;
  writer: ChannelWriter;
}): RequestNotifier<RestoreRequestView> {
  const { client, writer } = deps;

  function findExistingReply(parent: MessageRef, requestId: string): Promise<string | undefined> {
    return findReplyWithMarker(client, parent, restoreCompletionMarker(requestId));
  }

  return {
    announce(view: RestoreRequestView): Promise<MessageRef> {
      return writer.announce(parentOf(view), withParentMarker(view.id, restoreParentMessage(view)));
    },

    findAnnounced(view: RestoreRequestView): Promise<MessageRef | undefined> {
      return writer.findAnnounced(parentOf(view), parentMarker(view.id));
    },

    progress(view: RestoreRequestView, parent: MessageRef): Promise<void> {
      return writer.update(parent, withParentMarker(view.id, restoreParentMessage(view)));
    },

    async complete(view: RestoreRequestView, parent: MessageRef | undefined): Promise<MessageRef> {
      if (parent) {
        const existing = await findExistingReply(parent, view.id);
        if (existing) return { channel: parent.channel, ts: existing };
      }
      // Urgent: a finished restore's result goes before other requests' "started" messages still waiting.
      return writer.post(parent?.channel ?? view.channelId, restoreCompletionReply(view), parent?.ts, { urgent: true });
    },
  };
}
