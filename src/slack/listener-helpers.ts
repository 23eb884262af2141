/**
 * Small pieces every listener shares: the ephemeral answer shape, who is acting, which channel an interaction came
 * from, reading a modal's private metadata, and what a person sees when something unexpected breaks after the ack (a
 * reference id the logs carry, never a stack trace).
 */
import type { RespondFn } from '@slack/bolt';
import type { z } from 'zod';
import { unexpectedErrorMessage } from '../blocks/messages.js';
import type { Actor } from '../services/backup/model.js';
import { newReference } from './error-sink.js';

export const ephemeral = (message: { text: string; blocks?: unknown[] }) => ({
  response_type: 'ephemeral' as const,
  text: message.text,
  ...(message.blocks ? { blocks: message.blocks as never } : {}),
});

/** The person acting, from any interaction payload. */
export function actorOf(body: { user: { id: string; team_id?: string }; team?: { id: string } | null }): Actor {
  return { userId: body.user.id, teamId: body.user.team_id ?? body.team?.id ?? '' };
}

/**
 * The channel a block action came from: a message's channel, or the container's when Slack sends no channel (an
 * ephemeral message); empty when the payload names neither.
 */
export function channelOf(body: { channel?: { id: string }; container?: { channel_id?: string } }): string {
  return body.channel?.id ?? body.container?.channel_id ?? '';
}

/** A modal's private_metadata read with its schema; undefined when missing, not JSON, or not the expected shape. */
export function parseMetadata<T>(schema: z.ZodType<T>, raw: string | undefined): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Work after the ack: an error is logged with a reference and, where there is a response_url, the person gets that
 * reference. Never throws.
 */
export async function afterAck(
  logger: { error(...args: unknown[]): void },
  respond: RespondFn | undefined,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    const reference = newReference();
    logger.error({ err: error, reference }, 'listener failed after ack');
    await respond?.({ ...ephemeral(unexpectedErrorMessage(reference)), replace_original: false }).catch(
      () => undefined,
    );
  }
}

/**
 * Answers a slash command at once with a loading line, only to the person, and replaces it with what `answer` builds
 * after the ack (the cloud or Slack's directory may take longer than Slack's 3 seconds).
 */
export async function ackLoadingThenAnswer(
  { ack, respond, logger }: CommandAnswerArgs,
  loading: { text: string; blocks?: unknown[] },
  answer: () => Promise<{ text: string; blocks?: unknown[] }>,
): Promise<void> {
  await ack(ephemeral(loading));
  // Everything after the ack replaces the loading line, a failure's reference too: no ⏳ is left waiting forever.
  const replacing: RespondFn = (message) =>
    respond({ ...(typeof message === 'string' ? { text: message } : message), replace_original: true });
  await afterAck(logger, replacing, async () => {
    await replacing(ephemeral(await answer()));
  });
}

interface CommandAnswerArgs {
  ack(message: ReturnType<typeof ephemeral>): Promise<void>;
  respond: RespondFn;
  logger: { error(...args: unknown[]): void };
}
