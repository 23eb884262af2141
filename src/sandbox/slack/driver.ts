import { isObject, walkElements } from './block-kit.js';
import type { Clock } from './ids.js';
import {
  type ActionSurface,
  type Actor,
  buildBlockActions,
  buildBlockSuggestion,
  buildEventCallback,
  buildSlashCommandBody,
  buildViewClosed,
  buildViewState,
  buildViewSubmission,
  encodeInteractivityBody,
  pickOption,
  type TeamRef,
  type ViewValues,
} from './payloads.js';
import { signSlackRequest } from './signing.js';
import type { SlackStandIn } from './stand-in.js';
import type { ViewObject } from './state.js';
import type { CommandAckOutcome, ViewSubmissionOutcome } from './ui.js';

/** Slack gives an app 3 seconds to answer an interaction or event. */
export const ACK_BUDGET_MS = 3000;

export interface SlackDriverOptions {
  /** The app's Request URL, e.g. `http://127.0.0.1:3000/slack/events`. */
  appUrl: string;
  signingSecret: string;
  standIn: SlackStandIn;
  /** Defaults to the stand-in's team. */
  teamId?: string;
  /** Defaults to the stand-in's app: another app sharing the signing secret sends its own id. */
  apiAppId?: string;
  /** Epoch ms used for `X-Slack-Request-Timestamp` and `action_ts`. Default `Date.now`. */
  now?: Clock;
  /** Give up on a request after this long (Slack gives up at 3 s; we wait longer to observe Bolt's 404). */
  requestTimeoutMs?: number;
}

/** Ways to make a request Slack did not send, for testing that the app refuses them. */
export interface Forgery {
  /** Sign with this secret instead of the real one. */
  signingSecret?: string;
  /** Use this `X-Slack-Request-Timestamp`, e.g. six minutes ago. */
  timestampSec?: number;
  omitSignature?: boolean;
  omitTimestamp?: boolean;
  /** Change the body after signing it. */
  tamperBody?: boolean;
  /** Send this Content-Type instead of Slack's exact `application/x-www-form-urlencoded`. */
  contentType?: string;
}

export interface DriverResponse<Outcome = undefined> {
  status: number;
  /** Parsed JSON when the app answered JSON, else the text. */
  body: unknown;
  rawBody: string;
  elapsedMs: number;
  /** Whether the answer came within Slack's 3 s; if not, Slack would have shown the person an error. */
  withinAckBudget: boolean;
  /** What Slack made of the answer (views changed, ephemeral shown…), when it applies. */
  outcome: Outcome;
}

export interface SlashCommandInput {
  command: string;
  text?: string;
  userId: string;
  channelId: string;
  forge?: Forgery;
}

export interface SubmitViewInput {
  viewId?: string;
  view?: ViewObject;
  /** Defaults to the person the view was opened for; anyone else cannot see it. */
  userId?: string;
  values?: ViewValues;
  forge?: Forgery;
}

type MessageTarget = { channel: string; messageTs: string; viewId?: undefined };
type ViewTarget = { viewId: string; channel?: undefined; messageTs?: undefined };

export type ClickButtonInput = (MessageTarget | ViewTarget) & {
  actionId: string;
  blockId?: string;
  /** If given, must equal the button's value: a person cannot change it. */
  value?: string;
  userId: string;
  forge?: Forgery;
};

export type SelectOptionInput = (MessageTarget | ViewTarget) & {
  actionId: string;
  blockId?: string;
  /** The `value` of the option picked (static_select, radio_buttons, overflow) or typed (external_select). */
  value: string;
  userId: string;
  forge?: Forgery;
};

export interface BlockSuggestionInput {
  viewId: string;
  actionId: string;
  blockId?: string;
  /** What the person typed. */
  value: string;
  userId?: string;
  forge?: Forgery;
}

/** Typing in a modal's text input whose block has `dispatch_action`: `value` is the input's whole text after it. */
export type EnterTextInput = BlockSuggestionInput;

export interface SendEventOptions {
  forge?: Forgery;
  retryNum?: number;
  retryReason?: string;
}

