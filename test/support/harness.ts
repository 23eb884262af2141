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
  /**
   * A fleet in several regions: the bot runs its own simulators (CLOUDPHONE_SIMULATOR, one per region), `simulator`
   * being the home region's (cn-shanghai) and these the other regions'. `sim` is then the home region's, and a
   * restart starts fresh simulators.
   */
  regionSimulators?: Record<string, Omit<SimulatorOptions, 'credentials' | 'region'>>;
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
    // Flows are tested at full speed; the limiter has its own tests (test/integration/cloud-rate-limit.test.ts).
    CLOUDPHONE_MAX_CALLS_PER_SECOND: '1000',
    LOG_LEVEL: 'debug',
    ...input.overrides,
  };
}

/** The home region of a harness with `regionSimulators`. */
export const HOME_REGION = 'cn-shanghai';

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const simOptions = { timing: FAST_TIMING, seed: 7, runningBackupFailureRate: 0, ...options.simulator };
  const regional = options.regionSimulators;
  // With several regions the bot starts one simulator per region itself; the harness's own is not started.
  const ownSim = regional ? undefined : await startSimulator(simOptions);
  const slack = await startSlackStandIn(options.slack);
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-e2e-'));
  const dbPath = join(dir, 'bot.db');
  const env = ownSim
    ? botEnv({ slack, sim: ownSim, dbPath, overrides: options.env })
    : regionalEnv(
        botEnv({ slack, sim: { url: 'unused' } as Simulator, dbPath, overrides: options.env }),
        Object.keys(regional ?? {}),
      );
  const regionSims = regional
    ? {
        simulator: simOptions,
        regionSimulators: Object.fromEntries(
          Object.entries(regional).map(([region, o]) => [
            region,
            { timing: FAST_TIMING, runningBackupFailureRate: 0, ...o },
          ]),
        ),
      }
    : {};
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
      ...regionSims,
    });
  let bot = await boot();
  let driver = createSlackDriver({
    appUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    standIn: slack,
  });
  const harness: Harness = {
    get sim() {
      return ownSim ?? (bot.simulator as Simulator);
    },
    slack,
    get driver() {
      return driver;
    },
    get bot() {
      return bot;
    },
    dbPath,
    instance(name) {
      const sims = ownSim ? [ownSim] : [...bot.simulators.values()];
      for (const sim of sims)
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
      await ownSim?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The bot's own simulators, one per region (home first), instead of one simulator at CLOUDPHONE_ENDPOINT. */
function regionalEnv(env: Record<string, string>, otherRegions: readonly string[]): Record<string, string> {
  const { CLOUDPHONE_ENDPOINT: _unused, ...rest } = env;
  return { ...rest, CLOUDPHONE_SIMULATOR: '1', CLOUDPHONE_REGIONS: [HOME_REGION, ...otherRegions].join(',') };
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
