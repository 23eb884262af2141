import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatMethods } from './api-chat.js';
import { type ApiArgs, type ApiBody, ApiFailure, type MethodContext, type MethodHandler } from './api-common.js';
import { directoryMethods } from './api-directory.js';
import { fileMethods } from './api-files.js';
import { viewMethods } from './api-views.js';
import { LIMITS } from './block-kit.js';
import { parseApiBody, readRawBody, uploadedBytes } from './http-body.js';
import type { Clock } from './ids.js';
import { FaultInjector, RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { handleResponseUrl } from './response-url.js';
import {
  compareTs,
  type FileRecord,
  type ResponsePost,
  SlackState,
  type StoredEphemeral,
  type StoredMessage,
  type ViewObject,
} from './state.js';
import {
  applyCommandAck,
  applyViewSubmissionAck,
  type CommandAckOutcome,
  closeView,
  setViewState,
  type ViewSubmissionOutcome,
} from './ui.js';
import type { BotIdentity, SeedChannel, SeedUser, TeamInfo, WorkspaceSeed } from './workspace.js';

export interface SlackStandInOptions extends WorkspaceSeed {
  /** Bot token the app must present as `Authorization: Bearer …`. Default `xoxb-sandbox-token`. */
  botToken?: string;
  port?: number;
  host?: string;
  /** Epoch ms; drives trigger expiry, response_url expiry, rate limits and message ts. Default `Date.now`. */
  now?: Clock;
  /** Rate limits per Slack's tiers; `false` disables them. */
  rateLimits?: RateLimitOptions | false;
  /** trigger_id lifetime; Slack's is 3 s. */
  triggerTtlMs?: number;
  /** Threshold for the undocumented aggregate `msg_blocks_too_long` (characters of block text). */
  blockTextLimit?: number;
}

/** One Web API call as the stand-in saw it. `args` has the token removed. */
export interface RecordedCall {
  method: string;
  args: ApiArgs;
  at: number;
  status: number;
  response: ApiBody | string;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Shown in the timeout error, to say what was being waited for. */
  description?: string;
}

export interface SlackStandIn {
  /** Pass as Bolt `clientOptions.slackApiUrl`: `http://127.0.0.1:PORT/api/`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  readonly botToken: string;
  readonly team: TeamInfo;
  readonly bot: BotIdentity;
  readonly calls: readonly RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Current messages of a conversation in ts order (after updates), replies included unless `topLevelOnly`. */
  messages(channel: string, opts?: { topLevelOnly?: boolean }): StoredMessage[];
  message(channel: string, ts: string): StoredMessage | undefined;
  threadReplies(channel: string, parentTs: string): StoredMessage[];
  /** Ephemeral messages shown to `user` (all users if omitted), from chat.postEphemeral, response_url or acks. */
  ephemerals(user?: string): StoredEphemeral[];
  responsePosts(): ResponsePost[];
  /** The user's open modal stack, root first. */
  openViews(user: string): ViewObject[];
  homeView(user: string): ViewObject | undefined;
  view(viewId: string): { view: ViewObject; user: string } | undefined;
  files(): FileRecord[];
  /** People in the workspace (not the bot). */
  users(): { id: string; name: string; realName: string; deleted: boolean }[];
  channel(id: string): ChannelSnapshot | undefined;
  /** Resolve with the predicate's first truthy value, re-checking on every state change (no polling). */
  waitFor<T>(predicate: (standIn: SlackStandIn) => T | undefined | null | false, opts?: WaitOptions): Promise<T>;

  issueTriggerId(userId?: string): string;
  issueResponseUrl(
    channel: string,
    user: string,
    opts?: { messageTs?: string; ephemeral?: boolean; fromCommand?: boolean },
  ): string;

  addUser(user: SeedUser): void;
  addChannel(channel: SeedChannel): void;
  setUserGroupMembers(idOrHandle: string, members: string[]): void;
  setChannelMembers(channel: string, members: string[]): void;
  removeBotFromChannel(channel: string): void;
  addBotToChannel(channel: string): void;
  archiveChannel(channel: string): void;
  /** Seed a message written by a person (not the bot); returns its ts. */
  postUserMessage(channel: string, user: string, text: string, opts?: { threadTs?: string }): string;

  readonly faults: Pick<FaultInjector, 'rateLimitNext' | 'serverErrorNext' | 'configure' | 'clear'>;
  setRateLimits(options: RateLimitOptions): void;

  /** What Slack's client does for a person: used by the driver, usable by tests. */
  readonly ui: {
    applyViewSubmissionAck(viewId: string, status: number, body: string): ViewSubmissionOutcome;
    /** `responseUrl`: the command's, so a later replace_original/delete_original acts on the ack's ephemeral. */
    applyCommandAck(
      channel: string,
      user: string,
      status: number,
      body: string,
      responseUrl?: string,
    ): CommandAckOutcome;
    setViewState(viewId: string, values: ViewObject['state']['values']): void;
    closeView(viewId: string): { cleared: boolean; view: ViewObject };
  };

  close(): Promise<void>;
}

/** A conversation as tests see it: members as an array, the bot's membership separate. */
export interface ChannelSnapshot {
  id: string;
  name: string;
  members: string[];
  botIsMember: boolean;
  isPrivate: boolean;
  isArchived: boolean;
  isIm: boolean;
  user?: string;
}

const METHODS: Record<string, MethodHandler> = {
  ...directoryMethods,
  ...chatMethods,
  ...viewMethods,
  ...fileMethods,
};

/** Start a local Slack Web API stand-in on loopback. */
export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const now = options.now ?? Date.now;
  const botToken = options.botToken ?? 'xoxb-sandbox-token';
  const state = new SlackState({ ...options, now });
  const limiter = new RateLimiter(now, options.rateLimits === false ? { enabled: false } : (options.rateLimits ?? {}));
  const faults = new FaultInjector();
  const calls: RecordedCall[] = [];
  const ctx: MethodContext = {
    state,
    origin: '',
    triggerTtlMs: options.triggerTtlMs ?? 3000,
    blockTextLimit: options.blockTextLimit ?? LIMITS.messageBlockText,
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`stand-in error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const raw = await readRawBody(req);
    const contentType = req.headers['content-type'];
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (req.method === 'POST' && api?.[1]) return handleApi(api[1], req, res, raw, contentType);
    const response = /^\/response\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (req.method === 'POST' && response?.[1]) {
      const answer = handleResponseUrl(state, response[1], raw.toString('utf8'), contentType, ctx.blockTextLimit);
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(answer.body);
      return;
    }
    const upload = /^\/upload\/v1\/([A-Z0-9]+)$/.exec(url.pathname);
    if (req.method === 'POST' && upload?.[1]) {
      const file = state.files.get(upload[1]);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('file_not_found');
        return;
      }
      file.uploaded = { bytes: await uploadedBytes(raw, contentType), at: now() };
      state.changed();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${file.uploaded.bytes}`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  async function handleApi(
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    contentType: string | undefined,
  ): Promise<void> {
    const parsed = await parseApiBody(raw, contentType);
    const args = parsed.ok ? parsed.args : {};
    const { token: bodyToken, ...loggedArgs } = args;
    const record = (status: number, response: ApiBody | string, headers: Record<string, string> = {}) => {
      calls.push({ method, args: loggedArgs, at: now(), status, response });
      const isJson = typeof response !== 'string';
      res.writeHead(status, {
        'content-type': isJson ? 'application/json; charset=utf-8' : 'text/plain',
        ...headers,
      });
      res.end(isJson ? JSON.stringify(response) : response);
      state.changed();
    };

    const fault = faults.decide(method);
    if (fault?.kind === 'ratelimited') {
      return record(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterSec) });
    }
    if (fault?.kind === 'server_error') return record(fault.status, 'upstream error (injected fault)');
    if (!METHODS[method]) return record(200, { ok: false, error: 'unknown_method', req_method: method });
    if (!parsed.ok) return record(200, { ok: false, error: parsed.error });

    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : bodyToken;
    if (token === undefined || token === '') return record(200, { ok: false, error: 'not_authed' });
    if (token !== botToken) return record(200, { ok: false, error: 'invalid_auth' });

    // Pace per conversation, however the caller named it (`C…`, `#name`, or a user id for the DM).
    const ref = method === 'chat.postMessage' && typeof args.channel === 'string' ? args.channel : undefined;
    const perChannel = ref === undefined ? undefined : (state.directory.resolveChannel(ref)?.id ?? ref);
    const throttle = limiter.check(method, perChannel);
    if (throttle.limited) {
      return record(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(throttle.retryAfterSec) });
    }

    const handler = METHODS[method];
    let answer: ApiBody;
    try {
      answer = handler ? handler(ctx, args) : { ok: false, error: 'unknown_method' };
    } catch (err) {
      if (err instanceof ApiFailure) return record(200, err.toBody());
      // A bug in the stand-in itself: answer like a Slack outage, and keep it in the log where a test can see it.
      return record(500, `stand-in error in ${method}: ${err instanceof Error ? err.stack : String(err)}`);
    }
    record(200, answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const origin = `http://${address}:${port}`;
  ctx.origin = origin;

  const standIn: SlackStandIn = {
    apiUrl: `${origin}/api/`,
    origin,
    port,
    botToken,
    team: state.directory.team,
    bot: state.directory.bot,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages(channel, opts = {}) {
      const all = [...state.channelMessages(channel).values()].sort((a, b) => compareTs(a.ts, b.ts));
      const list = opts.topLevelOnly
        ? all.filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
        : all;
      return structuredClone(list);
    },
    message: (channel, ts) => structuredClone(state.findMessage(channel, ts)),
    threadReplies: (channel, parentTs) => structuredClone(state.replies(channel, parentTs)),
    ephemerals: (user) =>
      structuredClone(state.ephemerals.filter((e) => !e.deleted && (user === undefined || e.user === user))),
    responsePosts: () => structuredClone(state.responsePosts),
    openViews: (user) =>
      state
        .openModalStack(user)
        .map((id) => state.views.get(id)?.view)
        .filter((v): v is ViewObject => v !== undefined)
        .map((v) => structuredClone(v)),
    homeView(user) {
      const id = state.homeViews.get(user);
      return id ? structuredClone(state.views.get(id)?.view) : undefined;
    },
    view: (viewId) => structuredClone(state.views.get(viewId)),
    files: () => structuredClone([...state.files.values()]),
    users: () =>
      state.directory.allUsers().map((u) => ({ id: u.id, name: u.name, realName: u.realName, deleted: u.deleted })),
    channel(id) {
      const c = state.directory.channel(id);
      if (!c) return undefined;
      return {
        id: c.id,
        name: c.name,
        members: [...c.members],
        botIsMember: c.botIsMember,
        isPrivate: c.isPrivate,
        isArchived: c.isArchived,
        isIm: c.isIm,
        ...(c.user ? { user: c.user } : {}),
      };
    },
    waitFor: (predicate, opts) => waitFor(state, () => predicate(standIn), opts),

    issueTriggerId(userId) {
      const user = userId ?? state.directory.allUsers()[0]?.id;
      if (!user) throw new Error('issueTriggerId needs a user: the workspace has none');
      return state.issueTrigger(user);
    },
    issueResponseUrl(channel, user, opts = {}) {
      const record = state.issueResponseUrl({
        channel,
        user,
        originalIsEphemeral: opts.ephemeral ?? false,
        ...(opts.messageTs ? { messageTs: opts.messageTs } : {}),
        ...(opts.fromCommand ? { fromCommand: true } : {}),
      });
      return `${origin}/response/${record.token}`;
    },

    addUser: (user) => mutate(() => state.directory.addUser(user)),
    addChannel: (channel) => mutate(() => state.directory.addChannel(channel)),
    setUserGroupMembers: (group, members) => mutate(() => state.directory.setUserGroupMembers(group, members)),
    setChannelMembers: (channel, members) => mutate(() => state.directory.setChannelMembers(channel, members)),
    removeBotFromChannel: (channel) => mutate(() => state.directory.setBotMembership(channel, false)),
    addBotToChannel: (channel) => mutate(() => state.directory.setBotMembership(channel, true)),
    archiveChannel: (channel) => mutate(() => state.directory.archiveChannel(channel)),
    postUserMessage(channel, user, text, opts = {}) {
      if (!state.directory.channel(channel)) throw new Error(`No channel ${channel}`);
      const ts = state.ts.next();
      const parent = opts.threadTs ? state.findMessage(channel, opts.threadTs) : undefined;
      if (opts.threadTs && !parent) throw new Error(`No message ${opts.threadTs} in ${channel}`);
      if (parent) parent.thread_ts = parent.ts;
      state.addMessage({
        type: 'message',
        channel,
        ts,
        text,
        user,
        team: state.directory.team.id,
        ...(parent ? { thread_ts: parent.ts } : {}),
      });
      return ts;
    },

    faults,
    setRateLimits: (rateLimits) => limiter.configure(rateLimits),
    ui: {
      applyViewSubmissionAck: (viewId, status, body) => applyViewSubmissionAck(ctx, viewId, status, body),
      applyCommandAck: (channel, user, status, body, responseUrl) =>
        applyCommandAck(ctx, channel, user, status, body, responseUrl),
      setViewState: (viewId, values) => setViewState(ctx, viewId, values),
      closeView: (viewId) => closeView(ctx, viewId),
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };

  function mutate(change: () => void): void {
    change();
    state.changed();
  }

  return standIn;
}

function waitFor<T>(state: SlackState, check: () => T | undefined | null | false, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise<T>((resolve, reject) => {
    // A throwing predicate must fail the wait, not the request whose state change triggered it.
    const attempt = (): boolean => {
      try {
        const value = check();
        if (!value) return false;
        resolve(value);
      } catch (err) {
        reject(err);
      }
      return true;
    };
    if (attempt()) return;
    const stop = state.onChange(() => {
      if (attempt()) cleanup();
    });
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`waitFor timed out after ${timeoutMs} ms${opts.description ? `: ${opts.description}` : ''}`));
    }, timeoutMs);
    function cleanup() {
      stop();
      clearTimeout(timer);
    }
  });
}
