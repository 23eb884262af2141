/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they appear, Bolt's own logger is routed through
 * the same sink so every line has one shape, and every line carries the ids of the work it belongs to (the Slack
 * request that started it, the bot's `req-…` request id) without each call site passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, at any depth pino can express. */
const REDACTED = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'accessKeySecret',
  'securityToken',
  'authorization',
  'secret',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.accessKeySecret',
  '*.securityToken',
  '*.authorization',
  '*.secret',
  '*.headers.authorization',
  '*.headers["x-acs-security-token"]',
  '*.headers["x-slack-signature"]',
];

/**
 * The ids a log line is about. `slackRequest` is made up when a request from Slack arrives; `requestId` is the bot's
 * `req-…` id once the request is recorded, and stays with the request through the engine, the cloud calls
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
      redact: { paths: REDACTED, censor: '[redacted]' },
      base: { service: 'cloudphone-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A copy: pino merges the call's fields into what the mixin returns. Fields given at the call site win.
      mixin: () => ({ ...context.getStore() }),
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
