/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they appear, and Bolt's own logger is routed
 * through the same sink so every line has one shape.
 */
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
    },
    options.destination as DestinationStream | undefined,
  );
}

/** Bolt's logger interface over pino, so Bolt's messages are structured JSON too. */
export function boltLogger(logger: Logger): BoltLogger {
  let child = logger.child({ component: 'bolt' });
  let level = 'info' as BoltLogLevel;
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: (next: BoltLogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: (name: string) => {
      child = logger.child({ component: name });
    },
  };
}
