/**
 * The HTTP receiver for requests from Slack: Bolt's `Receiver` extension point (init/start/stop, then
 * `app.processEvent({ body, ack })`), in place of Bolt's HTTPReceiver, which it mirrors answer for answer:
 * 401 (empty) for a missing, wrong or stale signature; 400 for a body that does not parse; 413 over the body limit;
 * `ssl_check=1` and `url_verification` answered without a listener (an unsigned ssl_check only when its body is
 * tiny); the form read only when the content type is
 * exactly `application/x-www-form-urlencoded` (anything else goes through JSON.parse, as in Bolt); a second ack
 * throws ReceiverMultipleAckError; an error before the ack answers 500 (401 for an authorization error); a request
 * nobody acknowledged answers 404 after 3001 ms.
 *
 * Why not HTTPReceiver: it reads every form body twice with node:querystring (once to look for ssl_check before
 * verifying, once to parse) and copies the body to a string twice. For a modal submission (about 12 KB, the whole
 * view comes back) that was a fifth of the bot's CPU per acknowledgement, and acknowledgements queue behind each
 * other when 50 arrive at once. Here the form is read once, with native decodeURIComponent, and the signature is
 * checked over the raw bytes Slack signed.
 *
 * Nothing before authentication costs more than a hash: the HMAC is checked over the raw bytes before any decoding or
 * parsing, bodies are capped at what Slack really sends (512 KiB, not Bolt's 4 MB), and the server drops senders that
 * trickle headers or bodies, idle keep-alive sockets, and connections past a cap.
 *
 * Stricter than Bolt in one way: a timestamp more than five minutes in the future is refused too (Slack's own
 * advice, `abs(now - ts) > 300`); Bolt refuses only old ones.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ListenOptions } from 'node:net';
import { unescape as lenientUnescape } from 'node:querystring';
import { type App, AuthorizationError, type Receiver, type ReceiverEvent, ReceiverMultipleAckError } from '@slack/bolt';
import type { Logger } from '../logger.js';
import { withAnswerDeadline } from '../services/access/answer-deadline.js';

export interface HttpRoute {
  path: string;
  method: string;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface SlackReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Where Slack posts commands, interactivity and events. */
  endpoint?: string;
  /** Other routes on the same server (health, metrics). */
  routes?: readonly HttpRoute[];
  /** Default {@link DEFAULT_BODY_LIMIT_BYTES}. */
  bodyLimitBytes?: number;
  /** Node's HTTP server limits; defaults in {@link DEFAULT_SERVER_LIMITS}. Tests shorten them. */
  serverLimits?: Partial<ServerLimits>;
  /** Bolt's default: 3001 ms, just past Slack's 3 s. */
  unhandledRequestTimeoutMs?: number;
  /**
   * After this long from receipt, no permission check allows work any more (see answer-deadline.ts): the ack must
   * still reach Slack within its 3 s. Default {@link DEFAULT_ANSWER_BUDGET_MS}.
   */
  answerBudgetMs?: number;
  /** For tests of staleness. */
  nowMs?: () => number;
  /**
   * Why a signed, parsed body is not for this bot (another app or workspace sharing the signing secret), or
   * undefined to accept it. Such a request is answered 401 before any listener runs.
   */
  foreignReason?: (body: Record<string, unknown>) => string | undefined;
}

const FORM = 'application/x-www-form-urlencoded';
const MAX_SKEW_SEC = 5 * 60;
/**
 * The largest body taken: 512 KiB. Slack's biggest request is an interaction that carries a whole view (Slack refuses
 * views over 250 kB, `view_too_large`), form-encoded, which grows JSON by roughly a half; the bot's own modals come
 * back at about 12 KB. Bolt's 4 MB let an unsigned sender make the bot read and hash eight times more than Slack ever
 * sends.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 512 * 1024;

/**
 * An unsigned `ssl_check=1&token=…` post is a few dozen bytes; only a body this small is read to look for it, so an
 * unsigned request never costs a parse of a large body.
 */
const SSL_CHECK_MAX_BYTES = 256;

export interface ServerLimits {
  /** Time to receive the request headers (slow senders hold a socket otherwise). */
  headersTimeoutMs: number;
  /** Time to receive the whole request. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; more are refused at once. */
  maxConnections: number;
  /** Headers per request at most. */
  maxHeadersCount: number;
  /** How often Node checks the header and request timeouts. */
  checkIntervalMs: number;
}

/**
 * Slack sends each request on its own within 3 s and keeps few connections open; a sender that trickles headers or a
 * body, or opens hundreds of sockets, is not Slack.
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxHeadersCount: 100,
  checkIntervalMs: 1_000,
});

/** Applies the limits to a server built with `connectionsCheckingInterval` already set. */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = limits.maxHeadersCount;
}

