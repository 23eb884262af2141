/**
 * Pure builders for what Slack sends to an app's Request URL (/work/shared/docs/slack-platform.md §2). They take the
 * message or view the bot actually produced, so a test can only do what a person could do in Slack.
 */
import { isObject } from './block-kit.js';
import type { ViewObject } from './state.js';

type Json = Record<string, unknown>;

export interface Actor {
  id: string;
  name: string;
}

export interface TeamRef {
  id: string;
  domain: string;
}

/** The legacy verification token Slack still puts in every payload; Bolt ignores it in favour of signatures. */
export const VERIFICATION_TOKEN = 'sandbox-verification-token';

export interface SlashCommandFields {
  command: string;
  text: string;
  team: TeamRef;
  user: Actor;
  channel: { id: string; name: string };
  apiAppId: string;
  responseUrl: string;
  triggerId: string;
}

/** A slash command as Slack posts it: plain form fields, in the order Slack sends them. */
export function buildSlashCommandBody(f: SlashCommandFields): string {
  return new URLSearchParams({
    token: VERIFICATION_TOKEN,
    team_id: f.team.id,
    team_domain: f.team.domain,
    channel_id: f.channel.id,
    channel_name: f.channel.name,
    user_id: f.user.id,
    user_name: f.user.name,
    command: f.command,
    text: f.text,
    api_app_id: f.apiAppId,
    is_enterprise_install: 'false',
    response_url: f.responseUrl,
    trigger_id: f.triggerId,
  }).toString();
}

/** Interactivity payloads travel as one form field, `payload=<JSON>`. */
export function encodeInteractivityBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function userRef(user: Actor, team: TeamRef) {
  return { id: user.id, username: user.name, name: user.name, team_id: team.id };
}

