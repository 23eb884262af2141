import { checkMessageContent, postBotMessage } from './api-chat.js';
import { ApiFailure } from './api-common.js';
import { isObject } from './block-kit.js';
import { assignMissingIds, type ResponseUrlRecord, type SlackState } from './state.js';

/** "up to 5 times within 30 minutes" (Slack's slash command and interactivity docs). */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

export interface ResponseUrlAnswer {
  status: number;
  contentType: string;
  body: string;
  /** What the post did (`posted_ephemeral`, `replaced_original`…) or why it failed; kept for tests, not sent. */
  outcome: string;
}

const text = (status: number, body: string): ResponseUrlAnswer => ({
  status,
  contentType: 'text/plain',
  body,
  outcome: body,
});

/**
 * Handle `POST /response/:token` the way hooks.slack.com does for a response_url: JSON body with `text`/`blocks`,
 * `response_type` (`ephemeral` default, or `in_channel`), `replace_original`, `delete_original`, `thread_ts`.
 * Failures are non-2xx with a short plain-text reason, like Slack's webhooks; Bolt 5's `respond()` throws on them.
 * An exhausted URL answers 404 `used_url` and a stale one 404 `expired_url` (the codes reported for Slack; not in its
 * reference pages).
 */
export function handleResponseUrl(
  state: SlackState,
  token: string,
  rawBody: string,
  contentType: string | undefined,
  blockTextLimit: number,
): ResponseUrlAnswer {
  const record = state.responseUrls.get(token);
  const answer = answerPost(state, record, rawBody, contentType, blockTextLimit);
  state.responsePosts.push({
    token,
    channel: record?.channel ?? '',
    user: record?.user ?? '',
    at: state.now(),
    body: safeJson(rawBody),
    status: answer.status,
    outcome: answer.outcome,
  });
  state.changed();
  return answer;
}

function answerPost(
  state: SlackState,
  record: ResponseUrlRecord | undefined,
  rawBody: string,
  contentType: string | undefined,
  blockTextLimit: number,
): ResponseUrlAnswer {
  if (!record) return text(404, 'invalid_token');
  if (state.now() - record.issuedAt > RESPONSE_URL_TTL_MS) return text(404, 'expired_url');
  if (record.uses >= RESPONSE_URL_MAX_USES) return text(404, 'used_url');
  if (!contentType?.startsWith('application/json')) return text(400, 'invalid_payload');
  const body = safeJson(rawBody);
  if (!isObject(body)) return text(400, 'invalid_payload');
  try {
    const outcome = apply(state, record, body, blockTextLimit);
    record.uses += 1;
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true }), outcome };
  } catch (err) {
    if (err instanceof ApiFailure) return text(400, err.error);
    throw err;
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function apply(state: SlackState, record: ResponseUrlRecord, body: Record<string, unknown>, limit: number): string {
  if (body.delete_original === true || body.delete_original === 'true') {
    removeOriginal(state, record);
    return 'deleted_original';
  }
  const content = checkMessageContent(body, limit);
  if (body.replace_original === true || body.replace_original === 'true') {
    replaceOriginal(state, record, content);
    return 'replaced_original';
  }
  const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
  if (body.response_type === 'in_channel') {
    const parent = threadTs ? state.findMessage(record.channel, threadTs) : undefined;
    postBotMessage({ state }, record.channel, content, parent ? { parent } : {});
    return 'posted_in_channel';
  }
  postEphemeral(state, record, content, threadTs);
  return 'posted_ephemeral';
}

function postEphemeral(
  state: SlackState,
  record: ResponseUrlRecord,
  content: { text?: string; blocks?: unknown[] },
  threadTs?: string,
): string {
  const ts = state.ts.next();
  state.ephemerals.push({
    channel: record.channel,
    user: record.user,
    ts,
    text: content.text ?? '',
    ...(content.blocks ? { blocks: assignMissingIds(content.blocks, `${record.channel}:${ts}`) } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    source: 'response_url',
  });
  return ts;
}

/**
 * A slash command's ack not yet applied by the driver: the app sent it first, so this replace or delete acts on it.
 * Returns true when it did (the ack will then not be shown).
 */
function supersedePendingAck(record: ResponseUrlRecord): boolean {
  if (record.messageTs !== undefined || !record.fromCommand) return false;
  record.ackSuperseded = true;
  return true;
}

function removeOriginal(state: SlackState, record: ResponseUrlRecord): void {
  if (supersedePendingAck(record)) return;
  if (record.messageTs === undefined) throw new ApiFailure('no_original_message');
  if (record.originalIsEphemeral) {
    const eph = state.ephemerals.find((e) => e.ts === record.messageTs && e.user === record.user);
    if (!eph) throw new ApiFailure('message_not_found');
    eph.deleted = true;
    return;
  }
  if (!state.channelMessages(record.channel).delete(record.messageTs)) throw new ApiFailure('message_not_found');
}

function replaceOriginal(
  state: SlackState,
  record: ResponseUrlRecord,
  content: { text?: string; blocks?: unknown[] },
): void {
  if (supersedePendingAck(record)) {
    record.messageTs = postEphemeral(state, record, content);
    record.originalIsEphemeral = true;
    return;
  }
  if (record.messageTs === undefined) throw new ApiFailure('no_original_message');
  const blocks = content.blocks ? assignMissingIds(content.blocks, `${record.messageTs}:${state.now()}`) : undefined;
  if (record.originalIsEphemeral) {
    const eph = state.ephemerals.find((e) => e.ts === record.messageTs && e.user === record.user);
    if (!eph) throw new ApiFailure('message_not_found');
    eph.text = content.text ?? '';
    if (blocks) eph.blocks = blocks;
    else delete eph.blocks;
    return;
  }
  const message = state.findMessage(record.channel, record.messageTs);
  if (!message) throw new ApiFailure('message_not_found');
  message.text = content.text ?? '';
  if (blocks) message.blocks = blocks;
  else delete message.blocks;
  message.edited = { user: state.directory.bot.userId, ts: state.ts.next() };
}
