/**
 * Start-up's first question to Slack (is the bot token good, and for which workspace and app). Bolt retries with
 * back-off while Slack is unreachable; start-up waits only so long, so `Could not start` comes within 30 seconds.
 */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { fetchInstallation, type Installation } from '../slack/installation.js';

/** Start-up gives up on an unreachable Slack after this long. */
export const SLACK_START_TIMEOUT_MS = 25_000;

/** Thrown when Slack does not answer the start-up token check in time. */
export class SlackUnreachableError extends Error {
  constructor(
    readonly apiUrl: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Slack did not answer at ${apiUrl} within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`,
    );
  }
}

/**
 * One bound for every wait on Slack at start-up (the token check, then Socket Mode's connection), so the whole start
 * gives up within `timeoutMs`, not each step in turn. Past the deadline a step rejects with SlackUnreachableError; the
 * retries behind it are left to end on their own.
 */
export function slackStartDeadline(options: { apiUrl: string; timeoutMs?: number | undefined }) {
  const timeoutMs = options.timeoutMs ?? SLACK_START_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  return async function within<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      const left = Math.max(0, deadline - Date.now());
      timer = setTimeout(() => reject(new SlackUnreachableError(options.apiUrl, timeoutMs)), left);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Initialises the app and asks Slack which installation the token is for, within the start-up deadline. */
export function checkSlackToken(
  app: App,
  client: WebClient,
  within: <T>(work: Promise<T>) => Promise<T>,
): Promise<Installation> {
  return within(app.init().then(() => fetchInstallation(client)));
}
