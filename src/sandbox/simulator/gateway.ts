/**
 * One request through the simulated POP gateway and service, without any HTTP plumbing: route (method, path,
 * action, version), authenticate (gateway-auth.ts), inject faults, run the operation, shape the answer. Every
 * request, refused or not, is appended to the request log.
 */
import { ApiError, apiNotFound, errorBody, missingParameter, userFlowControl } from './api-error.js';
import { API_VERSION } from './constants.js';
import type { FaultInjector, FaultKind } from './faults.js';
import { type NonceCache, verifyRequest } from './gateway-auth.js';
import { OPERATIONS } from './operations/index.js';
import { Params } from './params.js';
import type { IdGenerator } from './random.js';
import type { CallRateLimit } from './rate-limit.js';
import type { SimState } from './state.js';
import type { VirtualClock } from './timeline.js';

export interface RawCall {
  method: string;
  /** Path and query as received, e.g. `/?AndroidInstanceIds.1=acp-…`. */
  url: string;
  /** Lower-case names; repeated headers as several values. */
  headers: Record<string, string[] | undefined>;
  body: Buffer;
}

export type Outcome =
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string; delayMs: number }
  /** Close the connection without answering. */
  | { kind: 'drop'; delayMs: number };

export interface RequestLogEntry {
  /** Simulator clock (epoch ms) when the request arrived. */
  at: number;
  /** `x-acs-action`, or '' when absent. */
  action: string;
  /** Flattened parameters as received (query, plus a form body if one was sent). */
  params: Record<string, string>;
  /** HTTP status answered; 0 when the connection was dropped before an answer was decided. */
  status: number;
  /** The error Code, when the answer was an error. */
  code?: string;
  requestId: string;
  /** Set once the signature checked out. */
  accessKeyId?: string;
  /** The injected fault that shaped this answer, if any. */
  fault?: FaultKind;
}

export interface GatewayDeps {
  state: SimState;
  clock: VirtualClock;
  secrets: ReadonlyMap<string, string>;
  nonces: NonceCache;
  faults: FaultInjector;
  /** The account's call-rate quota (and the measure of the rate the client sends at). */
  rateLimit: CallRateLimit;
  requestIds: IdGenerator;
  log: RequestLogEntry[];
}

const first = (values: string[] | undefined): string | undefined => values?.[0]?.trim() || undefined;

/** RPC parameters may also come as a form body (the SDK sends none, but V3 allows it). */
function formParams(call: RawCall): Record<string, string> {
  const type = first(call.headers['content-type']) ?? '';
  if (call.body.length === 0 || !type.startsWith('application/x-www-form-urlencoded')) return {};
  return Object.fromEntries(new URLSearchParams(call.body.toString('utf8')));
}

export function handleCall(deps: GatewayDeps, call: RawCall): Outcome {
  const now = deps.clock.now();
  const requestId = deps.requestIds.requestId();
  // Node hands over the path as sent; resolving it against a dummy origin cannot fail for a parsed request.
  const url = new URL(call.url, 'http://simulator.invalid');
  const query = Object.fromEntries(url.searchParams);
  const params = { ...query, ...formParams(call) };
  const action = first(call.headers['x-acs-action']) ?? '';
  const operation = Object.hasOwn(OPERATIONS, action) ? OPERATIONS[action] : undefined;
  const mutating = operation?.mutating ?? false;
  const entry: RequestLogEntry = { at: now, action, params, status: 0, requestId };
  deps.log.push(entry);

  const delayMs = deps.faults.pick('delay', action, mutating)?.ms ?? 0;
  if (deps.faults.pick('drop', action, mutating)) {
    entry.fault = 'drop';
    return { kind: 'drop', delayMs };
  }

  const respond = (status: number, body: unknown, headers: Record<string, string> = {}): Outcome => {
    entry.status = status;
    return {
      kind: 'respond',
      status,
      headers: { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId, ...headers },
      body: JSON.stringify(body),
      delayMs,
    };
  };

  try {
    // Inside the try: a broken transition is a simulator bug, answered as a 500 that names it.
    deps.state.settle(now);
    if (url.pathname !== '/') throw apiNotFound();
    if (call.method !== 'POST' && call.method !== 'GET') {
      throw new ApiError(400, 'UnsupportedHTTPMethod', `The HTTP method ${call.method} is not supported.`);
    }
    if (!action) {
      const v2 = query.Signature !== undefined || query.SignatureVersion !== undefined;
      throw missingParameter('x-acs-action', v2 ? ' The simulator accepts only V3 (ACS3-HMAC-SHA256) requests.' : '');
    }
    const version = first(call.headers['x-acs-version']);
    if (!version) throw missingParameter('x-acs-version');
    if (!operation || version !== API_VERSION) throw apiNotFound();

    const verified = verifyRequest(
      { method: call.method, pathname: url.pathname, query, headers: call.headers, body: call.body },
      deps.secrets,
      deps.nonces,
      now,
    );
    entry.accessKeyId = verified.accessKeyId;

    // The quota counts the account's calls, so only authenticated ones; a refused call does not use it up.
    const wait = deps.rateLimit.admit();
    if (wait !== undefined) throw userFlowControl(wait);
    const throttle = deps.faults.pick('throttle', action, mutating);
    if (throttle) {
      entry.fault = 'throttle';
      throw userFlowControl(throttle.retryAfterMs ?? 1000);
    }
    const refuse = deps.faults.pick('refuse', action, mutating);
    if (refuse) {
      entry.fault = 'refuse';
      throw new ApiError(refuse.status ?? 403, refuse.code, refuse.message ?? `Injected refusal of ${action}.`);
    }
    const serverError = deps.faults.pick('serverError', action, mutating);
    if (serverError) {
      entry.fault = 'serverError';
      const status = serverError.status ?? (deps.faults.coin() ? 500 : 503);
      throw status === 500
        ? new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.')
        : new ApiError(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    }

    const result = operation.run({ params: new Params(params), state: deps.state, now, requestId });
    const outcome = respond(200, { RequestId: requestId, ...result });
    if (deps.faults.pick('dropAfterApply', action, mutating)) {
      entry.fault = 'dropAfterApply';
      return { kind: 'drop', delayMs };
    }
    return outcome;
  } catch (error) {
    const apiError =
      error instanceof ApiError
        ? error
        : // A simulator bug: answer as the service would, but say what broke so the test that hit it shows it.
          new ApiError(500, 'InternalError', `Simulator error: ${(error as Error).stack ?? String(error)}`);
    entry.code = apiError.code;
    return respond(apiError.status, errorBody(apiError, requestId), apiError.headers);
  }
}