export function buildViewSubmission(args: {
  team: TeamRef;
  user: Actor;
  apiAppId: string;
  view: ViewObject;
  triggerId: string;
  responseUrls?: { block_id: string; action_id: string; channel_id: string; response_url: string }[];
}): Json {
  return {
    type: 'view_submission',
    team: { id: args.team.id, domain: args.team.domain },
    user: userRef(args.user, args.team),
    api_app_id: args.apiAppId,
    token: VERIFICATION_TOKEN,
    trigger_id: args.triggerId,
    view: args.view,
    response_urls: args.responseUrls ?? [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function buildViewClosed(args: {
  team: TeamRef;
  user: Actor;
  apiAppId: string;
  view: ViewObject;
  isCleared: boolean;
}): Json {
  return {
    type: 'view_closed',
    team: { id: args.team.id, domain: args.team.domain },
    user: userRef(args.user, args.team),
    api_app_id: args.apiAppId,
    token: VERIFICATION_TOKEN,
    view: args.view,
    is_cleared: args.isCleared,
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** Where the clicked element lives: a (possibly ephemeral) message in a channel, or a view. */
export type ActionSurface =
  | {
      kind: 'message';
      channel: { id: string; name: string };
      messageTs: string;
      /** The message as Slack returns it; omitted for ephemeral messages, which Slack does not keep. */
      message?: Json;
      isEphemeral: boolean;
      responseUrl: string;
      stateValues?: Record<string, Record<string, unknown>>;
    }
  | { kind: 'view'; view: ViewObject };

export function buildBlockActions(args: {
  team: TeamRef;
  user: Actor;
  apiAppId: string;
  triggerId: string;
  surface: ActionSurface;
  action: Json;
}): Json {
  const base: Json = {
    type: 'block_actions',
    user: userRef(args.user, args.team),
    api_app_id: args.apiAppId,
    token: VERIFICATION_TOKEN,
    trigger_id: args.triggerId,
    team: { id: args.team.id, domain: args.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    actions: [args.action],
  };
  const s = args.surface;
  if (s.kind === 'view') {
    return { ...base, container: { type: 'view', view_id: s.view.id }, view: s.view, state: s.view.state };
  }
  return {
    ...base,
    container: { type: 'message', message_ts: s.messageTs, channel_id: s.channel.id, is_ephemeral: s.isEphemeral },
    channel: s.channel,
    ...(s.message ? { message: s.message } : {}),
    state: { values: s.stateValues ?? {} },
    response_url: s.responseUrl,
  };
}

export function buildBlockSuggestion(args: {
  team: TeamRef;
  user: Actor;
  apiAppId: string;
  view: ViewObject;
  blockId: string;
  actionId: string;
  value: string;
}): Json {
  return {
    type: 'block_suggestion',
    user: userRef(args.user, args.team),
    container: { type: 'view', view_id: args.view.id },
    api_app_id: args.apiAppId,
    token: VERIFICATION_TOKEN,
    action_id: args.actionId,
    block_id: args.blockId,
    value: args.value,
    team: { id: args.team.id, domain: args.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    view: args.view,
  };
}

/** An Events API delivery (JSON body, `type: 'event_callback'`). */
export function buildEventCallback(args: {
  teamId: string;
  apiAppId: string;
  botUserId: string;
  event: Json;
  eventId: string;
  eventTime: number;
}): Json {
  return {
    token: VERIFICATION_TOKEN,
    team_id: args.teamId,
    api_app_id: args.apiAppId,
    event: { event_ts: `${args.eventTime}.000000`, ...args.event },
    type: 'event_callback',
    event_id: args.eventId,
    event_time: args.eventTime,
    authorizations: [
      {
        enterprise_id: null,
        team_id: args.teamId,
        user_id: args.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// view.state.values
// ---------------------------------------------------------------------------------------------------------------------

/**
 * What a test says the person entered, per block_id and action_id: a string (typed text, or the value of the option
 * picked), a string array (multi-select, checkboxes), null (left empty), or a full Slack state object.
 */
export type StateInput = string | string[] | null | Json;
export type ViewValues = Record<string, Record<string, StateInput>>;

interface StatefulElement {
  blockId: string;
  block: Json;
  element: Json;
  actionId: string;
  type: string;
}

function statefulElements(view: ViewObject): Map<string, StatefulElement> {
  const found = new Map<string, StatefulElement>();
  for (const block of view.blocks) {
    if (!isObject(block) || typeof block.block_id !== 'string') continue;
    const candidates: unknown[] = [];
    if (block.type === 'input') candidates.push(block.element);
    if (block.type === 'section') candidates.push(block.accessory);
    if (block.type === 'actions' && Array.isArray(block.elements)) candidates.push(...block.elements);
    for (const el of candidates) {
      if (!isObject(el) || typeof el.action_id !== 'string' || typeof el.type !== 'string') continue;
      if (el.type === 'button' || el.type === 'overflow' || el.type === 'workflow_button') continue;
      found.set(`${block.block_id}\u0000${el.action_id}`, {
        blockId: block.block_id,
        block,
        element: el,
        actionId: el.action_id,
        type: el.type,
      });
    }
  }
  return found;
}

function optionsOf(element: Json): Json[] {
  const list: Json[] = [];
  if (Array.isArray(element.options)) list.push(...element.options.filter(isObject));
  if (Array.isArray(element.option_groups)) {
    for (const group of element.option_groups) {
      if (isObject(group) && Array.isArray(group.options)) list.push(...group.options.filter(isObject));
    }
  }
  return list;
}

/** Find the option a person picked; they can only pick what the bot offered. */
export function pickOption(element: Json, value: string, where: string): Json {
  if (element.type === 'external_select' || element.type === 'multi_external_select') {
    return { text: { type: 'plain_text', text: value, emoji: true }, value };
  }
  const option = optionsOf(element).find((o) => o.value === value);
  if (!option) {
    const offered = optionsOf(element).map((o) => String(o.value));
    throw new Error(`${where}: "${value}" is not one of the offered options [${offered.join(', ')}]`);
  }
  return structuredClone(option);
}

function asList(input: StateInput, where: string): string[] {
  if (input === null) return [];
  if (Array.isArray(input)) return input;
  if (typeof input === 'string') return [input];
  throw new Error(`${where}: expected a string or string array`);
}

function asString(input: StateInput, where: string): string | null {
  if (input === null || typeof input === 'string') return input === '' ? null : input;
  throw new Error(`${where}: expected a string`);
}

/** The state entry Slack would report for `input` in this element. */
function stateEntry(el: StatefulElement, input: StateInput, where: string): Json {
  if (isObject(input)) {
    if (input.type !== undefined && input.type !== el.type) {
      throw new Error(`${where}: state type ${String(input.type)} does not match element type ${el.type}`);
    }
    return { type: el.type, ...input };
  }
  const e = el.element;
  switch (el.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const value = asString(input, where);
      if (value !== null) checkTyped(e, el.type, value, where);
      return { type: el.type, value };
    }
    case 'static_select':
    case 'external_select':
    case 'radio_buttons': {
      const value = asString(input, where);
      return { type: el.type, selected_option: value === null ? null : pickOption(e, value, where) };
    }
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes': {
      const values = asList(input, where);
      if (typeof e.max_selected_items === 'number' && values.length > e.max_selected_items) {
        throw new Error(`${where}: at most ${e.max_selected_items} items can be selected`);
      }
      return { type: el.type, selected_options: values.map((v) => pickOption(e, v, where)) };
    }
    case 'users_select':
      return { type: el.type, selected_user: asString(input, where) };
    case 'multi_users_select':
      return { type: el.type, selected_users: asList(input, where) };
    case 'conversations_select':
      return { type: el.type, selected_conversation: asString(input, where) };
    case 'multi_conversations_select':
      return { type: el.type, selected_conversations: asList(input, where) };
    case 'channels_select':
      return { type: el.type, selected_channel: asString(input, where) };
    case 'multi_channels_select':
      return { type: el.type, selected_channels: asList(input, where) };
    case 'datepicker':
      return { type: el.type, selected_date: asString(input, where) };
    case 'timepicker':
      return { type: el.type, selected_time: asString(input, where) };
    case 'datetimepicker': {
      const value = asString(input, where);
      return { type: el.type, selected_date_time: value === null ? null : Number(value) };
    }
    default:
      throw new Error(`${where}: pass a full state object for a ${el.type} element`);
  }
}

/** Client-side checks Slack's UI applies before it lets a person submit. */
function checkTyped(element: Json, type: string, value: string, where: string): void {
  if (type === 'plain_text_input') {
    if (typeof element.max_length === 'number' && value.length > element.max_length) {
      throw new Error(`${where}: longer than max_length ${element.max_length}`);
    }
    if (typeof element.min_length === 'number' && value.length < element.min_length) {
      throw new Error(`${where}: shorter than min_length ${element.min_length}`);
    }
  }
  if (type === 'number_input') {
    const n = Number(value);
    if (value.trim() === '' || Number.isNaN(n)) throw new Error(`${where}: "${value}" is not a number`);
    if (element.is_decimal_allowed !== true && !Number.isInteger(n)) throw new Error(`${where}: decimals not allowed`);
    if (element.min_value !== undefined && n < Number(element.min_value)) throw new Error(`${where}: below min_value`);
    if (element.max_value !== undefined && n > Number(element.max_value)) throw new Error(`${where}: above max_value`);
  }
  if (type === 'email_text_input' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    throw new Error(`${where}: "${value}" is not an email address`);
  }
  if (type === 'url_text_input' && !/^https?:\/\/\S+$/.test(value))
    throw new Error(`${where}: "${value}" is not a URL`);
}

/** What an untouched element reports: its initial value, else empty. */
function initialEntry(el: StatefulElement): Json {
  const e = el.element;
  const initial: Record<string, [string, unknown]> = {
    plain_text_input: ['value', e.initial_value ?? null],
    email_text_input: ['value', e.initial_value ?? null],
    url_text_input: ['value', e.initial_value ?? null],
    number_input: ['value', e.initial_value ?? null],
    static_select: ['selected_option', e.initial_option ?? null],
    external_select: ['selected_option', e.initial_option ?? null],
    radio_buttons: ['selected_option', e.initial_option ?? null],
    multi_static_select: ['selected_options', e.initial_options ?? []],
    multi_external_select: ['selected_options', e.initial_options ?? []],
    checkboxes: ['selected_options', e.initial_options ?? []],
    users_select: ['selected_user', e.initial_user ?? null],
    multi_users_select: ['selected_users', e.initial_users ?? []],
    conversations_select: ['selected_conversation', e.initial_conversation ?? null],
    multi_conversations_select: ['selected_conversations', e.initial_conversations ?? []],
    channels_select: ['selected_channel', e.initial_channel ?? null],
    multi_channels_select: ['selected_channels', e.initial_channels ?? []],
    datepicker: ['selected_date', e.initial_date ?? null],
    timepicker: ['selected_time', e.initial_time ?? null],
    datetimepicker: ['selected_date_time', e.initial_date_time ?? null],
  };
  const entry = initial[el.type];
  return entry ? { type: el.type, [entry[0]]: structuredClone(entry[1]) } : { type: el.type };
}

function isEmptyEntry(entry: Json): boolean {
  return Object.entries(entry).every(
    ([key, v]) => key === 'type' || v === null || v === undefined || (Array.isArray(v) && v.length === 0),
  );
}

/**
 * `view.state.values` for a submission of `view`, from what the person entered. Throws when the input names a
 * block_id/action_id the view does not have, picks an option the bot did not offer, or leaves a required input
 * empty: a person could not do any of those in Slack.
 */
export function buildViewState(view: ViewObject, values: ViewValues): ViewObject['state']['values'] {
  const elements = statefulElements(view);
  const state: ViewObject['state']['values'] = structuredClone(view.state.values);
  for (const [blockId, actions] of Object.entries(values)) {
    for (const [actionId, input] of Object.entries(actions)) {
      const where = `view ${view.id} (${view.callback_id || 'no callback_id'}) block_id "${blockId}" action_id "${actionId}"`;
      const el = elements.get(`${blockId}\u0000${actionId}`);
      if (!el) {
        const known = [...elements.values()].map((e) => `${e.blockId}/${e.actionId}`).join(', ');
        throw new Error(`${where}: the view has no such input (it has: ${known || 'none'})`);
      }
      state[blockId] = { ...state[blockId], [actionId]: stateEntry(el, input, where) };
    }
  }
  for (const el of elements.values()) {
    if (el.block.type !== 'input') continue;
    const entry = state[el.blockId]?.[el.actionId];
    const resolved = isObject(entry) ? entry : initialEntry(el);
    if (el.block.optional !== true && isEmptyEntry(resolved)) {
      throw new Error(
        `view ${view.id}: required input block_id "${el.blockId}" is empty; Slack would not let the person submit`,
      );
    }
    state[el.blockId] = { ...state[el.blockId], [el.actionId]: resolved };
  }
  return state;
}
