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
 * Initialises the app and asks Slack which installation the token is for, or throws SlackUnreachableError after
 * `timeoutMs` (the retries behind it are left to end on their own).
 */
export async function checkSlackToken(
  app: App,
  client: WebClient,
  options: { apiUrl: string; timeoutMs?: number },
): Promise<Installation> {
  const timeoutMs = options.timeoutMs ?? SLACK_START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new SlackUnreachableError(options.apiUrl, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([app.init().then(() => fetchInstallation(client)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
