/**
 * Slack unreachable at start: start-up gives up within its bound with one "Could not start" line, instead of
 * retrying for half an hour. Slack here is a socket that accepts connections and never answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { describeStartupError, SlackUnreachableError, startBot } from '../../src/main.js';

let server: Server | undefined;
let http: HttpServer | undefined;
const sockets: Socket[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  server = undefined;
  http = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The port a server listening on loopback was given. */
async function listening(target: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const address = target.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Starts the bot (simulated cloud, its own database) against Slack at `port` with `env`; what start-up threw. */
async function startAgainst(port: number, env: Record<string, string>, slackStartTimeoutMs: number) {
  dir = mkdtempSync(join(tmpdir(), 'cloudphone-unreachable-'));
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    CLOUDPHONE_SIMULATOR: '1',
    CLOUDPHONE_ADMINS: 'U0ALICE',
    DATABASE_PATH: join(dir, 'bot.db'),
    ...env,
  });
  const failure = await startBot(config, {
    slackStartTimeoutMs,
    defaultMetrics: false,
    logger: createLogger({ level: 'silent', destination: { write: () => undefined } as never }),
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { config, failure };
}

it('gives up on a Slack that never answers with one "Could not start" line naming what to check', async () => {
  server = createServer((socket) => void sockets.push(socket));
  const port = await listening(server);
  const { config, failure } = await startAgainst(
    port,
    { SLACK_SIGNING_SECRET: 'secret', PORT: '0', HOST: '127.0.0.1' },
    300,
  );
  expect(failure).toBeInstanceOf(SlackUnreachableError);
  expect(describeStartupError(failure, config)).toBe(
    `Could not start: Slack did not answer at http://127.0.0.1:${port}/api/ within 300 ms; check the network, any proxy, and SLACK_API_URL if it is set`,
  );
});

it('in Socket Mode, gives up within the same bound when the token is good but the socket never connects', async () => {
  // Slack answers the token check, and never answers apps.connections.open (the Socket Mode connection).
  http = createHttpServer((request, response) => {
    if (request.url?.endsWith('/auth.test')) {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({ ok: true, team_id: 'T0SANDBOX', user_id: 'U0BOT', bot_id: 'B0BOT', app_id: 'A0APP' }),
      );
    }
  });
  const port = await listening(http);
  const { config, failure } = await startAgainst(port, { SLACK_APP_TOKEN: 'xapp-test' }, 1_500);
  expect(config.slack.mode).toBe('socket');
  expect(failure).toBeInstanceOf(SlackUnreachableError);
  expect(describeStartupError(failure, config)).toMatch(/^Could not start: Slack did not answer at .* within 2 s/);
});