/** A Node HTTP server with the limits above. */
export function createLimitedServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  overrides: Partial<ServerLimits> = {},
): Server {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...overrides };
  const server = createServer({ connectionsCheckingInterval: limits.checkIntervalMs }, handler);
  applyServerLimits(server, limits);
  return server;
}

/** Slack's 3 s less room for recording the request and for the answer's trip back. */
export const DEFAULT_ANSWER_BUDGET_MS = 2_500;

export type FormFields = Record<string, string | string[]>;

/**
 * Reads an `application/x-www-form-urlencoded` body as node:querystring would (null prototype, repeated keys become
 * arrays, malformed escapes kept), with the decoding done natively.
 */
export function parseForm(text: string): FormFields {
  const fields: FormFields = Object.create(null);
  if (text === '') return fields;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    const existing = fields[key];
    if (existing === undefined) fields[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[key] = [existing, value];
  }
  return fields;
}

const ESCAPE = /%[0-9a-fA-F]{2}/;

function decodeFormComponent(raw: string): string {
  const spaced = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  // Like querystring: no %XX escape, nothing to decode (a lone % stays).
  if (!ESCAPE.test(spaced)) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A stray % or a broken UTF-8 sequence: keep what cannot be decoded, as querystring does.
    return lenientUnescape(spaced);
  }
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Slack's v0 request signature over the raw body, and a timestamp within five minutes of now. */
export function checkSlackSignature(input: {
  signingSecret: string;
  rawBody: Buffer;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  nowMs: number;
}): SignatureCheck {
  const { signature, timestamp } = input;
  if (typeof signature !== 'string') return { ok: false, reason: 'no x-slack-signature header' };
  if (typeof timestamp !== 'string' || !/^\d+$/.test(timestamp)) {
    return { ok: false, reason: 'no valid x-slack-request-timestamp header' };
  }
  if (Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SEC) {
    return { ok: false, reason: 'timestamp more than five minutes from now (stale or replayed)' };
  }
  if (!signature.startsWith('v0=')) return { ok: false, reason: 'unknown signature version' };
  const expected = createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:`).update(input.rawBody).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}

/** A small form body whose ssl_check field is 1 (the only unsigned request answered). */
export function isSslCheck(rawBody: Buffer): boolean {
  if (rawBody.length > SSL_CHECK_MAX_BYTES) return false;
  return parseForm(rawBody.toString('utf8')).ssl_check === '1';
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function respond(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined || body === null || body === '') {
    res.writeHead(status);
    res.end();
  } else if (typeof body === 'string') {
    res.writeHead(status);
    res.end(body);
  } else {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

export class SlackReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private readonly endpoint: string;
  private readonly routes: readonly HttpRoute[];
  private readonly bodyLimit: number;
  private readonly unhandledTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SlackReceiverOptions) {
    if (!options.signingSecret) throw new Error('SlackReceiver needs the signing secret');
    this.endpoint = options.endpoint ?? '/slack/events';
    this.routes = options.routes ?? [];
    this.bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    this.unhandledTimeoutMs = options.unhandledRequestTimeoutMs ?? 3001;
    this.now = options.nowMs ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  /** Same arguments as Bolt's HTTPReceiver: a port, or listen options. Resolves with the listening server. */
  start(portOrOptions: number | ListenOptions = 3000): Promise<Server> {
    if (this.server) return Promise.reject(new Error('the Slack receiver is already listening'));
    const server = createLimitedServer((req, res) => this.route(req, res), this.options.serverLimits);
    this.server = server;
    const listenOptions = typeof portOrOptions === 'number' ? { port: portOrOptions } : portOrOptions;
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        this.server = undefined; // never listened: nothing for stop() to close
        reject(error);
      };
      server.once('error', failed);
      server.listen(listenOptions, () => {
        server.off('error', failed);
        resolve(server);
      });
    });
  }

  /** Stops accepting connections; requests already read are still answered. */
  stop(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === this.endpoint && req.method === 'POST') {
      this.readBody(req, res);
      return;
    }
    const route = this.routes.find((r) => r.path === path && r.method === req.method);
    if (!route) {
      respond(res, 404);
      return;
    }
    try {
      route.handler(req, res);
    } catch (error) {
      this.options.logger.error({ err: error, path }, 'an HTTP route failed');
      respond(res, 500);
    }
  }

  private readBody(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers['content-length']);
    if (declared > this.bodyLimit) {
      this.tooLarge(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > this.bodyLimit) {
        refused = true;
        this.tooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      try {
        this.handle(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      } catch (error) {
        // A bug here must cost one request a 500, not the process (this runs in an event handler).
        this.options.logger.error({ err: error, component: 'slack' }, 'handling a request from Slack failed');
        respond(res, 500);
      }
    });
    req.on('error', (error) => {
      this.options.logger.warn({ err: error, component: 'slack' }, 'reading a request from Slack failed');
      respond(res, 400);
    });
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    this.options.logger.warn(
      { component: 'slack', limitBytes: this.bodyLimit },
      'refused a request over the body size limit',
    );
    // Close the connection once the answer is out: the rest of the body is never read (not even drained).
    res.setHeader('connection', 'close');
    res.once('finish', () => req.destroy());
    respond(res, 413);
  }

  private handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): void {
    // Wall-clock time, as the guard reads it (this.now is for signature staleness tests).
    const receivedAt = Date.now();
    const logger = this.options.logger;
    const isForm = req.headers['content-type'] === FORM;
    // The signature first, over the raw bytes: nothing of an unsigned body is decoded or parsed.
    const check = checkSlackSignature({
      signingSecret: this.options.signingSecret,
      rawBody,
      signature: req.headers['x-slack-signature'],
      timestamp: req.headers['x-slack-request-timestamp'],
      nowMs: this.now(),
    });
    if (!check.ok) {
      // Slack's SSL checks are not signed: a tiny form with ssl_check=1 gets an empty 200, and nothing else.
      if (isForm && isSslCheck(rawBody)) {
        respond(res, 200);
        return;
      }
      logger.warn({ component: 'slack', reason: check.reason }, 'refused a request that is not from Slack');
      respond(res, 401);
      return;
    }
    const text = rawBody.toString('utf8');
    const form = isForm ? parseForm(text) : undefined;
    if (form?.ssl_check === '1') {
      respond(res, 200);
      return;
    }
    let body: Record<string, unknown>;
    try {
      const payload = form?.payload;
      body = form ? (typeof payload === 'string' ? JSON.parse(payload) : form) : JSON.parse(text);
      if (typeof body !== 'object' || body === null) throw new Error('the body is not an object');
    } catch (error) {
      logger.warn({ component: 'slack', error: (error as Error).message }, 'refused a malformed request body');
      respond(res, 400);
      return;
    }
    if (body.type === 'url_verification') {
      respond(res, 200, { challenge: body.challenge });
      return;
    }
    const foreign = this.options.foreignReason?.(body);
    if (foreign !== undefined) {
      logger.warn({ component: 'slack', reason: foreign }, 'refused a signed request for another app or workspace');
      respond(res, 401);
      return;
    }
    const deadlineAt = receivedAt + (this.options.answerBudgetMs ?? DEFAULT_ANSWER_BUDGET_MS);
    withAnswerDeadline(deadlineAt, () => this.dispatch(req, res, body));
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    const logger = this.options.logger;
    let acknowledged = false;
    const timer = setTimeout(() => {
      if (acknowledged) return;
      acknowledged = true;
      logger.error(
        { component: 'slack' },
        'a request from Slack was not acknowledged within 3 seconds; make sure every listener calls ack()',
      );
      respond(res, 404);
    }, this.unhandledTimeoutMs);
    const ack = async (response?: unknown): Promise<void> => {
      if (acknowledged) throw new ReceiverMultipleAckError();
      acknowledged = true;
      clearTimeout(timer);
      respond(res, 200, response);
      // Inside the listener's log context, so the line carries the Slack request's id and the bot's request id.
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ component: 'slack', withBody: response !== undefined }, 'acknowledged the request from Slack');
      }
    };
    const retryNum = headerValue(req, 'x-slack-retry-num');
    const retryReason = headerValue(req, 'x-slack-retry-reason');
    const event: ReceiverEvent = {
      body,
      ack,
      ...(retryNum !== undefined ? { retryNum: Number.parseInt(retryNum, 10) } : {}),
      ...(retryReason !== undefined ? { retryReason } : {}),
    };
    const app = this.app;
    if (!app) {
      clearTimeout(timer);
      respond(res, 503);
      return;
    }
    app.processEvent(event).catch((error: unknown) => {
      if (res.headersSent) {
        logger.error({ err: error, component: 'slack' }, 'a listener failed after its ack');
        return;
      }
      acknowledged = true;
      clearTimeout(timer);
      logger.error({ err: error, component: 'slack' }, 'a request from Slack failed before its ack');
      respond(res, error instanceof AuthorizationError ? 401 : 500);
    });
  }
}
