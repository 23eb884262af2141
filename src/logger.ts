/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they appear, Bolt's own logger is routed through
 * the same sink so every line has one shape, and every line carries the ids of the work it belongs to (the Slack
 * request that started it, the bot's `req-…` request id) without each call site passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys that name secrets: their values reach no log line (at any depth up to REDACT_DEPTH, errors included, whose
 * own fields pino copies into the line) and no audit row (services/access/audit.ts drops them). One pattern for both.
 */
export const SECRET_KEY =
  /secret|token|password|passwd|authorization|signature|credential|cookie|private[-_]?key|api[-_]?key/i;
export const REDACTED = '[redacted]';
const REDACT_DEPTH = 6;

/**
 * A copy of `value` with secret-named keys censored; `value` itself when it has none (the usual case, no copy).
 * pino's own `redact` paths did this with wildcards and cost about 25 µs a line here, more than the rest of the line
 * ten times over, on every line written while Slack waits for an acknowledgement; this walk costs about one.
 */
export function redactLogFields<T>(value: T, depth = 0): T {
  if (depth >= REDACT_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const clean = redactLogFields(item, depth + 1);
      if (clean === item) return;
      copy ??= [...value];
      copy[index] = clean;
    });
    return (copy ?? value) as T;
  }
  let copy: Record<string, unknown> | undefined;
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    let inner: unknown;
    try {
      inner = fields[key];
    } catch {
      continue; // a getter that throws: pino's serializer will meet it too, and say so
    }
    const clean = SECRET_KEY.test(key) && inner !== undefined ? REDACTED : redactLogFields(inner, depth + 1);
    if (clean !== inner) {
      // An error stays an error for pino's serializer (message and stack are not own enumerable fields).
      copy ??= value instanceof Error ? copyError(value) : { ...fields };
      copy[key] = clean;
    }
  }
  return (copy ?? value) as T;
}

function copyError(error: Error): Record<string, unknown> {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object), error) as Record<string, unknown>;
  copy.message = error.message;
  copy.stack = error.stack;
  return copy;
}

/**
 * The ids a log line is about. `slackRequest` is made up when a request from Slack arrives; `requestId` is the bot's
 * `req-…` id once the request is recorded, and stays with the request through the runner, the cloud calls
 * (`cloudRequestId` is the cloud's own RequestId) and the Slack replies.
 */
export interface LogContext {
  slackRequest?: string;
  requestId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with these ids added to every log line written inside it, including in callbacks it awaits. */
export function runWithLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

/** Adds ids to the current context once they are known (the request id is made after the Slack request arrived). */
export function addToLogContext(fields: LogContext): void {
  const store = context.getStore();
  if (store) Object.assign(store, fields);
}

export function currentLogContext(): LogContext {
  return { ...context.getStore() };
}

export function createLogger(
  options: { level?: string; destination?: NodeJS.WritableStream | DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'cloudphone-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (fields) => redactLogFields(fields) },
      // A new object (pino merges the call's fields into it; they win), built with the same keys in the same order
      // every time: a spread of the store made objects of changing shapes, and the line cost three times as much.
      mixin: () => {
        const store = context.getStore();
        return store ? { slackRequest: store.slackRequest, requestId: store.requestId } : {};
      },
    },
    options.destination as DestinationStream | undefined,
  );
}

/** Bolt logs strings, errors and objects; errors go to `err` (pino serialises the stack), the rest to `msg`. */
function boltLine(logger: Logger, level: 'debug' | 'info' | 'warn' | 'error', args: unknown[]): void {
  // Bolt and its Web API client log debug lines with their arguments on every request and call: do not serialise
  // what pino would drop anyway.
  if (!logger.isLevelEnabled(level)) return;
  const err = args.find((arg): arg is Error => arg instanceof Error);
  const text = args
    .filter((arg) => arg !== err)
    .map((arg) => (typeof arg === 'string' ? arg : safeJson(arg)))
    .join(' ');
  if (err) logger[level]({ err }, text || err.message);
  else logger[level](text);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Bolt's logger interface over pino, so Bolt's messages are structured JSON too. The level is pino's. */
export function boltLogger(logger: Logger): BoltLogger {
  let child = logger.child({ component: 'bolt' });
  let level = 'info' as BoltLogLevel;
  return {
    debug: (...msg: unknown[]) => boltLine(child, 'debug', msg),
    info: (...msg: unknown[]) => boltLine(child, 'info', msg),
    warn: (...msg: unknown[]) => boltLine(child, 'warn', msg),
    error: (...msg: unknown[]) => boltLine(child, 'error', msg),
    setLevel: (next: BoltLogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: (name: string) => {
      child = logger.child({ component: name });
    },
  };
}
