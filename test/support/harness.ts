/**
 * Starts the whole bot as production does (startBot from src/main.ts, real Bolt HTTP receiver, SQLite file) against
 * the cloud phone simulator and the Slack stand-in, and gives tests a driver that acts like Slack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type RunningBot, startBot } from '../../src/main.js';
import {
  DEFAULT_CREDENTIALS,
  FAST_TIMING,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/sandbox/simulator/index.js';
import {
  createSlackDriver,
  type SlackDriver,
  type SlackStandIn,
  type SlackStandInOptions,
  startSlackStandIn,
} from '../../src/sandbox/slack/index.js';
import type { Clock } from '../../src/services/pipeline/ports.js';
import { waitUntil } from './wait-until.js';

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
export const ADMIN = 'U0ALICE';
export const CHANNEL = 'C0BACKUPS';
export const BACKUP_PATH = 'oss://cloudphone-saved-bucket-e2e/backups/';

export interface HarnessOptions {
  simulator?: SimulatorOptions;
  slack?: SlackStandInOptions;
  env?: Record<string, string>;
  /** Collects every log line (JSON) for assertions. */
  logLines?: string[];
  /** The bot's clock (default: the system's). */
  clock?: Clock;
}

export interface Harness {
  sim: Simulator;
  slack: SlackStandIn;
  driver: SlackDriver;
  bot: RunningBot;
  dbPath: string;
  /** Instance id of a default-fleet phone by name, e.g. `support-01`. */
  instance(name: string): string;
  /** Stops the bot (as a crash would, without graceful work) and starts a new one on the same database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** The environment a test bot runs with: pointed at the stand-ins, fast polling, the test admin. */
export function botEnv(input: {
  slack: SlackStandIn;
  sim: Simulator;
  dbPath: string;
  overrides?: Record<string, string> | undefined;
}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: input.slack.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: input.slack.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    OPS_PORT: '0',
    CLOUDPHONE_ENDPOINT: input.sim.url,
    ALIBABA_CLOUD_ACCESS_KEY_ID: DEFAULT_CREDENTIALS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEFAULT_CREDENTIALS.accessKeySecret,
    DATABASE_PATH: input.dbPath,
    CLOUDPHONE_ADMINS: ADMIN,
    CLOUDPHONE_DEFAULT_BACKUP_PATH: BACKUP_PATH,
    CLOUDPHONE_POLL_INTERVAL_MS: '25',
    CLOUDPHONE_MAX_POLL_INTERVAL_MS: '200',
    CLOUDPHONE_PROGRESS_UPDATE_MS: '0',
    CLOUDPHONE_CALL_TIMEOUT_MS: '3000',
    CLOUDPHONE_TRANSIENT_RETRY_MS: '1500',
    LOG_LEVEL: 'debug',
    ...input.overrides,
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ timing: FAST_TIMING, seed: 7, runningBackupFailureRate: 0, ...options.simulator });
  const slack = await startSlackStandIn(options.slack);
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-e2e-'));
  const dbPath = join(dir, 'bot.db');
  const env = botEnv({ slack, sim, dbPath, overrides: options.env });
  const logLines = options.logLines;
  const boot = () =>
    startBot(loadConfig(env), {
      idleTickMs: 10,
      defaultMetrics: false,
      slackPostIntervalMs: 100,
      logger: createLogger({
        level: 'debug',
        destination: { write: (line: string) => void logLines?.push(line) } as never,
      }),
      slackClientOptions: { retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } },
      ...(options.clock ? { clock: options.clock } : {}),
    });
  let bot = await boot();
  let driver = createSlackDriver({
    appUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    standIn: slack,
  });
  const harness: Harness = {
    sim,
    slack,
    get driver() {
      return driver;
    },
    get bot() {
      return bot;
    },
    dbPath,
    instance(name) {
      for (const instance of sim.state.instances.values()) if (instance.name === name) return instance.id;
      throw new Error(`no simulated instance named ${name}`);
    },
    async restart() {
      await bot.stop();
      bot = await boot();
      driver = createSlackDriver({
        appUrl: `http://127.0.0.1:${bot.port}/slack/events`,
        signingSecret: SIGNING_SECRET,
        standIn: slack,
      });
    },
    async close() {
      await bot.stop();
      await slack.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/**
 * Resolves once the engine has finished `ticks` more rounds (seen through /healthz's `lastTickAt` changing), so a
 * test can show that something did NOT happen: whatever was due has had its round. Two ticks make sure one whole
 * round began after the call.
 */
export async function afterEngineTicks(h: Harness, ticks = 2): Promise<void> {
  const lastTick = async () => {
    const res = await fetch(`http://127.0.0.1:${h.bot.opsPort}/healthz`);
    return ((await res.json()) as { poller: { lastTickAt: string | null } }).poller.lastTickAt;
  };
  let seen = await lastTick();
  for (let i = 0; i < ticks; i++) {
    const before = seen;
    seen = await waitUntil(
      async () => {
        const now = await lastTick();
        return now !== before ? now : undefined;
      },
      { timeoutMs: 5_000, description: `engine tick ${i + 1} of ${ticks}` },
    );
  }
}

/**
 * After a restart, the bot found the parent it had posted and carried on with it: it updates that message (instead of
 * posting another), and a whole engine round passes so a second post would have happened by now.
 */
export async function updatedAfterRestart(harness: Harness, channel: string, parentTs: string): Promise<void> {
  const before = harness.slack.callsTo('chat.update').length;
  await waitUntil(
    () =>
      harness.slack
        .callsTo('chat.update')
        .slice(before)
        .some((call) => call.args.channel === channel && call.args.ts === parentTs),
    { timeoutMs: 10_000, description: `the parent ${parentTs} in ${channel} updated after the restart` },
  );
  await afterEngineTicks(harness, 2);
}

/** The bot's top-level messages in a channel (parents), newest last. */
export function parents(slack: SlackStandIn, channel = CHANNEL) {
  return slack.messages(channel, { topLevelOnly: true });
}