export interface SlackDriver {
  slashCommand(
    input: SlashCommandInput,
  ): Promise<DriverResponse<CommandAckOutcome> & { triggerId: string; responseUrl: string }>;
  submitView(input: SubmitViewInput): Promise<DriverResponse<ViewSubmissionOutcome> & { triggerId: string }>;
  /** The person closes the modal; Slack only tells the app if the view has `notify_on_close`. */
  closeView(input: { viewId: string; forge?: Forgery }): Promise<DriverResponse | undefined>;
  clickButton(input: ClickButtonInput): Promise<DriverResponse & { triggerId: string; responseUrl?: string }>;
  selectOption(input: SelectOptionInput): Promise<DriverResponse & { triggerId: string; responseUrl?: string }>;
  blockSuggestion(input: BlockSuggestionInput): Promise<DriverResponse<{ options: unknown[] } | { error: string }>>;
  /**
   * The person types in a text input of a modal. Slack tells the app only when the input block has `dispatch_action`
   * (a block action with the text and the view's state); otherwise this throws, as there would be nothing to send.
   */
  enterText(input: EnterTextInput): Promise<DriverResponse & { triggerId: string }>;
  sendEvent(event: Record<string, unknown>, opts?: SendEventOptions): Promise<DriverResponse>;
}

