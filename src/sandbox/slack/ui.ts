import { checkMessageContent, postBotMessage } from './api-chat.js';
import { ApiFailure, type MethodContext } from './api-common.js';
import { MAX_VIEW_STACK, materialize, replaceView } from './api-views.js';
import { checkView, isObject } from './block-kit.js';
import { assignMissingIds, type ViewObject } from './state.js';

/**
 * What Slack does with an app's HTTP answer to an interaction, i.e. the part of Slack a person sees. The driver hands
 * each answer here so that a `response_action` view goes through the same validation as views.* calls.
 */

export type ViewSubmissionOutcome =
  | { kind: 'closed' }
  | { kind: 'errors'; errors: Record<string, string> }
  | { kind: 'updated'; view: ViewObject }
  | { kind: 'pushed'; view: ViewObject }
  | { kind: 'cleared' }
  /** Slack would show "We had some trouble connecting" and keep the view open. */
  | { kind: 'rejected'; reason: string; messages?: string[] };

export type CommandAckOutcome =
  | { kind: 'silent' }
  | { kind: 'ephemeral'; text: string }
  | { kind: 'in_channel'; ts: string }
  | { kind: 'rejected'; reason: string; messages?: string[] };

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function inputBlockIds(view: ViewObject): Set<string> {
  const ids = new Set<string>();
  for (const block of view.blocks) {
    if (isObject(block) && block.type === 'input' && typeof block.block_id === 'string') ids.add(block.block_id);
  }
  return ids;
}

/** Apply the app's answer to a `view_submission` for `viewId` (owned by `user`). */
export function applyViewSubmissionAck(
  ctx: MethodContext,
  viewId: string,
  status: number,
  body: string,
): ViewSubmissionOutcome {
  const { state } = ctx;
  const entry = state.views.get(viewId);
  if (!entry) return { kind: 'rejected', reason: `view ${viewId} is no longer open` };
  if (status !== 200) return { kind: 'rejected', reason: `app answered HTTP ${status}` };
  const stack = state.openModalStack(entry.user);
  if (body.trim() === '') {
    // A plain ack closes the submitted view; the one below it (if any) shows again.
    state.modalStacks.set(
      entry.user,
      stack.filter((id) => id !== viewId),
    );
    state.views.delete(viewId);
    state.changed();
    return { kind: 'closed' };
  }
  const answer = parseJson(body);
  if (!isObject(answer)) return { kind: 'rejected', reason: 'answer is neither empty nor a JSON object' };
  switch (answer.response_action) {
    case 'errors': {
      const errors = answer.errors;
      if (!isObject(errors) || Object.keys(errors).length === 0) {
        return { kind: 'rejected', reason: 'response_action errors needs a non-empty errors object' };
      }
      const inputs = inputBlockIds(entry.view);
      const unknown = Object.keys(errors).filter((k) => !inputs.has(k));
      if (unknown.length > 0) {
        // Slack renders errors only under input blocks; other keys fail the whole response.
        return { kind: 'rejected', reason: `errors keys are not input block_ids of the view: ${unknown.join(', ')}` };
      }
      return { kind: 'errors', errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, String(v)])) };
    }
    case 'update': {
      const rejection = checkView(answer.view, 'modal');
      if (rejection) return { kind: 'rejected', reason: rejection.error, ...messages(rejection.messages) };
      return { kind: 'updated', view: replaceView(ctx, viewId, answer.view as Record<string, unknown>) };
    }
    case 'push': {
      const rejection = checkView(answer.view, 'modal');
      if (rejection) return { kind: 'rejected', reason: rejection.error, ...messages(rejection.messages) };
      if (stack.length >= MAX_VIEW_STACK) return { kind: 'rejected', reason: 'push_limit_reached' };
      const id = state.ids.next('V');
      const view = materialize(ctx, answer.view as Record<string, unknown>, id, {
        root: stack[0] ?? id,
        previous: viewId,
      });
      state.views.set(id, { view, user: entry.user });
      state.modalStacks.set(entry.user, [...stack, id]);
      state.changed();
      return { kind: 'pushed', view };
    }
    case 'clear':
      for (const id of stack) state.views.delete(id);
      state.modalStacks.set(entry.user, []);
      state.changed();
      return { kind: 'cleared' };
    default:
      return { kind: 'rejected', reason: `unknown response_action ${String(answer.response_action)}` };
  }
}

function messages(list: string[] | undefined): { messages?: string[] } {
  return list ? { messages: list } : {};
}

/**
 * Show the app's answer to a slash command: an empty 200 shows nothing; a text body or `{text|blocks}` JSON shows an
 * ephemeral reply (or an in-channel one with `response_type: 'in_channel'`), checked like any message.
 */
export function applyCommandAck(
  ctx: MethodContext,
  channel: string,
  user: string,
  status: number,
  body: string,
  responseUrl?: string,
): CommandAckOutcome {
  if (status !== 200) return { kind: 'rejected', reason: `app answered HTTP ${status}` };
  const record = responseUrl ? ctx.state.responseUrls.get(responseUrl.split('/').pop() ?? '') : undefined;
  if (body.trim() === '') return { kind: 'silent' };
  const json = parseJson(body);
  const answer: Record<string, unknown> = isObject(json) ? json : { text: body };
  try {
    const content = checkMessageContent(answer, ctx.blockTextLimit);
    if (answer.response_type === 'in_channel') {
      const message = postBotMessage(ctx, channel, content);
      return { kind: 'in_channel', ts: message.ts };
    }
    // Already replaced or deleted through the response_url (which the app could only do after acking).
    if (record?.ackSuperseded) return { kind: 'ephemeral', text: content.text ?? '' };
    const ts = ctx.state.ts.next();
    ctx.state.ephemerals.push({
      channel,
      user,
      ts,
      text: content.text ?? '',
      ...(content.blocks ? { blocks: assignMissingIds(content.blocks, `${channel}:${ts}`) } : {}),
      source: 'command_ack',
    });
    if (record && record.messageTs === undefined) {
      record.messageTs = ts;
      record.originalIsEphemeral = true;
    }
    ctx.state.changed();
    return { kind: 'ephemeral', text: content.text ?? '' };
  } catch (err) {
    if (err instanceof ApiFailure) return { kind: 'rejected', reason: err.error, ...messages(err.messages) };
    throw err;
  }
}

/** Record what the person typed or picked, as Slack keeps it in `view.state` between interactions. */
export function setViewState(ctx: MethodContext, viewId: string, values: ViewObject['state']['values']): void {
  const entry = ctx.state.views.get(viewId);
  if (!entry) throw new Error(`No open view ${viewId}`);
  entry.view.state = { values: structuredClone(values) };
  ctx.state.changed();
}

/**
 * The person closes the modal (the X / Cancel): the whole stack goes when the view has clear_on_close (the
 * `view_closed` payload then says `is_cleared: true`), otherwise only that view.
 */
export function closeView(ctx: MethodContext, viewId: string): { cleared: boolean; view: ViewObject } {
  const entry = ctx.state.views.get(viewId);
  if (!entry) throw new Error(`No open view ${viewId}`);
  const stack = ctx.state.openModalStack(entry.user);
  const cleared = entry.view.clear_on_close;
  const remove = cleared ? stack : [viewId];
  for (const id of remove) ctx.state.views.delete(id);
  ctx.state.modalStacks.set(
    entry.user,
    stack.filter((id) => !remove.includes(id)),
  );
  ctx.state.changed();
  return { cleared, view: entry.view };
}
