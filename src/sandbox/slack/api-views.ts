import { type ApiArgs, ApiFailure, type MethodContext, type MethodHandler, optionalString } from './api-common.js';
import { checkView, isObject } from './block-kit.js';
import { assignMissingIds, type SlackState, type ViewObject } from './state.js';

/** Root view plus two pushes (docs.slack.dev/surfaces/modals; views.push: "Currently the limit is 3"). */
export const MAX_VIEW_STACK = 3;

/**
 * Exchange a trigger_id for the user it was issued to. Single use, valid for `triggerTtlMs` (3 s) from issue.
 * Slack documents `invalid_arguments` + "invalid `trigger_id`" for an unknown one; `expired_trigger_id` and
 * `exchanged_trigger_id` are the codes seen for late and reused ones (slack-ruby's ExpiredTriggerId, Slack SDK error
 * tables). Tests should match the family, not one string.
 */
export function exchangeTrigger(ctx: MethodContext, triggerId: string | undefined): string {
  if (triggerId === undefined)
    throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: trigger_id']);
  const record = ctx.state.triggers.get(triggerId);
  if (!record) throw new ApiFailure('invalid_arguments', ['invalid `trigger_id`']);
  if (record.used) throw new ApiFailure('exchanged_trigger_id');
  if (ctx.state.now() - record.issuedAt > ctx.triggerTtlMs) throw new ApiFailure('expired_trigger_id');
  record.used = true;
  return record.user;
}

function decodeView(args: ApiArgs, expected: 'modal' | 'home'): Record<string, unknown> {
  const raw = args.view;
  if (raw === undefined) throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: view']);
  const rejection = checkView(raw, expected);
  if (rejection) throw new ApiFailure(rejection.error, rejection.messages);
  return raw as Record<string, unknown>;
}

function requireUniqueExternalId(state: SlackState, externalId: unknown, exceptViewId?: string): void {
  if (typeof externalId !== 'string' || externalId === '') return;
  for (const { view } of state.views.values()) {
    if (view.external_id === externalId && view.id !== exceptViewId) throw new ApiFailure('duplicate_external_id');
  }
}

/** Build the stored view Slack would return: ids assigned, empty state, a fresh hash. */
export function materialize(
  ctx: MethodContext,
  input: Record<string, unknown>,
  id: string,
  links: { root: string | null; previous: string | null },
): ViewObject {
  const { bot, team } = ctx.state.directory;
  const view: ViewObject = {
    id,
    team_id: team.id,
    type: input.type as 'modal' | 'home',
    blocks: assignMissingIds(input.blocks as unknown[], `${id}:${ctx.state.now()}`),
    private_metadata: typeof input.private_metadata === 'string' ? input.private_metadata : '',
    callback_id: typeof input.callback_id === 'string' ? input.callback_id : '',
    external_id: typeof input.external_id === 'string' ? input.external_id : '',
    state: { values: {} },
    hash: ctx.state.nextViewHash(),
    clear_on_close: input.clear_on_close === true,
    notify_on_close: input.notify_on_close === true,
    root_view_id: links.root,
    previous_view_id: links.previous,
    app_id: bot.appId,
    app_installed_team_id: team.id,
    bot_id: bot.botId,
  };
  if (input.type === 'modal') {
    view.title = input.title;
    view.submit = input.submit ?? null;
    view.close = input.close ?? null;
    if (input.submit_disabled !== undefined) view.submit_disabled = input.submit_disabled === true;
  }
  return view;
}

const open: MethodHandler = (ctx, args) => {
  const input = decodeView(args, 'modal');
  requireUniqueExternalId(ctx.state, input.external_id);
  const user = exchangeTrigger(ctx, optionalString(args, 'trigger_id'));
  const id = ctx.state.ids.next('V');
  const view = materialize(ctx, input, id, { root: id, previous: null });
  // A new root replaces whatever modal stack the person had open.
  for (const old of ctx.state.openModalStack(user)) ctx.state.views.delete(old);
  ctx.state.views.set(id, { view, user });
  ctx.state.modalStacks.set(user, [id]);
  ctx.state.changed();
  return { ok: true, view };
};

