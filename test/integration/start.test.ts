/**
 * The bot as an operator starts it: a child process running `main()` (src/main.ts through tsx; `npm start` runs the
 * same code built into dist/), settings from the environment and a .env file, stopped with signals. Spawning
 * `npm start` itself would compile the whole project inside the test first: minutes on a busy machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, OPTION } from '../../src/blocks/ids.js';
import { createSlackDriver, type SlackStandIn, startSlackStandIn } from '../../src/sandbox/slack/index.js';
import { waitUntil } from '../support/wait-until.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const mainTs = join(root, 'src/main.ts');

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first JSON log line that matches. */
  logLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/**
 * Only what a shell would have; never this process's environment, which may hold real settings. OPS_PORT 0: the
 * health server picks a free port, so runs side by side never collide on the default.
 */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), OPS_PORT: '0', ...extra };
}

function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
    for (const listener of listeners) listener();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  // 'close', not 'exit': 'exit' can come before the last of stdout is read, and the test reads the final lines.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const parse = (line: string) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  return {
    child,
    stdout,
    stderr,
    exited,
    logLine(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = stdout.map(parse).find((line) => line && match(line));
          if (found) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`no such log line within ${timeoutMs} ms; stdout:\n${stdout.join('\n')}\n${stderr.join('')}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
        void exited.then(() => setTimeout(check, 10));
      });
    },
  };
}

/**
 * Starts a request and holds it open: the headers ask for "100 Continue", which Node sends once it has read them, so
 * the bot is then answering this request and a graceful stop waits for it. `finish()` sends the body; the bot answers
 * (401: it is unsigned) and closes the connection.
 */
async function holdRequestOpen(port: number): Promise<{ finish(): void }> {
  const body = 'token=unsigned&command=%2Fcloudphone';
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.setEncoding('utf8');
  const headersRead = new Promise<void>((resolve) => {
    let received = '';
    const onData = (chunk: string) => {
      received += chunk;
      if (received.includes('100 Continue')) {
        socket.off('data', onData);
        socket.resume();
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write(
    'POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      `Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  await headersRead;
  return { finish: () => socket.end(body) };
}

let dir: string;
let slack: SlackStandIn | undefined;
let running: Running | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await running?.exited;
  running = undefined;
  await slack?.close();
  slack = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('starting the bot', () => {
  it('with bad settings stops with one message naming every problem, and echoes no secret', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-start-'));
    const envFile = join(dir, 'settings.env');
    // From the file: a bad value is reported like one from the environment.
    writeFileSync(envFile, 'LOG_LEVEL=loud\nCLOUDPHONE_POLL_INTERVAL_MS=abc\n');
    running = run(process.execPath, ['--import', tsx, mainTs], {
      cwd: root,
      env: baseEnv({
        ENV_FILE: envFile,
        SLACK_BOT_TOKEN: 'xoxp-fake-user-token-4242',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'fake-cloud-secret-4242',
        PORT: 'eighty',
        CLOUDPHONE_ADMIN: 'U0ALICE',
      }),
    });
    const { code } = await running.exited;
    const stderr = running.stderr.join('');
    expect(code).toBe(2);
    expect(stderr.match(/Invalid configuration:/g)).toHaveLength(1);
    for (const setting of [
      'SLACK_BOT_TOKEN: must be a bot token starting with xoxb-',
      'SLACK_SIGNING_SECRET: required in HTTP mode',
      'ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET: set both or neither',
      'PORT: must be a whole number',
      'CLOUDPHONE_POLL_INTERVAL_MS: must be a whole number',
      'LOG_LEVEL: must be one of',
      'CLOUDPHONE_ADMIN: not a setting; did you mean CLOUDPHONE_ADMINS?',
    ]) {
      expect(stderr).toContain(`  - ${setting}`);
    }
    expect(stderr).toContain('README "Settings"');
    const everything = running.stdout.join('\n') + stderr;
    expect(everything).not.toContain('fake-user-token-4242');
    expect(everything).not.toContain('fake-cloud-secret-4242');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(running.stdout.join('')).toBe(''); // nothing started, so nothing logged
  }, 90_000);
});

