/**
 * Bolt's global error handler: the last stop for an error a listener did not expect. The log line and the person get
 * the same reference id, so an admin can find the one from the other; the person never sees a stack trace.
 */
import { randomBytes } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { unexpectedErrorMessage } from '../blocks/messages.js';
import type { Logger } from '../logger.js';

/** A short id a person can read out to an admin; the log line carries it as `reference`. */
export function newReference(): string {
  return randomBytes(4).toString('hex');
}

/** The parts of any Slack payload (command, action, view submission) that say who to tell and where. */
interface PayloadParts {
  response_url?: unknown;
  response_urls?: { response_url?: unknown }[];
  user_id?: unknown;
  user?: { id?: unknown };
  channel_id?: unknown;
  channel?: { id?: unknown };
  container?: { channel_id?: unknown };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Logs the error with a new reference and tells the person that reference, by the first way the payload allows: its
 * response_url (slash commands, message buttons, modals with a conversation picker), else an ephemeral message in the
 * channel it came from, else a direct message. Never throws: a failure to tell the person is logged with the same
 * reference.
 */
export async function reportUnexpectedError(deps: {
  error: unknown;
  body: unknown;
  client: WebClient;
  logger: Logger;
  fetch?: typeof fetch;
}): Promise<void> {
  const reference = newReference();
  deps.logger.error({ err: deps.error, reference }, 'unhandled error in a Slack listener');
  const body = (typeof deps.body === 'object' && deps.body !== null ? deps.body : {}) as PayloadParts;
  const message = unexpectedErrorMessage(reference);
  const responseUrl = text(body.response_url) ?? text(body.response_urls?.[0]?.response_url);
  const userId = text(body.user_id) ?? text(body.user?.id);
  const channelId = text(body.channel_id) ?? text(body.channel?.id) ?? text(body.container?.channel_id);
  try {
    if (responseUrl) {
      const post = deps.fetch ?? fetch;
      const res = await post(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...message }),
      });
      if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
    } else if (userId && channelId) {
      await deps.client.chat.postEphemeral({
        channel: channelId,
        user: userId,
        ...message,
        blocks: message.blocks as never,
      });
    } else if (userId) {
      await deps.client.chat.postMessage({ channel: userId, ...message, blocks: message.blocks as never });
    }
  } catch (failure) {
    deps.logger.warn({ err: failure, reference }, 'could not tell the person about an unhandled error');
  }
}