const push: MethodHandler = (ctx, args) => {
  const input = decodeView(args, 'modal');
  requireUniqueExternalId(ctx.state, input.external_id);
  const user = exchangeTrigger(ctx, optionalString(args, 'trigger_id'));
  const stack = ctx.state.openModalStack(user);
  if (stack.length === 0) throw new ApiFailure('invalid_arguments', ['[ERROR] no open view to push onto']);
  if (stack.length >= MAX_VIEW_STACK) throw new ApiFailure('push_limit_reached');
  const id = ctx.state.ids.next('V');
  const view = materialize(ctx, input, id, { root: stack[0] ?? id, previous: stack.at(-1) ?? null });
  ctx.state.views.set(id, { view, user });
  ctx.state.modalStacks.set(user, [...stack, id]);
  ctx.state.changed();
  return { ok: true, view };
};

/** Replace a view's content in place; input values survive where block_id and action_id are unchanged. */
export function replaceView(ctx: MethodContext, viewId: string, input: Record<string, unknown>): ViewObject {
  const entry = ctx.state.views.get(viewId);
  if (!entry) throw new ApiFailure('not_found');
  const next = materialize(ctx, input, viewId, {
    root: entry.view.root_view_id,
    previous: entry.view.previous_view_id,
  });
  next.state = { values: keepState(entry.view.state.values, next.blocks) };
  entry.view = next;
  ctx.state.changed();
  return next;
}

function keepState(
  values: Record<string, Record<string, unknown>>,
  blocks: unknown[],
): Record<string, Record<string, unknown>> {
  const kept: Record<string, Record<string, unknown>> = {};
  for (const block of blocks) {
    if (!isObject(block) || typeof block.block_id !== 'string' || !isObject(block.element)) continue;
    const actionId = block.element.action_id;
    const old = values[block.block_id];
    if (typeof actionId === 'string' && old?.[actionId] !== undefined) {
      kept[block.block_id] = { [actionId]: old[actionId] };
    }
  }
  return kept;
}

const update: MethodHandler = (ctx, args) => {
  const viewId = optionalString(args, 'view_id');
  const externalId = optionalString(args, 'external_id');
  if (viewId === undefined && externalId === undefined) {
    throw new ApiFailure('invalid_arguments', ['[ERROR] either view_id or external_id is required']);
  }
  const entry = viewId
    ? ctx.state.views.get(viewId)
    : [...ctx.state.views.values()].find((v) => v.view.external_id === externalId);
  if (!entry) throw new ApiFailure('not_found');
  const input = decodeView(args, entry.view.type);
  const hash = optionalString(args, 'hash');
  if (hash !== undefined && hash !== entry.view.hash) throw new ApiFailure('hash_conflict');
  requireUniqueExternalId(ctx.state, input.external_id, entry.view.id);
  return { ok: true, view: replaceView(ctx, entry.view.id, input) };
};

const publish: MethodHandler = (ctx, args) => {
  const userId = optionalString(args, 'user_id');
  if (userId === undefined) throw new ApiFailure('invalid_arguments', ['[ERROR] missing required field: user_id']);
  const user = ctx.state.directory.user(userId);
  if (!user || user.deleted) throw new ApiFailure('user_not_found');
  const input = decodeView(args, 'home');
  const existingId = ctx.state.homeViews.get(userId);
  const hash = optionalString(args, 'hash');
  if (existingId !== undefined && hash !== undefined && hash !== ctx.state.views.get(existingId)?.view.hash) {
    throw new ApiFailure('hash_conflict');
  }
  requireUniqueExternalId(ctx.state, input.external_id, existingId);
  const id = existingId ?? ctx.state.ids.next('V');
  const view = materialize(ctx, input, id, { root: null, previous: null });
  ctx.state.views.set(id, { view, user: userId });
  ctx.state.homeViews.set(userId, id);
  ctx.state.changed();
  return { ok: true, view };
};

export const viewMethods: Record<string, MethodHandler> = {
  'views.open': open,
  'views.push': push,
  'views.update': update,
  'views.publish': publish,
};
