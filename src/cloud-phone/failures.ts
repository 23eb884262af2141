/**
 * What a failed attempt means for the call: may it be sent again, and may the service have acted? The transport
 * (transport.ts) classifies every failure here; the retry loop and the caller's error follow from the class.
 * Wire format of error bodies: shared/docs/cloud-phone-api.md §2, §5.
 */
import { CloudApiError } from '../errors.js';
import { parseRetryAfter } from './retry.js';
import { ErrorBody, type ResponseParser } from './schema.js';

/**
 * - throttled: the gateway refused the call before running it; safe to retry anything.
 * - not-sent: the connection failed before a byte of the request left; safe to retry anything.
 * - server: 5xx; the service may have acted.
 * - network / timeout: the request may have reached the service.
 * - final: a definite answer (4xx, malformed 2xx, local error); retrying would not help.
 */
export type FailureClass = 'throttled' | 'not-sent' | 'server' | 'network' | 'timeout' | 'final';

export class AttemptFailure extends Error {
  constructor(
    readonly failureClass: FailureClass,
    readonly error: CloudApiError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

/** Connection errors that happen before the request is written, so the service cannot have seen it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** Local mistakes or a closed client: nothing was sent and trying again cannot help. */
const LOCAL_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ERR_INVALID_ARG_TYPE']);

function errorCodeOf(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  if (Array.isArray(errors) && errors.length > 0) return errorCodeOf(errors[0], depth + 1);
  return errorCodeOf(cause, depth + 1);
}

function isReadOnlyRetryable(c: FailureClass): boolean {
  return c !== 'final';
}
function isMutatingRetryable(c: FailureClass): boolean {
  return c === 'throttled' || c === 'not-sent';
}

/** A read-only call may be sent again after anything but a definite answer; a mutating one only if it never ran. */
export function mayRetry(mutating: boolean, c: FailureClass): boolean {
  return mutating ? isMutatingRetryable(c) : isReadOnlyRetryable(c);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A request that got no complete answer: did it leave, did it time out? */
export function transportFailure(action: string, error: unknown, timedOut: boolean, timeoutMs: number): AttemptFailure {
  const code = errorCodeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new AttemptFailure(
      'timeout',
      new CloudApiError(
        {
          apiCode: 'Timeout',
          apiMessage: timedOut ? `no complete response within ${timeoutMs} ms` : `${code}: ${detail}`,
          action,
        },
        { cause: error },
      ),
    );
  }
  const failureClass: FailureClass =
    code !== undefined && NOT_SENT_CODES.has(code)
      ? 'not-sent'
      : code !== undefined && LOCAL_CODES.has(code)
        ? 'final'
        : 'network';
  return new AttemptFailure(
    failureClass,
    new CloudApiError(
      { apiCode: 'NetworkError', apiMessage: `${code ?? 'error'}: ${detail}`, action },
      { cause: error },
    ),
  );
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const XML_ERROR_FIELDS = ['RequestId', 'HostId', 'Code', 'Message', 'Recommend'] as const;

/**
 * An XML error body (`<Error><RequestId>…</RequestId><Code>…</Code><Message>…</Message></Error>`), read for the
 * fields the official core takes from it; undefined when the text is not XML or holds none of them.
 */
export function xmlErrorFields(text: string): Record<string, string> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('<')) return undefined;
  const fields: Record<string, string> = {};
  for (const name of XML_ERROR_FIELDS) {
    const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(trimmed);
    if (!match) continue;
    const value =
      match[1] ??
      (match[2] ?? '').replace(/&(lt|gt|amp|quot|apos);/g, (_, entity: string) => XML_ENTITIES[entity] ?? '');
    fields[name] = value.trim();
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/** The HTTP answer as a value, or the AttemptFailure it stands for. */
export function interpretResponse<T>(
  action: string,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  schema: ResponseParser<T>,
): T {
  const headerRequestId = firstHeader(headers['x-acs-request-id']);
  const retryAfterMs = parseRetryAfter(headers['x-acs-retry-after']);
  let json: unknown;
  let parsedJson = false;
  try {
    json = JSON.parse(text);
    parsedJson = typeof json === 'object' && json !== null && !Array.isArray(json);
  } catch {
    parsedJson = false;
  }

  if (statusCode < 200 || statusCode >= 300) {
    const xml = parsedJson ? undefined : xmlErrorFields(text);
    const readable = parsedJson || xml !== undefined;
    const body = readable ? ErrorBody.safeParse(parsedJson ? json : xml) : undefined;
    const errorBody = body?.success ? body.data : undefined;
    const apiCode = errorBody?.code ?? (readable ? `Http${statusCode}` : 'MalformedResponse');
    const apiMessage =
      errorBody?.message ??
      (readable
        ? `HTTP ${statusCode}`
        : `HTTP ${statusCode} with a body that is not an error object: ${snippet(text)}`);
    const error = new CloudApiError({
      apiCode,
      apiMessage,
      requestId: errorBody?.requestId ?? headerRequestId,
      httpStatus: statusCode,
      recommend: errorBody?.recommend,
      action,
    });
    // A retry-after on a 4xx means "refused, come back later" (CORE's ThrottlingError); on a 5xx the service may
    // still have acted, so only an explicit Throttling code makes a 5xx safe to re-send.
    const throttled =
      apiCode.startsWith('Throttling') || statusCode === 429 || (retryAfterMs !== undefined && statusCode < 500);
    const failureClass: FailureClass = throttled ? 'throttled' : statusCode >= 500 ? 'server' : 'final';
    throw new AttemptFailure(failureClass, error, retryAfterMs);
  }

  if (!parsedJson) {
    throw new AttemptFailure(
      'final',
      new CloudApiError({
        apiCode: 'MalformedResponse',
        apiMessage: `HTTP ${statusCode} with a body that is not a JSON object: ${snippet(text)}`,
        requestId: headerRequestId,
        httpStatus: statusCode,
        action,
      }),
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const raw = (json as { RequestId?: unknown }).RequestId;
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new AttemptFailure(
      'final',
      new CloudApiError(
        {
          apiCode: 'MalformedResponse',
          apiMessage: `unexpected response shape: ${issues}`,
          requestId: typeof raw === 'string' && raw !== '' ? raw : headerRequestId,
          httpStatus: statusCode,
          action,
        },
        { cause: parsed.error },
      ),
    );
  }
  return parsed.data;
}

/** A failure that ends the call, with `retryable` and `outcomeUnknown` set for the caller. */
export function finalError(mutating: boolean, failure: AttemptFailure): CloudApiError {
  const e = failure.error;
  const c = failure.failureClass;
  if (
    mutating &&
    (c === 'server' ||
      c === 'network' ||
      c === 'timeout' ||
      (c === 'final' && e.httpStatus !== undefined && e.httpStatus < 300))
  ) {
    // The service may have acted (or did act, for a 2xx we could not read): the caller must look, not re-send.
    const where = e.requestId ? `, RequestId ${e.requestId}` : '';
    return new CloudApiError(
      {
        apiCode: c === 'final' ? e.apiCode : 'OutcomeUnknown',
        apiMessage:
          c === 'final'
            ? `${e.apiMessage} (the call was accepted; check its effect before sending it again)`
            : `the request may have reached the service and was not re-sent; check its effect (${e.apiCode}: ${e.apiMessage}${where})`,
        requestId: e.requestId,
        httpStatus: e.httpStatus,
        recommend: e.recommend,
        action: e.action,
        outcomeUnknown: true,
        retryable: false,
      },
      { cause: e },
    );
  }
  const retryable = mayRetry(mutating, c);
  return new CloudApiError(
    {
      apiCode: e.apiCode,
      apiMessage: e.apiMessage,
      requestId: e.requestId,
      httpStatus: e.httpStatus,
      recommend: e.recommend,
      action: e.action,
      retryable,
    },
    { cause: e.cause },
  );
}
