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

it('gives up on a Slack that never answers with one "Could not start" line naming what to check', async () => {
  server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  dir = mkdtempSync(join(tmpdir(), 'cloudphone-unreachable-'));
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'secret',
    SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    CLOUDPHONE_SIMULATOR: '1',
    CLOUDPHONE_ADMINS: 'U0ALICE',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: join(dir, 'bot.db'),
  });
  const failure = await startBot(config, {
    slackStartTimeoutMs: 300,
    defaultMetrics: false,
    logger: createLogger({ level: 'silent', destination: { write: () => undefined } as never }),
  }).then(
    () => undefined,
    (error: unknown) => error,
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
  await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  dir = mkdtempSync(join(tmpdir(), 'cloudphone-unreachable-socket-'));
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_APP_TOKEN: 'xapp-test',
    SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    CLOUDPHONE_SIMULATOR: '1',
    CLOUDPHONE_ADMINS: 'U0ALICE',
    DATABASE_PATH: join(dir, 'bot.db'),
  });
  expect(config.slack.mode).toBe('socket');
  const failure = await startBot(config, {
    slackStartTimeoutMs: 1_500,
    defaultMetrics: false,
    logger: createLogger({ level: 'silent', destination: { write: () => undefined } as never }),
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(SlackUnreachableError);
  expect(describeStartupError(failure, config)).toMatch(/^Could not start: Slack did not answer at .* within 2 s/);
});
