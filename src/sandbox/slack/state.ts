import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isObject } from './block-kit.js';
import { type Clock, IdSequence, TsSequence } from './ids.js';
import { Directory, type WorkspaceSeed } from './workspace.js';

/** A message as Slack stores it and returns it from conversations.replies (bot messages carry `bot_id`). */
export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  subtype?: 'thread_broadcast';
  metadata?: unknown;
  files?: { id: string; name: string; title: string }[];
  edited?: { user: string; ts: string };
}

/** An ephemeral message: seen by one person only, never returned by any read method. */
export interface StoredEphemeral {
  channel: string;
  user: string;
  /** chat.postEphemeral's `message_ts`. */
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  source: 'chat.postEphemeral' | 'response_url' | 'command_ack';
  deleted?: boolean;
}

/** A view as Slack returns it from views.* (the `view` field of responses and payloads). */
export interface ViewObject {
  id: string;
  team_id: string;
  type: 'modal' | 'home';
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: unknown[];
  private_metadata: string;
  callback_id: string;
  external_id: string;
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
  submit_disabled?: boolean;
  root_view_id: string | null;
  previous_view_id: string | null;
  app_id: string;
  app_installed_team_id: string;
  bot_id: string;
}

export interface TriggerRecord {
  user: string;
  issuedAt: number;
  used: boolean;
}

/** What a response_url can touch: the conversation it came from and, for a button click, the message clicked. */
export interface ResponseUrlRecord {
  token: string;
  channel: string;
  user: string;
  messageTs?: string;
  originalIsEphemeral: boolean;
  /**
   * A slash command's URL: its "original" is the ephemeral the command's ack showed. The app acks before it posts, so
   * a replace or delete that reaches the stand-in before the driver has applied the ack acts on the ack (`ackSuperseded`).
   */
  fromCommand?: boolean;
  ackSuperseded?: boolean;
  issuedAt: number;
  uses: number;
}

/** One POST to a response_url, with what it did. */
export interface ResponsePost {
  token: string;
  channel: string;
  user: string;
  at: number;
  body: unknown;
  status: number;
  outcome: string;
}

export interface FileRecord {
  id: string;
  name: string;
  title: string;
  length: number;
  uploaded?: { bytes: number; at: number };
  shared?: { channel: string; ts: string };
}

export interface StateOptions extends WorkspaceSeed {
  now: Clock;
}

/**
 * Everything the stand-in remembers. Every mutation calls `changed()`, which is what `waitFor` listens to: tests wait
 * for a state change instead of polling.
 */
export class SlackState {
  readonly directory: Directory;
  readonly now: Clock;
  readonly ts: TsSequence;
  readonly ids = new IdSequence();
  private readonly events = new EventEmitter();
  private hashCounter = 0;

  /** channel id → ts → message */
  readonly messages = new Map<string, Map<string, StoredMessage>>();
  readonly ephemerals: StoredEphemeral[] = [];
  readonly views = new Map<string, { view: ViewObject; user: string }>();
  /** user → modal view ids, root first (Slack's view stack). */
  readonly modalStacks = new Map<string, string[]>();
  /** user → published Home tab view id. */
  readonly homeViews = new Map<string, string>();
  readonly triggers = new Map<string, TriggerRecord>();
  readonly responseUrls = new Map<string, ResponseUrlRecord>();
  readonly files = new Map<string, FileRecord>();
  readonly responsePosts: ResponsePost[] = [];

  constructor(options: StateOptions) {
    this.now = options.now;
    this.ts = new TsSequence(options.now);
    this.directory = new Directory(options, options.now);
    this.events.setMaxListeners(0);
  }

  changed(): void {
    this.events.emit('change');
  }

