import type { WebClient } from '@slack/web-api';
import type { MessageRef } from '../services/pipeline/ports.js';

/** One page of conversations.history or conversations.replies, as far as a marker search reads it. */
interface MessagePage {
  messages?: { ts?: string; blocks?: unknown[] }[];
  response_metadata?: { next_cursor?: string };
}

/** The ts of the first message, page after page, that carries a block with this block_id. */
export async function findMarkedMessage(
  readPage: (cursor: string | undefined) => Promise<MessagePage>,
  marker: string,
): Promise<string | undefined> {
  let cursor: string | undefined;
  do {
    const page = await readPage(cursor);
    for (const message of page.messages ?? []) {
      const blocks = (message.blocks ?? []) as { block_id?: string }[];
      if (message.ts && blocks.some((block) => block.block_id === marker)) return message.ts;
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return undefined;
}

/**
 * The ts of a reply in `parent`'s thread carrying a block with this block_id, if the bot already posted one: the
 * check that keeps a reply from being posted twice after a crash.
 */
export function findReplyWithMarker(
  client: WebClient,
  parent: MessageRef,
  marker: string,
): Promise<string | undefined> {
  return findMarkedMessage(
    (cursor) => client.conversations.replies({ channel: parent.channel, ts: parent.ts, limit: 200, cursor }),
    marker,
  );
}
