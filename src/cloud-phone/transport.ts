/**
 * How one eds-aic call travels: a V3 (ACS3-HMAC-SHA256) signed POST on undici, one connection pool per endpoint, a
 * timeout per attempt, the account's rate limiter before each attempt (rate-limiter.ts), and retries that never
 * re-send a mutating call which may already have taken effect (failures.ts says which). The operations (client.ts) only name an action, its parameters and its response parser.
 * Wire format and quirks: shared/docs/cloud-phone-api.md §2, §3, §7.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Dispatcher, Pool } from 'undici';
import { CloudApiError } from '../errors.js';
import { type CredentialSource, type Credentials, CredentialsUnavailableError } from './credentials.js';
import { AttemptFailure, finalError, interpretResponse, mayRetry, transportFailure } from './failures.js';
import type { CallPriority, Permit, RateLimiter } from './rate-limiter.js';
import { decideRetry, type RetryOptions, resolveRetryOptions } from './retry.js';
import type { ResponseParser } from './schema.js';
import {
  acsDate,
  authorizationHeader,
  canonicalQueryString,
  EMPTY_BODY_SHA256,
  flattenParams,
  type ParamValue,
} from './sign.js';

export const API_VERSION = '2023-09-30';
export const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_USER_AGENT = `cloudphone-backup-bot/0.1.0 Node.js/${process.version}`;

export interface CallEvent {
  /** The API action, e.g. `DescribeTasks`. */
  action: string;
  durationMs: number;
  ok: boolean;
  /** The API or local error code when not ok. */
  code?: string | undefined;
  /** 1 for the first attempt; one event per HTTP attempt. */
  attempt: number;
  /** The cloud's RequestId for this attempt, when it answered with one (for logs that follow a request). */
  requestId?: string | undefined;
  /** The cloud refused the attempt as throttled (`Throttling*`, HTTP 429, or a retry-after on a 4xx). */
  throttled?: boolean | undefined;
}

export interface TransportOptions {
  /** `https://eds-aic.cn-shanghai.aliyuncs.com` (see resolveEndpoint) or the simulator's URL. */
  endpoint: string | URL;
  credentials: CredentialSource;
  /** Injected transport (tests: undici MockAgent). When given, the caller owns it and close() leaves it open. */
  dispatcher?: Dispatcher | undefined;
  /** Limit for one HTTP attempt, from connect to the last body byte. */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
  /** Clock for `x-acs-date`. */
  now?: (() => Date) | undefined;
  /** Called after every HTTP attempt, for metrics and logs. Exceptions from it are ignored. */
  onCall?: ((event: CallEvent) => void) | undefined;
  /**
   * Awaited before every HTTP attempt, before its timeout starts. The bot passes its ack priority here: a cloud call
   * is background work, and Slack requests waiting for their answer go first (src/slack/ack-priority.ts).
   */
  beforeAttempt?: (() => Promise<void>) | undefined;
  /**
   * The gate every attempt passes last, right before it is sent (rate-limiter.ts): shared by every client of the
   * account, so all calls together keep under CLOUDPHONE_MAX_CALLS_PER_SECOND. Throttled answers are reported to it.
   */
  limiter?: RateLimiter | undefined;
  /** Which lane of the limiter a call takes, read when the call starts (default: `bulk`). */
  priority?: (() => CallPriority) | undefined;
  userAgent?: string | undefined;
}

function toUrl(endpoint: string | URL): URL {
  const url = new URL(
    typeof endpoint === 'string' && !/^[a-z]+:\/\//i.test(endpoint) ? `https://${endpoint}` : endpoint,
  );
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`Unsupported endpoint ${url.href}`);
  return url;
}

export interface Transport {
  /**
   * One action with its parameters, retried as far as is safe. `mutating`: the call changes something, so it is only
   * sent again when it cannot have run (throttled, never sent).
   */
  invoke<T>(
    action: string,
    params: Record<string, ParamValue>,
    schema: ResponseParser<T>,
    mutating: boolean,
  ): Promise<T>;
  /** Closes the connection pool this transport created (an injected dispatcher is left alone). */
  close(): Promise<void>;
}