describe('the bot as a process (src/main.ts)', () => {
  it('reads .env under the environment, runs simulated, labels every message, stops gracefully on signals', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-start-'));
    slack = await startSlackStandIn();
    const standIn = slack;
    writeFileSync(
      join(dir, '.env'),
      [
        `SLACK_BOT_TOKEN=${standIn.botToken}`,
        'SLACK_SIGNING_SECRET=from-the-dotenv-file',
        `SLACK_API_URL=${standIn.apiUrl}`,
        'CLOUDPHONE_SIMULATOR=1',
        'CLOUDPHONE_ADMINS=U0ALICE',
        'CLOUDPHONE_DEFAULT_BACKUP_PATH=oss://cloudphone-saved-bucket-start/backups/',
        'CLOUDPHONE_POLL_INTERVAL_MS=100',
        'CLOUDPHONE_PROGRESS_UPDATE_MS=0',
        'DATABASE_PATH=./data/bot.db',
        '# invalid here, but the environment sets PORT and wins',
        'PORT=99999',
      ].join('\n'),
    );
    running = run(process.execPath, ['--import', tsx, mainTs], {
      cwd: dir,
      env: baseEnv({ PORT: '0', HOST: '127.0.0.1' }),
    });
    const started = await running.logLine((line) => line.msg === 'cloud phone bot started');
    const port = started.port as number;
    expect(port).toBeGreaterThan(0);
    await running.logLine((line) => String(line.msg).startsWith('CLOUDPHONE_SIMULATOR is on'));

    // Health and metrics live on their own loopback port, not beside /slack/events.
    const opsPort = started.opsPort as number;
    expect(opsPort).toBeGreaterThan(0);
    expect(opsPort).not.toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
    expect([200, 503]).toContain(health.status);
    expect(((await health.json()) as { database: { writable: boolean } }).database.writable).toBe(true);

    // A backup of a stopped phone (support-02), signed with the secret that only the .env file holds.
    const driver = createSlackDriver({
      appUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: 'from-the-dotenv-file',
      standIn,
    });
    const command = await driver.slashCommand({
      command: '/cloudphone',
      text: 'backup acp-s8ipbb7tojojqe0dg',
      userId: 'U0ALICE',
      channelId: 'C0BACKUPS',
    });
    expect(command.status).toBe(200);
    const [view] = await waitUntil(
      () => (standIn.openViews('U0ALICE').length > 0 ? standIn.openViews('U0ALICE') : null),
      {
        timeoutMs: 3_000,
        description: 'the backup modal',
      },
    );
    expect(JSON.stringify(view?.blocks)).toContain('Simulated');
    const submitted = await driver.submitView({
      viewId: view!.id,
      values: {
        [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' },
        [BLOCK.options]: { [ACTION.options]: [OPTION.stopBefore, OPTION.startAfter] },
      },
    });
    expect(submitted.outcome.kind).toBe('closed');
    await waitUntil(
      () => {
        const parent = standIn.messages('C0BACKUPS', { topLevelOnly: true })[0];
        return parent ? standIn.threadReplies('C0BACKUPS', parent.ts)[0] : undefined;
      },
      { timeoutMs: 30_000, description: 'the threaded reply' },
    );
    const posted = [...standIn.callsTo('chat.postMessage'), ...standIn.callsTo('chat.update')];
    expect(posted.length).toBeGreaterThanOrEqual(2);
    for (const call of posted) {
      expect(String(call.args.text)).toMatch(/^\[Simulated\]/);
      expect(JSON.stringify(call.args.blocks)).toContain('Simulated (no real cloud)');
    }

    // Two different signals, the second only once the first is logged: one stop, no crash. A request the bot has
    // begun to read (headers sent, body not finished) holds the stop open, so the bot is still stopping when the
    // second signal arrives however slowly this machine runs; finishing the request lets the stop complete.
    const held = await holdRequestOpen(port);
    running.child.kill('SIGTERM');
    await running.logLine((line) => line.msg === 'signal received; stopping gracefully');
    running.child.kill('SIGINT');
    await running.logLine((line) => line.msg === 'already stopping; send SIGKILL to stop at once');
    held.finish();
    const { code } = await running.exited;
    expect(code).toBe(0);
    const messages = running.stdout.map((line) => {
      try {
        return String((JSON.parse(line) as { msg?: unknown }).msg);
      } catch {
        return line;
      }
    });
    expect(messages).toContain('signal received; stopping gracefully');
    expect(messages).toContain('already stopping; send SIGKILL to stop at once');
    expect(messages).toContain('cloud phone bot stopped');
    expect(running.stderr.join('')).toBe('');

    // The database was closed cleanly and holds the finished request.
    const db = new Database(join(dir, 'data/bot.db'), { readonly: true });
    try {
      expect(db.prepare(`SELECT status FROM requests WHERE kind = 'backup'`).all()).toEqual([{ status: 'succeeded' }]);
    } finally {
      db.close();
    }
  }, 120_000);

  it('says which setting to change when the port is taken', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-start-'));
    slack = await startSlackStandIn();
    blocker = createServer();
    const taken = await new Promise<number>((resolve) =>
      blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)),
    );
    const startOn = (ports: Record<string, string>) =>
      run(process.execPath, ['--import', tsx, mainTs], {
        cwd: dir,
        env: baseEnv({
          SLACK_BOT_TOKEN: slack!.botToken,
          SLACK_SIGNING_SECRET: 'secret',
          SLACK_API_URL: slack!.apiUrl,
          CLOUDPHONE_SIMULATOR: '1',
          DATABASE_PATH: join(dir, 'bot.db'),
          ...ports,
        }),
      });
    running = startOn({ PORT: String(taken), HOST: '127.0.0.1' });
    expect((await running.exited).code).toBe(1);
    expect(running.stderr.join('')).toBe(
      `Could not start: PORT ${taken} on HOST 127.0.0.1 is already in use; stop the other process or set PORT\n`,
    );
    running = startOn({ PORT: '0', OPS_PORT: String(taken) });
    expect((await running.exited).code).toBe(1);
    expect(running.stderr.join('')).toBe(
      `Could not start: OPS_PORT ${taken} on OPS_HOST 127.0.0.1 is already in use; stop the other process or set OPS_PORT\n`,
    );
  }, 90_000);

  it('says so when Slack refuses the bot token', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-start-'));
    slack = await startSlackStandIn();
    running = run(process.execPath, ['--import', tsx, mainTs], {
      cwd: dir,
      env: baseEnv({
        SLACK_BOT_TOKEN: 'xoxb-not-the-right-one',
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.apiUrl,
        CLOUDPHONE_SIMULATOR: '1',
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_PATH: join(dir, 'bot.db'),
      }),
    });
    const { code } = await running.exited;
    expect(code).toBe(1);
    const stderr = running.stderr.join('');
    expect(stderr).toContain('Could not start: Slack refused SLACK_BOT_TOKEN (invalid_auth)');
    expect(stderr).not.toContain('not-the-right-one');
    expect(running.stdout.join('\n')).not.toContain('cloud phone bot started');
  }, 90_000);
});