/** Act as Slack towards a Bolt app: signed requests built from what the stand-in shows the person. */
export function createSlackDriver(options: SlackDriverOptions): SlackDriver {
  const { standIn, signingSecret } = options;
  const now = options.now ?? Date.now;
  const team: TeamRef = { id: options.teamId ?? standIn.team.id, domain: standIn.team.domain };
  const apiAppId = options.apiAppId ?? standIn.bot.appId;
  let eventSerial = 0;

  async function post(
    body: string,
    contentType: string,
    forge: Forgery = {},
    extraHeaders: Record<string, string> = {},
  ): Promise<DriverResponse> {
    const timestampSec = forge.timestampSec ?? Math.floor(now() / 1000);
    const signature = signSlackRequest(forge.signingSecret ?? signingSecret, timestampSec, body);
    const headers: Record<string, string> = {
      'content-type': forge.contentType ?? contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...extraHeaders,
    };
    if (!forge.omitSignature) headers['x-slack-signature'] = signature;
    if (!forge.omitTimestamp) headers['x-slack-request-timestamp'] = String(timestampSec);
    const sent = forge.tamperBody ? `${body}&tampered=1` : body;
    const started = performance.now();
    const res = await fetch(options.appUrl, {
      method: 'POST',
      headers,
      body: sent,
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    });
    const rawBody = await res.text();
    const elapsedMs = performance.now() - started;
    let parsed: unknown = rawBody;
    if (res.headers.get('content-type')?.includes('application/json')) {
      try {
        parsed = JSON.parse(rawBody);
      } catch {
        parsed = rawBody;
      }
    }
    return {
      status: res.status,
      body: parsed,
      rawBody,
      elapsedMs,
      withinAckBudget: elapsedMs <= ACK_BUDGET_MS,
      outcome: undefined,
    };
  }

  const form = (body: string, forge?: Forgery) => post(body, 'application/x-www-form-urlencoded', forge);

  function actor(userId: string): Actor {
    const user = standIn.users().find((u) => u.id === userId);
    if (!user) throw new Error(`No user ${userId} in the stand-in workspace`);
    return { id: user.id, name: user.name };
  }

  function openView(viewId: string): { view: ViewObject; user: string } {
    const entry = standIn.view(viewId);
    if (!entry) throw new Error(`View ${viewId} is not open in the stand-in (did the bot open it?)`);
    return entry;
  }

  /** The message or ephemeral a person is looking at, and the element they act on. */
  function locate(target: MessageTarget | ViewTarget, userId: string, actionId: string, blockId?: string) {
    let blocks: unknown;
    let surface: ActionSurface;
    let responseUrl: string | undefined;
    if (target.viewId !== undefined) {
      const entry = openView(target.viewId);
      if (entry.user !== userId) throw new Error(`View ${target.viewId} belongs to ${entry.user}, not ${userId}`);
      blocks = entry.view.blocks;
      surface = { kind: 'view', view: entry.view };
    } else {
      const channel = standIn.channel(target.channel);
      if (!channel) throw new Error(`No channel ${target.channel}`);
      const canSee = channel.isIm ? channel.user === userId : channel.members.includes(userId);
      if (!canSee) throw new Error(`${userId} is not in ${target.channel}, so cannot see its messages`);
      const message = standIn.message(target.channel, target.messageTs);
      const ephemeral = message
        ? undefined
        : standIn.ephemerals(userId).find((e) => e.channel === target.channel && e.ts === target.messageTs);
      if (!message && !ephemeral) {
        throw new Error(`No message ${target.messageTs} in ${target.channel} visible to ${userId}`);
      }
      blocks = message?.blocks ?? ephemeral?.blocks;
      responseUrl = standIn.issueResponseUrl(target.channel, userId, {
        messageTs: target.messageTs,
        ephemeral: !message,
      });
      surface = {
        kind: 'message',
        channel: { id: channel.id, name: channel.isIm ? 'directmessage' : channel.name },
        messageTs: target.messageTs,
        ...(message ? { message: presentForPayload(message) } : {}),
        isEphemeral: !message,
        responseUrl,
      };
    }
    const matches = [...walkElements(blocks)].filter(
      (e) => e.element.action_id === actionId && (blockId === undefined || e.blockId === blockId),
    );
    const found = matches[0];
    if (!found) {
      const offered = [...walkElements(blocks)].map((e) => `${e.blockId}/${String(e.element.action_id)}`);
      throw new Error(`No element with action_id "${actionId}" there (it has: ${offered.join(', ') || 'none'})`);
    }
    return { surface, responseUrl, element: found.element, blockId: found.blockId ?? '' };
  }

  function actionTs(): string {
    return (now() / 1000).toFixed(6);
  }

  return {
    async slashCommand(input) {
      const channel = standIn.channel(input.channelId);
      if (!channel) throw new Error(`No channel ${input.channelId}`);
      const inChannel = channel.isIm ? channel.user === input.userId : channel.members.includes(input.userId);
      if (!inChannel) throw new Error(`${input.userId} is not in ${input.channelId}, so cannot type a command there`);
      const user = actor(input.userId);
      const triggerId = standIn.issueTriggerId(user.id);
      const responseUrl = standIn.issueResponseUrl(channel.id, user.id, { fromCommand: true });
      const body = buildSlashCommandBody({
        command: input.command,
        text: input.text ?? '',
        team,
        user,
        channel: { id: channel.id, name: channel.isIm ? 'directmessage' : channel.name },
        apiAppId,
        responseUrl,
        triggerId,
      });
      const res = await form(body, input.forge);
      const outcome: CommandAckOutcome = res.withinAckBudget
        ? standIn.ui.applyCommandAck(channel.id, user.id, res.status, res.rawBody, responseUrl)
        : { kind: 'rejected', reason: `no answer within ${ACK_BUDGET_MS} ms (operation_timeout)` };
      return { ...res, outcome, triggerId, responseUrl };
    },

    async submitView(input) {
      const viewId = input.viewId ?? input.view?.id;
      if (!viewId) throw new Error('submitView needs viewId or view');
      const entry = openView(viewId);
      const userId = input.userId ?? entry.user;
      if (userId !== entry.user) throw new Error(`View ${viewId} belongs to ${entry.user}, not ${userId}`);
      const top = standIn.openViews(userId).at(-1);
      if (top?.id !== viewId) throw new Error(`View ${viewId} is not the top of ${userId}'s modal stack`);
      if (entry.view.submit === null || entry.view.submit === undefined) {
        throw new Error(`View ${viewId} has no submit button`);
      }
      const values = buildViewState(entry.view, input.values ?? {});
      standIn.ui.setViewState(viewId, values);
      const view = openView(viewId).view;
      const triggerId = standIn.issueTriggerId(userId);
      const responseUrls = responseUrlsFor(view, userId);
      const payload = buildViewSubmission({ team, user: actor(userId), apiAppId, view, triggerId, responseUrls });
      const res = await form(encodeInteractivityBody(payload), input.forge);
      const outcome: ViewSubmissionOutcome = res.withinAckBudget
        ? standIn.ui.applyViewSubmissionAck(viewId, res.status, res.rawBody)
        : { kind: 'rejected', reason: `no answer within ${ACK_BUDGET_MS} ms` };
      return { ...res, outcome, triggerId };
    },

    async closeView(input) {
      const entry = openView(input.viewId);
      const { cleared, view } = standIn.ui.closeView(input.viewId);
      if (!view.notify_on_close) return undefined;
      const payload = buildViewClosed({ team, user: actor(entry.user), apiAppId, view, isCleared: cleared });
      return form(encodeInteractivityBody(payload), input.forge);
    },

    async clickButton(input) {
      const { surface, responseUrl, element, blockId } = locate(input, input.userId, input.actionId, input.blockId);
      if (element.type !== 'button') throw new Error(`action_id "${input.actionId}" is a ${String(element.type)}`);
      if (input.value !== undefined && input.value !== element.value) {
        throw new Error(`The button's value is ${JSON.stringify(element.value)}; a person cannot send ${input.value}`);
      }
      const triggerId = standIn.issueTriggerId(input.userId);
      const action: Record<string, unknown> = {
        action_id: input.actionId,
        block_id: blockId,
        text: element.text,
        type: 'button',
        action_ts: actionTs(),
      };
      if (element.value !== undefined) action.value = element.value;
      if (element.style !== undefined) action.style = element.style;
      const payload = buildBlockActions({ team, user: actor(input.userId), apiAppId, triggerId, surface, action });
      const res = await form(encodeInteractivityBody(payload), input.forge);
      return { ...res, triggerId, ...(responseUrl ? { responseUrl } : {}) };
    },

    async selectOption(input) {
      const { surface, responseUrl, element, blockId } = locate(input, input.userId, input.actionId, input.blockId);
      const type = String(element.type);
      if (!['static_select', 'external_select', 'radio_buttons', 'overflow'].includes(type)) {
        throw new Error(`action_id "${input.actionId}" is a ${type}, not a single-choice element`);
      }
      const option = pickOption(element, input.value, `action_id "${input.actionId}"`);
      const triggerId = standIn.issueTriggerId(input.userId);
      const action = {
        action_id: input.actionId,
        block_id: blockId,
        type,
        selected_option: option,
        action_ts: actionTs(),
      };
      // Since 2020-09 block_actions carries the full state, including the choice just made (overflow has none).
      if (type !== 'overflow') {
        const entry = { type, selected_option: option };
        if (surface.kind === 'view') {
          const values = structuredClone(surface.view.state.values);
          values[blockId] = { ...values[blockId], [input.actionId]: entry };
          standIn.ui.setViewState(surface.view.id, values);
          surface.view = openView(surface.view.id).view;
        } else {
          surface.stateValues = { [blockId]: { [input.actionId]: entry } };
        }
      }
      const payload = buildBlockActions({ team, user: actor(input.userId), apiAppId, triggerId, surface, action });
      const res = await form(encodeInteractivityBody(payload), input.forge);
      return { ...res, triggerId, ...(responseUrl ? { responseUrl } : {}) };
    },

    async blockSuggestion(input) {
      const entry = openView(input.viewId);
      const userId = input.userId ?? entry.user;
      const found = [...walkElements(entry.view.blocks)].find(
        (e) => e.element.action_id === input.actionId && (input.blockId === undefined || e.blockId === input.blockId),
      );
      if (!found) throw new Error(`No element with action_id "${input.actionId}" in view ${input.viewId}`);
      const type = String(found.element.type);
      if (type !== 'external_select' && type !== 'multi_external_select') {
        throw new Error(`action_id "${input.actionId}" is a ${type}; only external selects ask for options`);
      }
      const minLength = typeof found.element.min_query_length === 'number' ? found.element.min_query_length : 3;
      if (input.value.length < minLength) {
        throw new Error(`Slack sends no block_suggestion before ${minLength} characters are typed`);
      }
      const payload = buildBlockSuggestion({
        team,
        user: actor(userId),
        apiAppId,
        view: entry.view,
        blockId: found.blockId ?? '',
        actionId: input.actionId,
        value: input.value,
      });
      const res = await form(encodeInteractivityBody(payload), input.forge);
      return { ...res, outcome: checkOptionsAnswer(res) };
    },

    async enterText(input) {
      const entry = openView(input.viewId);
      const userId = input.userId ?? entry.user;
      const { surface, element, blockId } = locate({ viewId: input.viewId }, userId, input.actionId, input.blockId);
      if (element.type !== 'plain_text_input') {
        throw new Error(`action_id "${input.actionId}" is a ${String(element.type)}, not a text input`);
      }
      const block = (entry.view.blocks as { block_id?: string; dispatch_action?: boolean }[]).find(
        (b) => b.block_id === blockId,
      );
      if (block?.dispatch_action !== true) {
        throw new Error(
          `block_id "${blockId}" has no dispatch_action: Slack sends the app nothing while a person types`,
        );
      }
      const entryState = { type: 'plain_text_input', value: input.value };
      if (surface.kind === 'view') {
        const values = structuredClone(surface.view.state.values);
        values[blockId] = { ...values[blockId], [input.actionId]: entryState };
        standIn.ui.setViewState(surface.view.id, values);
        surface.view = openView(surface.view.id).view;
      }
      const triggerId = standIn.issueTriggerId(userId);
      const action = {
        action_id: input.actionId,
        block_id: blockId,
        type: 'plain_text_input',
        value: input.value,
        action_ts: actionTs(),
      };
      const payload = buildBlockActions({ team, user: actor(userId), apiAppId, triggerId, surface, action });
      const res = await form(encodeInteractivityBody(payload), input.forge);
      return { ...res, triggerId };
    },

    async sendEvent(event, opts = {}) {
      eventSerial += 1;
      const body = JSON.stringify(
        buildEventCallback({
          teamId: team.id,
          apiAppId,
          botUserId: standIn.bot.userId,
          event,
          eventId: `Ev${String(eventSerial).padStart(8, '0')}`,
          eventTime: Math.floor(now() / 1000),
        }),
      );
      const headers: Record<string, string> = {};
      if (opts.retryNum !== undefined) headers['x-slack-retry-num'] = String(opts.retryNum);
      if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;
      return post(body, 'application/json', opts.forge, headers);
    },
  };

  /** Conversation selects with `response_url_enabled` give the app a response_url for the picked conversation. */
  function responseUrlsFor(view: ViewObject, userId: string) {
    const urls: { block_id: string; action_id: string; channel_id: string; response_url: string }[] = [];
    for (const { blockId, element } of walkElements(view.blocks)) {
      if (element.response_url_enabled !== true || blockId === undefined) continue;
      const actionId = String(element.action_id);
      const entry = view.state.values[blockId]?.[actionId];
      const channel = isObject(entry) ? (entry.selected_conversation ?? entry.selected_channel) : undefined;
      if (typeof channel !== 'string') continue;
      const url = standIn.issueResponseUrl(channel, userId);
      urls.push({ block_id: blockId, action_id: actionId, channel_id: channel, response_url: url });
    }
    return urls;
  }
}