export function createTransport(options: TransportOptions): Transport {
  const url = toUrl(options.endpoint);
  const origin = url.origin;
  const host = url.host;
  const pathname = url.pathname || '/';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
  const retry = resolveRetryOptions(options.retry);
  const now = options.now ?? (() => new Date());
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const ownPool =
    options.dispatcher === undefined
      ? new Pool(origin, {
          connections: 8,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          connect: { timeout: Math.min(timeoutMs, 10_000) },
        })
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? ownPool!;
  let closed = false;

  function emit(event: CallEvent): void {
    try {
      options.onCall?.(event);
    } catch {
      // A metrics hook must never break a cloud call.
    }
  }

  /** `query` is the canonical query string: it is both signed and sent. */
  function buildRequest(action: string, query: string, credentials: Credentials) {
    const headers: Record<string, string> = {
      host,
      'x-acs-action': action,
      'x-acs-version': API_VERSION,
      'x-acs-date': acsDate(now()),
      // Fresh per attempt: the gateway rejects a reused nonce (SignatureNonceUsed), retries included.
      'x-acs-signature-nonce': randomBytes(16).toString('hex'),
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
    };
    if (credentials.securityToken !== undefined) {
      headers['x-acs-accesskey-id'] = credentials.accessKeyId;
      headers['x-acs-security-token'] = credentials.securityToken;
    }
    headers.authorization = authorizationHeader(
      { method: 'POST', pathname, query, headers, payloadSha256Hex: EMPTY_BODY_SHA256 },
      credentials.accessKeyId,
      credentials.accessKeySecret,
    );
    headers.accept = 'application/json';
    headers['user-agent'] = userAgent;
    return { path: query === '' ? pathname : `${pathname}?${query}`, headers };
  }

  async function attemptOnce<T>(
    action: string,
    query: string,
    schema: ResponseParser<T>,
    priority: CallPriority,
  ): Promise<T> {
    await options.beforeAttempt?.();
    let credentials: Credentials;
    try {
      credentials = await options.credentials.get();
    } catch (error) {
      const message =
        error instanceof CredentialsUnavailableError ? error.message : 'Could not obtain Alibaba Cloud credentials';
      throw new AttemptFailure(
        'final',
        new CloudApiError({ apiCode: 'CredentialsUnavailable', apiMessage: message, action }, { cause: error }),
      );
    }
    // Last, so that nothing between the slot and the send (the ack wait, a credential refresh) bunches calls up.
    const permit: Permit | undefined = await options.limiter?.acquire(priority);
    const { path, headers } = buildRequest(action, query, credentials);
    const signal = AbortSignal.timeout(timeoutMs);

    let statusCode: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await dispatcher.request({
        origin,
        path,
        method: 'POST',
        headers,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      statusCode = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      throw transportFailure(action, error, signal.aborted, timeoutMs);
    }
    try {
      return interpretResponse(action, statusCode, responseHeaders, text, schema);
    } catch (error) {
      if (permit && error instanceof AttemptFailure && error.failureClass === 'throttled') {
        options.limiter?.throttled(permit, error.retryAfterMs);
      }
      throw error;
    }
  }

  async function invoke<T>(
    action: string,
    params: Record<string, ParamValue>,
    schema: ResponseParser<T>,
    mutating: boolean,
  ): Promise<T> {
    if (closed) {
      throw new CloudApiError({ apiCode: 'ClientClosed', apiMessage: 'the cloud phone client was closed', action });
    }
    // The same for every attempt (only the headers change: date, nonce, signature), so it is built once.
    const query = canonicalQueryString(flattenParams(params));
    // Read once, in the caller's context: the retries of a person's call stay in the person's lane.
    const priority = options.priority?.() ?? 'bulk';
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = performance.now();
      try {
        const value = await attemptOnce(action, query, schema, priority);
        emit({
          action,
          durationMs: performance.now() - attemptStarted,
          ok: true,
          attempt,
          requestId: (value as { requestId?: string } | undefined)?.requestId,
        });
        return value;
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        emit({
          action,
          durationMs: performance.now() - attemptStarted,
          ok: false,
          code: error.error.apiCode,
          attempt,
          requestId: error.error.requestId,
          throttled: error.failureClass === 'throttled',
        });
        if (!mayRetry(mutating, error.failureClass)) throw finalError(mutating, error);
        const decision = decideRetry(
          { attempt, elapsedMs: performance.now() - started, retryAfterMs: error.retryAfterMs },
          retry,
        );
        if (!decision.retry) throw finalError(mutating, error);
        await retry.sleep(decision.delayMs);
      }
    }
  }

  return {
    invoke,
    async close() {
      if (closed) return;
      closed = true;
      await ownPool?.close();
    },
  };
}
