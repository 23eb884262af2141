/**
 * The bot's Slack Web API client, made before the Slack app so the services (messages, threads, the people
 * directory) get it from the start. Bolt's App builds its own clients from the same token and options for listeners.
 */
import { webApi } from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import { boltLogger, type Logger } from '../logger.js';

/** The Web API options every client of the bot shares: the API URL from the settings, then the caller's tuning. */
export function slackClientOptions(config: Config, overrides: WebClientOptions | undefined): WebClientOptions {
  return { ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}), ...overrides };
}

export function createSlackWebClient(
  config: Config,
  options: { logger: Logger; clientOptions?: WebClientOptions | undefined },
): WebClient {
  return new webApi.WebClient(config.slack.botToken, {
    ...slackClientOptions(config, options.clientOptions),
    logger: boltLogger(options.logger),
  });
}
