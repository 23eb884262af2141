/** Start-up failures an operator can act on, each naming the setting to change where there is one. */
import type { Server } from 'node:http';
import type { Config } from '../config.js';
import { SlackUnreachableError } from './slack.js';

/** The port a server listens on (the configured one, or the one the system picked for 0). */
export function boundPort(server: Server, configured: number): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : configured;
}

/** The ops server's listen error, naming OPS_PORT/OPS_HOST rather than PORT. */
export function opsListenError(error: unknown, config: Config): Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  const where = `OPS_PORT ${config.ops.port} on OPS_HOST ${config.ops.host}`;
  if (code === 'EADDRINUSE') return new Error(`${where} is already in use; stop the other process or set OPS_PORT`);
  if (code === 'EACCES') return new Error(`not allowed to listen on ${where}; use a port above 1023 or set OPS_PORT`);
  return error instanceof Error ? error : new Error(String(error));
}

/** One line for a start-up failure, naming the setting to change where there is one. */
export function describeStartupError(error: unknown, config: Config): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const slackError = (error as { data?: { error?: unknown } } | undefined)?.data?.error;
  if (code === 'EADDRINUSE') {
    return `Could not start: PORT ${config.slack.port} on HOST ${config.slack.host} is already in use; stop the other process or set PORT`;
  }
  if (code === 'EACCES') {
    return `Could not start: not allowed to listen on PORT ${config.slack.port}; use a port above 1023 or set PORT`;
  }
  if (error instanceof SlackUnreachableError) {
    return `Could not start: ${error.message}; check the network, any proxy, and SLACK_API_URL if it is set`;
  }
  if (typeof slackError === 'string' && /auth|token|account_inactive/.test(slackError)) {
    return `Could not start: Slack refused SLACK_BOT_TOKEN (${slackError}); copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions again`;
  }
  return `Could not start: ${error instanceof Error ? error.message : String(error)}`;
}