/** The message object as Slack puts it in a block_actions payload. */
function presentForPayload(message: object): Record<string, unknown> {
  const { channel: _channel, ...rest } = message as Record<string, unknown>;
  return rest;
}

/** An `app.options` answer: `{options}` (≤ 100) or `{option_groups}` (≤ 100), each option ≤ 75/150 chars. */
/** What Slack makes of an app's answer to a block_suggestion: its options, or why it would show none. */
export function checkOptionsAnswer(res: { status: number; body: unknown }): { options: unknown[] } | { error: string } {
  if (res.status !== 200) return { error: `app answered HTTP ${res.status}` };
  if (!isObject(res.body)) return { error: 'answer is not a JSON object' };
  const groups = res.body.option_groups;
  const options = Array.isArray(res.body.options)
    ? res.body.options
    : Array.isArray(groups)
      ? groups.flatMap((g) => (isObject(g) && Array.isArray(g.options) ? g.options : []))
      : undefined;
  if (!options) return { error: 'answer has neither options nor option_groups' };
  if (options.length > 100 || (Array.isArray(groups) && groups.length > 100)) return { error: 'more than 100 options' };
  for (const o of options) {
    const text = isObject(o) && isObject(o.text) ? o.text.text : undefined;
    const value = isObject(o) ? o.value : undefined;
    if (typeof text !== 'string' || text.length === 0 || text.length > 75) return { error: 'option text must be 1–75' };
    if (typeof value !== 'string' || value.length === 0 || value.length > 150) {
      return { error: 'option value must be 1–150' };
    }
  }
  return { options };
}