  onChange(listener: () => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  channelMessages(channel: string): Map<string, StoredMessage> {
    let map = this.messages.get(channel);
    if (!map) {
      map = new Map();
      this.messages.set(channel, map);
    }
    return map;
  }

  findMessage(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(channel)?.get(ts);
  }

  addMessage(message: StoredMessage): StoredMessage {
    this.channelMessages(message.channel).set(message.ts, message);
    this.changed();
    return message;
  }

  /** Replies to `parentTs` in ts order, excluding the parent. */
  replies(channel: string, parentTs: string): StoredMessage[] {
    return [...this.channelMessages(channel).values()]
      .filter((m) => m.thread_ts === parentTs && m.ts !== parentTs)
      .sort((a, b) => compareTs(a.ts, b.ts));
  }

  /** A message with the thread summary fields Slack adds to a parent (`reply_count`, `latest_reply`…). */
  present(message: StoredMessage): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...structuredClone(message) };
    delete copy.channel;
    if (message.thread_ts === message.ts) {
      const replies = this.replies(message.channel, message.ts);
      copy.reply_count = replies.length;
      copy.reply_users = [...new Set(replies.map((r) => r.user))];
      copy.reply_users_count = (copy.reply_users as string[]).length;
      copy.latest_reply = replies.at(-1)?.ts;
    }
    if (message.thread_ts && message.thread_ts !== message.ts) {
      const parent = this.findMessage(message.channel, message.thread_ts);
      if (parent) copy.parent_user_id = parent.user;
    }
    if (message.bot_id) {
      copy.bot_profile = { id: message.bot_id, app_id: message.app_id, name: this.directory.bot.name };
    }
    return copy;
  }

  nextViewHash(): string {
    this.hashCounter += 1;
    return `${Math.floor(this.now() / 1000)}.${this.hashCounter.toString(16).padStart(8, '0')}`;
  }

  /** Ids shaped like Slack's trigger ids (`<seconds>.<number>.<hex>`), deterministic per stand-in. */
  issueTrigger(user: string): string {
    const issuedAt = this.now();
    const serial = this.triggers.size + 1;
    const hex = createHash('sha256').update(`trigger:${serial}:${issuedAt}`).digest('hex').slice(0, 32);
    const id = `${Math.floor(issuedAt / 1000)}.${serial}.${hex}`;
    this.triggers.set(id, { user, issuedAt, used: false });
    return id;
  }

  issueResponseUrl(record: Omit<ResponseUrlRecord, 'token' | 'issuedAt' | 'uses'>): ResponseUrlRecord {
    const serial = this.responseUrls.size + 1;
    const token = createHash('sha256').update(`response:${serial}:${this.now()}`).digest('hex').slice(0, 24);
    const full = { ...record, token, issuedAt: this.now(), uses: 0 };
    this.responseUrls.set(token, full);
    return full;
  }

  openModalStack(user: string): string[] {
    return this.modalStacks.get(user) ?? [];
  }
}

/** Compare Slack ts strings numerically (string comparison breaks when the seconds part changes length). */
export function compareTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(af) - Number(bf);
}

/**
 * Slack assigns a `block_id` to every block and an `action_id` to every element that lacks one, and those generated
 * ids are what come back in payloads and `state.values`. Deterministic here so tests can be replayed.
 */
export function assignMissingIds(blocks: unknown[], seed: string): unknown[] {
  let n = 0;
  const nextId = () => {
    n += 1;
    return createHash('sha1').update(`${seed}:${n}`).digest('base64url').slice(0, 5);
  };
  return blocks.map((raw) => {
    if (!isObject(raw)) return raw;
    const block: Record<string, unknown> = { ...raw };
    if (block.block_id === undefined) block.block_id = nextId();
    const fill = (el: unknown) =>
      isObject(el) && el.type !== 'image' && el.action_id === undefined ? { ...el, action_id: nextId() } : el;
    if (block.type === 'actions' && Array.isArray(block.elements)) block.elements = block.elements.map(fill);
    if (block.accessory !== undefined) block.accessory = fill(block.accessory);
    if (block.element !== undefined) block.element = fill(block.element);
    return block;
  });
}
