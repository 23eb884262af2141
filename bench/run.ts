/**
 * `npm run bench`: the performance benchmark. One run, one table of measurements and ratios.
 *
 * Separate processes, as in production: this one plays Slack (the Web API stand-in and the signed-request driver), the
 * bot runs in a worker (`startBot`: the real Bolt HTTP receiver, a SQLite file, the runner), the cloud phone simulator
 * in another, and the acknowledgement bursts are sent and timed by a load worker that does nothing else. Memory and
 * CPU figures are therefore the bot's alone. The workers run JavaScript that tsc compiles into `.bench-build/` at the
 * start (build.ts), with plain `node` like `npm start`: no tsx loader in the measured processes.
 *
 * Knobs for looking into a number (not needed for a normal run): BENCH_PHASES=acks,home,flood,latency,big,tracking,
 * burst,faults,fleet (or the same names as arguments: `npm run bench -- fleet`) runs only those parts;
 * BENCH_FLEET_PHONES and BENCH_FLEET_WAVE shrink the fleet row; BENCH_CPU_PROF=<dir> writes V8 CPU profiles of the bot
 * processes; BENCH_BOT_EXEC_ARGV adds Node flags to the bot processes (e.g. "--max-semi-space-size=2").
 *
 * Exit code: 0 when every measurement ran (targets may be MISSED), 1 when a measurement could not run, 2 on timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ACTION, BLOCK, OPTION } from '../src/blocks/ids.js';
import { MAX_SUGGESTIONS } from '../src/blocks/instance-options.js';
import { openDatabase } from '../src/db/database.js';
import { createRepositories } from '../src/db/index.js';
import { DEFAULT_TIMING, FAST_TIMING, type Timing } from '../src/sandbox/simulator/index.js';
import {
  ACK_BUDGET_MS,
  checkMessageBlocks,
  createSlackDriver,
  LIMITS,
  type SlackDriver,
  type SlackStandIn,
  startSlackStandIn,
} from '../src/sandbox/slack/index.js';
import type { BotHandlers, CycleStats } from './bot-worker.js';
import { BUILD_DIR, buildWorkers, startFlags } from './build.js';
import { measureBurst } from './burst.js';
import { measureFleet } from './fleet.js';
import type { LoadHandlers } from './load-worker.js';
import { startWorker, type Worker } from './rpc.js';
import type { SimHandlers } from './sim-worker.js';
import { createSlackLoad } from './slack-load.js';
import {
  blockChars,
  detectionOf,
  formatCount,
  formatMb,
  formatMs,
  formatPercent,
  formatTimes,
  max,
  median,
  parseBlocks,
  percentile,
  type Row,
  renderTable,
  seededRandom,
  verdict,
} from './stats.js';
import { measureUnsignedFlood } from './unsigned-flood.js';

// ---------------------------------------------------------------------------------------------------------------
// Settings of this benchmark (printed in the header)

const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const ADMIN = 'U0ALICE';
const CHANNEL = 'C0BACKUPS';
const APP = 'com.example.bench';
const BACKUP_PATH = 'oss://cloudphone-saved-bucket-bench/b/';

const ACK_CONCURRENCY = 50;
const ACK_WARMUP_ROUNDS = 1;
const ACK_MEASURED_ROUNDS = 4;
/** Requests sent one at a time, for the service time without queueing. */
const ACK_SEQUENTIAL = 40;
const ACK_SEQUENTIAL_WARMUP = 10;
/** Bursts of `/cloudphone help`, Bolt's own floor. */
const HELP_ROUNDS = 3;
/** Phones in the fleet the modal's instance picker searches (named fleet-0 …), beside the ack phase's own. */
const PICKER_FLEET = 10_000;
/** Slack's budget is 3 s; the target is a p99 under 3% of it. */
const ACK_TARGET_FRACTION = 0.03;
/** App Home publishes: every bench person opens their Home at once, this many rounds (the first a warm-up). */
const HOME_ROUNDS = 5;
/** The Home must be published within Slack's 3 s. */
const HOME_BUDGET_MS = 3_000;
/** Homes opened one at a time (after the rounds), for the time one person waits on a quiet bot. */
const HOME_SEQUENTIAL = 40;

const LATENCY_REQUESTS = 40;
const LATENCY_MAX_SPACING_MS = 400;

const TRACKED_TASKS = 10_000;
/** The tracked tasks are spread over these regions, one simulator (endpoint) each, interleaved in due order. */
const TRACKING_REGIONS = ['cn-shanghai', 'cn-hangzhou', 'ap-southeast-1'] as const;
/** The bot caps one request at 500 instances (BACKUP_LIMITS.maxInstances), so 10,000 tasks are 20 requests. */
const INSTANCES_PER_REQUEST = 500;
const STEADY_CYCLES = 4;
const TASK_IDS_PER_CALL = 100;
const MEMORY_TARGET_BYTES = 150e6;

const BIG_BACKUP_INSTANCES = 1_000;

const WATCHDOG_MS = 10 * 60_000;

/**
 * Node flags of the bot processes: those `npm start` passes (package.json), then BENCH_BOT_EXEC_ARGV="--… …", extra
 * flags to try tunings.
 */
const BOT_EXEC_ARGV = [...startFlags(), ...(process.env.BENCH_BOT_EXEC_ARGV ?? '').split(/\s+/).filter(Boolean)];

// ---------------------------------------------------------------------------------------------------------------

type Sim = Worker<SimHandlers>;
type Bot = Worker<BotHandlers>;

/** The compiled bench/ folder the workers are forked from; set by main() once tsc has run. */
let workerDir = '';
const workers: Worker<never>[] = [];
const tempDirs: string[] = [];

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A simulator process; `region` and `credentials` make it one region's endpoint, signed for by one shared key pair. */
async function startSim(
  timing: Partial<Timing>,
  seed: number,
  place: {
    region?: string;
    credentials?: { accessKeyId: string; accessKeySecret: string };
    emptyFleet?: boolean;
  } = {},
): Promise<{ sim: Sim; url: string; keyId: string; keySecret: string }> {
  const sim = await startWorker<SimHandlers>(join(workerDir, 'sim-worker.js'), 'simulator');
  workers.push(sim as unknown as Worker<never>);
  const started = await sim.call('start', { timing, seed, ...place });
  return {
    sim,
    url: started.url,
    keyId: started.credentials.accessKeyId,
    keySecret: started.credentials.accessKeySecret,
  };
}

async function startBotWorker(
  slack: SlackStandIn,
  cloud: { url: string; keyId: string; keySecret: string },
  extraEnv: Record<string, string> = {},
  databasePath?: string,
  /** Several regions, each its own simulator: CLOUDPHONE_REGIONS is their keys (the first is home). */
  regionEndpoints?: Record<string, string>,
): Promise<{ bot: Bot; port: number; pid: number; driver: SlackDriver; databasePath: string }> {
  const dbPath = databasePath ?? tempDatabase();
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each bot process there (for looking into a slow number).
  const profileDir = process.env.BENCH_CPU_PROF;
  const bot = await startWorker<BotHandlers>(join(workerDir, 'bot-worker.js'), 'bot', {
    // --expose-gc only makes gc() callable: the bench calls it once, after the measured cycles, to see the live heap.
    execArgv: ['--expose-gc', ...BOT_EXEC_ARGV, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
  });
  workers.push(bot as unknown as Worker<never>);
  const env: Record<string, string> = { ...botEnv(slack, cloud, dbPath), ...extraEnv };
  if (regionEndpoints) {
    // Each region has its own endpoint; one CLOUDPHONE_ENDPOINT would name only one.
    delete env.CLOUDPHONE_ENDPOINT;
    env.CLOUDPHONE_REGIONS = Object.keys(regionEndpoints).join(',');
  }
  const { port, pid } = await bot.call('start', { env, ...(regionEndpoints ? { regionEndpoints } : {}) });
  const driver = createSlackDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    standIn: slack,
  });
  return { bot, port, pid, driver, databasePath: dbPath };
}

/** A database file in a temporary folder the bench removes at the end. */
function tempDatabase(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-bench-'));
  tempDirs.push(dir);
  return join(dir, 'bot.db');
}

/** The bot's settings: defaults, except what connects it to the stand-ins and lets the bench's people act. */
function botEnv(
  slack: SlackStandIn,
  cloud: { url: string; keyId: string; keySecret: string },
  databasePath: string,
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    OPS_PORT: '0',
    HOST: '127.0.0.1',
    CLOUDPHONE_ENDPOINT: cloud.url,
    ALIBABA_CLOUD_ACCESS_KEY_ID: cloud.keyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: cloud.keySecret,
    DATABASE_PATH: databasePath,
    CLOUDPHONE_ADMINS: [ADMIN, ...benchUsers()].join(','),
    CLOUDPHONE_DEFAULT_BACKUP_PATH: BACKUP_PATH,
    // The bench has one person submit far more backups (of distinct instances) than the per-person default allows.
    CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON: '10000',
    // These rows measure the bot, not the cloud's quota: the limiter is set out of the way (a row about the quota
    // sets its own limit, and the simulator's).
    CLOUDPHONE_MAX_CALLS_PER_SECOND: '1000',
    LOG_LEVEL: 'info',
  };
}

function benchUsers(): string[] {
  return Array.from({ length: ACK_CONCURRENCY }, (_, i) => `U0BENCH${String(i).padStart(2, '0')}`);
}

/**
 * Each person of the ack bursts works in a channel of their own. The bot spaces its messages in one channel about a
 * second apart (Slack's per-channel limit), so the ~290 backups of the ack phase in one channel would take ~10 minutes
 * to report; spread like this they finish in seconds and the later phases start on an idle bot.
 */
function ackChannelOf(userId: string): string {
  return `C0ACK${userId}`;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value, at most `timeoutMs`. */
async function until<T>(description: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(250);
  }
}

function requestIdOf(body: string): string {
  const id = /req-[0-9a-f]{12}/.exec(body)?.[0];
  if (!id) throw new Error(`the command was not accepted: ${body.slice(0, 300)}`);
  return id;
}

function inlineBackup(ids: readonly string[]): string {
  return `backup ${ids.join(' ')} --apps ${APP} --path ${BACKUP_PATH}`;
}

/** One inline backup per instance, by the admin, `spacingMs()` apart; resolves to the request ids in order. */
async function backUpEach(driver: SlackDriver, ids: readonly string[], spacingMs = () => 0): Promise<string[]> {
  const requestIds: string[] = [];
  for (const id of ids) {
    const res = await driver.slashCommand({
      command: '/cloudphone',
      text: inlineBackup([id]),
      userId: ADMIN,
      channelId: CHANNEL,
    });
    requestIds.push(requestIdOf(res.rawBody));
    const wait = spacingMs();
    if (wait > 0) await sleep(wait);
  }
  return requestIds;
}

/** The completion reply the stand-in accepted for a request (its blocks carry `completion:<id>`). */
function completionCall(slack: SlackStandIn, requestId: string) {
  const marker = `completion:${requestId}`;
  return slack
    .callsTo('chat.postMessage')
    .find(
      (call) =>
        call.status === 200 &&
        typeof call.response === 'object' &&
        call.response.ok === true &&
        JSON.stringify(call.args.blocks ?? '').includes(marker),
    );
}

interface PhaseResult {
  rows: Row[];
  notes: string[];
}

function failedRow(metric: string, error: unknown): Row {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return { metric, measured: `could not run: ${message.slice(0, 160)}`, target: '', ratio: '', verdict: 'FAILED' };
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Acknowledgement times at 50 concurrent requests

interface BotLoad {
  cpuMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

async function measureAcks(slack: SlackStandIn, sim: Sim, bot: Bot, port: number): Promise<PhaseResult> {
  const users = benchUsers();
  const rounds = ACK_WARMUP_ROUNDS + ACK_MEASURED_ROUNDS;
  const ids = await sim.call('addInstances', {
    count: rounds * users.length,
    status: 'STOPPED',
    packages: [APP],
    namePrefix: 'ack',
  });
  const soloIds = await sim.call('addInstances', {
    count: ACK_SEQUENTIAL,
    status: 'STOPPED',
    packages: [APP],
    namePrefix: 'ack-solo',
  });
  await sim.call('addInstances', { count: PICKER_FLEET, status: 'RUNNING', packages: [], namePrefix: 'fleet' });
  const loadWorker = await startWorker<LoadHandlers>(join(workerDir, 'load-worker.js'), 'load');
  workers.push(loadWorker as unknown as Worker<never>);
  const load = createSlackLoad({
    standIn: slack,
    load: loadWorker,
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
  });
  const formValues = {
    [BLOCK.apps]: { [ACTION.apps]: APP },
    [BLOCK.options]: { [ACTION.options]: [OPTION.stopBefore, OPTION.startAfter] },
  };
  const problems: string[] = [];
  let modalsMissed = 0;

  /** Waits for each person's backup modal; opens again (unmeasured) those whose views.open came too late. */
  async function modalsFor(people: string[], idFor: (userId: string) => string) {
    await until(`${people.length} open backup modals`, 10_000, async () =>
      people.every((u) => slack.openViews(u).length > 0) ? true : undefined,
    ).catch(() => undefined);
    for (const userId of people) {
      for (let attempt = 0; slack.openViews(userId).length === 0; attempt++) {
        if (attempt === 0) modalsMissed++;
        if (attempt >= 5) throw new Error(`the backup modal for ${userId} would not open`);
        await load.slashCommands([
          { command: '/cloudphone', text: `backup ${idFor(userId)}`, userId, channelId: ackChannelOf(userId) },
        ]);
        await until('the modal', 5_000, async () => (slack.openViews(userId).length > 0 ? true : undefined)).catch(
          () => undefined,
        );
      }
    }
    return people.map((u) => slack.openViews(u).at(-1)!);
  }

  // First the same requests one at a time: the service time without queueing. The first few warm the bot up.
  const solo = {
    slash: [] as number[],
    submit: [] as number[],
    inBotSlash: [] as number[],
    inBotSubmit: [] as number[],
    cpuSlash: [] as number[],
    cpuSubmit: [] as number[],
  };
  for (const [index, id] of soloIds.entries()) {
    const measured = index >= ACK_SEQUENTIAL_WARMUP;
    await bot.call('takeServerTimes', undefined);
    await bot.call('markLoad', undefined);
    const [command] = await load.slashCommands([
      { command: '/cloudphone', text: `backup ${id}`, userId: ADMIN, channelId: ackChannelOf(ADMIN) },
    ]);
    const [view] = await modalsFor([ADMIN], () => id);
    const slashCpu = await bot.call('load', undefined); // the ack and its views.open
    const inBotSlash = await bot.call('takeServerTimes', undefined);
    await bot.call('markLoad', undefined);
    const [submission] = await load.submitViews([{ viewId: view!.id, values: formValues }]);
    const submitCpu = await bot.call('load', undefined);
    const inBotSubmit = await bot.call('takeServerTimes', undefined);
    if (!measured) continue;
    solo.slash.push(command!.elapsedMs);
    solo.submit.push(submission!.elapsedMs);
    solo.inBotSlash.push(...inBotSlash);
    solo.inBotSubmit.push(...inBotSubmit);
    solo.cpuSlash.push(slashCpu.cpuMs);
    solo.cpuSubmit.push(submitCpu.cpuMs);
  }

  // The measurement's own floor: the same client and burst size against a bare HTTP server in the bot process.
  const { port: echoPort } = await bot.call('startEchoServer', undefined);
  const echoBody = new URLSearchParams({ command: '/cloudphone', text: 'help', padding: 'x'.repeat(400) }).toString();
  const floor: number[] = [];
  for (let round = 0; round < 1 + HELP_ROUNDS; round++) {
    const answers = await loadWorker.call(
      'burst',
      {
        url: `http://127.0.0.1:${echoPort}/echo`,
        requests: users.map(() => ({
          body: echoBody,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })),
        timeoutMs: 10_000,
      },
      60_000,
    );
    if (round > 0) floor.push(...answers.map((a) => a.elapsedMs));
  }
  log(`acks floor (bare HTTP server): p50 ${formatMs(median(floor))} p99 ${formatMs(percentile(floor, 99))}`);

  // Bolt's floor: `/cloudphone help` answers from the parser alone (no database, no Slack call), so its cost is Bolt's.
  const help = { rt: [] as number[], inBot: [] as number[], cpu: [] as number[] };
  for (let round = 0; round < 1 + HELP_ROUNDS; round++) {
    await bot.call('markLoad', undefined);
    await bot.call('takeServerTimes', undefined);
    const answers = await load.slashCommands(
      users.map((userId) => ({ command: '/cloudphone', text: 'help', userId, channelId: ackChannelOf(userId) })),
    );
    const used = await bot.call('load', undefined);
    const inside = await bot.call('takeServerTimes', undefined);
    if (round === 0) continue;
    help.rt.push(...answers.map((a) => a.elapsedMs));
    help.inBot.push(...inside);
    help.cpu.push(used.cpuMs / users.length);
  }
  log(`acks /cloudphone help: p50 ${formatMs(median(help.rt))} p99 ${formatMs(percentile(help.rt, 99))}`);

  const slash: number[] = [];
  const submit: number[] = [];
  const search: number[] = [];
  const searchProblems: string[] = [];
  const searchCpu: number[] = [];
  const inBot = { slash: [] as number[], submit: [] as number[] };
  const beforeRead = { slash: [] as number[], submit: [] as number[] };
  const botLoad = { slash: [] as BotLoad[], submit: [] as BotLoad[] };
  for (let round = 0; round < rounds; round++) {
    const measured = round >= ACK_WARMUP_ROUNDS;
    const idOf = (userId: string) => ids[round * users.length + users.indexOf(userId)]!;

    await bot.call('markLoad', undefined);
    await bot.call('takeServerTimes', undefined);
    const commands = await load.slashCommands(
      users.map((userId) => ({
        command: '/cloudphone',
        text: `backup ${idOf(userId)}`,
        userId,
        channelId: ackChannelOf(userId),
      })),
    );
    const slashLoad = await bot.call('load', undefined);
    const slashRead = await bot.call('takeReadDelays', undefined);
    const slashInBot = await bot.call('takeServerTimes', undefined);
    const views = await modalsFor(users, idOf);

    // Everyone types into the instance picker at once: "fleet-1" … "fleet-50" each match 111 or 1,111 of the fleet.
    await bot.call('markLoad', undefined);
    const searches = await load.blockSuggestions(
      views.map((view, i) => ({
        viewId: view.id,
        blockId: BLOCK.instancePicker,
        actionId: ACTION.instancePicker,
        value: `fleet-${i + 1}`,
      })),
    );
    const searchLoad = await bot.call('load', undefined);
    if (measured) {
      search.push(...searches.map((answer) => answer.elapsedMs));
      searchCpu.push(searchLoad.cpuMs / users.length);
      for (const answer of searches) {
        if ('error' in answer.outcome) searchProblems.push(answer.outcome.error);
        else if (answer.outcome.options.length !== MAX_SUGGESTIONS) {
          searchProblems.push(`${answer.outcome.options.length} options, not ${MAX_SUGGESTIONS}`);
        }
      }
    }

    await bot.call('markLoad', undefined);
    await bot.call('takeServerTimes', undefined);
    const submissions = await load.submitViews(views.map((view) => ({ viewId: view.id, values: formValues })));
    const submitLoad = await bot.call('load', undefined);
    const submitRead = await bot.call('takeReadDelays', undefined);
    const submitInBot = await bot.call('takeServerTimes', undefined);

    const stats = (xs: number[]): string => `p50 ${formatMs(median(xs))} p99 ${formatMs(percentile(xs, 99))}`;
    log(
      `acks round ${round + 1}${measured ? '' : ' (warm-up)'}: slash ${stats(commands.map((c) => c.elapsedMs))}, ` +
        `before read ${stats(slashRead)}, in bot ${stats(slashInBot)}; submit ${stats(submissions.map((c) => c.elapsedMs))}, ` +
        `before read ${stats(submitRead)}, in bot ${stats(submitInBot)}; search ${stats(searches.map((a) => a.elapsedMs))}`,
    );
    if (!measured) continue;
    for (const command of commands) {
      if (command.status !== 200 || command.outcome.kind === 'rejected') {
        problems.push(`slash ${command.status} ${command.outcome.kind}`);
      }
      slash.push(command.elapsedMs);
    }
    for (const submission of submissions) {
      if (submission.status !== 200 || submission.outcome.kind !== 'closed') {
        problems.push(`submit ${submission.status} ${submission.outcome.kind}`);
      }
      submit.push(submission.elapsedMs);
    }
    inBot.slash.push(...slashInBot);
    inBot.submit.push(...submitInBot);
    beforeRead.slash.push(...slashRead);
    beforeRead.submit.push(...submitRead);
    botLoad.slash.push(slashLoad);
    botLoad.submit.push(submitLoad);
  }

  const target = ACK_BUDGET_MS * ACK_TARGET_FRACTION;
  const row = (metric: string, samples: number[], inside: number[], waited: number[]): Row => {
    const p99 = percentile(samples, 99);
    return {
      metric,
      measured:
        `p50 ${formatMs(median(samples))}, p99 ${formatMs(p99)} (n=${samples.length}); in the bot p50 ` +
        `${formatMs(median(inside))}, p99 ${formatMs(percentile(inside, 99))}; before the bot read it p50 ` +
        `${formatMs(median(waited))}, p99 ${formatMs(percentile(waited, 99))}`,
      target: `p99 < ${formatMs(target)} (3% of 3 s)`,
      ratio: `p99 = ${formatPercent(p99 / ACK_BUDGET_MS, 2)} of 3 s`,
      verdict: verdict(p99 < target && problems.length === 0),
    };
  };
  const cpuPerRequest = (loads: BotLoad[]) =>
    formatMs(loads.reduce((n, l) => n + l.cpuMs, 0) / (loads.length * users.length));
  const notes = [
    `acks: ${ACK_SEQUENTIAL - ACK_SEQUENTIAL_WARMUP} command + submission pairs one at a time (after ` +
      `${ACK_SEQUENTIAL_WARMUP} to warm up), then ${HELP_ROUNDS} bursts of ${users.length} \`/cloudphone help\` (after one ` +
      `to warm up; answered by the parser alone, so Bolt's own cost), then ${rounds} rounds (the first a warm-up, not counted) of ${users.length} ` +
      `slash commands \`/cloudphone backup <id>\` at once from ${users.length} people, each in a channel of their own (ack, then views.open), then their ` +
      `${users.length} modal submissions at once (validate, permission check + audit row, SQLite insert, ack). The backups ` +
      `they start run in the background meanwhile. Requests are built and signed as the stand-in's driver does and sent ` +
      `from a separate load process, which times each round trip (the stand-in answering the bot's views.open and chat.* ` +
      `calls would otherwise delay the timer) over keep-alive connections of an undici Pool (one per concurrent request, ` +
      `as a fleet of senders keeps its connections open; Node's fetch from one process added 50–100 ms at p99 on its own). ` +
      `"Floor" = ${HELP_ROUNDS} such bursts (after one to warm up) to a bare node:http server in the bot process. "In the bot" = request headers received → response finished, from Node's ` +
      `http diagnostics channels in the bot process; "before the bot read it" = the load worker's send (a header with its ` +
      `wall-clock time) → the bot reading the headers (the same machine's clock): time spent queued behind other work.`,
    `acks: after the modals open in each round, the ${users.length} people type into its instance picker at once ` +
      `(one block_suggestion each, "fleet-1" … "fleet-${users.length}"); the bot answers from its cached listing of the ` +
      `${formatCount(PICKER_FLEET)}-phone fleet (listed once, in the warm-up round).`,
    `acks: bot CPU per request in the bursts (the whole process, so including views.open and background runner work): ` +
      `${cpuPerRequest(botLoad.slash)} per slash command, ${cpuPerRequest(botLoad.submit)} per submission; bot event-loop ` +
      `delay max ${formatMs(max(botLoad.slash.map((l) => l.loopDelayMaxMs)))} during slash bursts, ` +
      `${formatMs(max(botLoad.submit.map((l) => l.loopDelayMaxMs)))} during submission bursts.`,
  ];
  if (modalsMissed > 0) {
    notes.push(
      `acks: ${modalsMissed} modals did not open (the bot's views.open reached Slack after the 3 s trigger expiry); ` +
        'they were opened again, unmeasured, so the submissions could run.',
    );
  }
  if (searchProblems.length > 0) {
    notes.push(
      `acks: ${searchProblems.length} measured searches were not answered as the picker needs: ${searchProblems.slice(0, 5).join(', ')}`,
    );
  }
  if (problems.length > 0) {
    notes.push(
      `acks: ${problems.length} measured requests were not answered as Slack needs: ${problems.slice(0, 5).join(', ')}`,
    );
  }
  await loadWorker.close();
  return {
    rows: [
      row(`ack: slash command, ${users.length} concurrent`, slash, inBot.slash, beforeRead.slash),
      row(`ack: modal submission, ${users.length} concurrent`, submit, inBot.submit, beforeRead.submit),
      {
        metric: `  ack: instance picker search, ${users.length} concurrent`,
        measured:
          `p50 ${formatMs(median(search))}, p99 ${formatMs(percentile(search, 99))} (n=${search.length}); bot CPU ` +
          `${formatMs(median(searchCpu))} a request; ${formatCount(PICKER_FLEET)}-phone fleet, first ${MAX_SUGGESTIONS} of 111–1,111 matches`,
        target: `p99 < ${formatMs(target)}`,
        ratio: `p99 = ${formatPercent(percentile(search, 99) / ACK_BUDGET_MS, 2)} of 3 s`,
        verdict: verdict(percentile(search, 99) < target && searchProblems.length === 0),
      },
      {
        metric: `  for reference: /cloudphone help, ${users.length} concurrent`,
        measured:
          `p50 ${formatMs(median(help.rt))}, p99 ${formatMs(percentile(help.rt, 99))} (n=${help.rt.length}); ` +
          `in the bot p99 ${formatMs(percentile(help.inBot, 99))}; bot CPU ${formatMs(median(help.cpu))} a request`,
        target: `p99 < ${formatMs(target)}`,
        ratio: `p99 = ${formatPercent(percentile(help.rt, 99) / ACK_BUDGET_MS, 2)} of 3 s (Bolt and HTTP only)`,
        verdict: 'INFO',
      },
      {
        metric: `  floor: bare node:http server, ${users.length} concurrent`,
        measured: `p50 ${formatMs(median(floor))}, p99 ${formatMs(percentile(floor, 99))} (n=${floor.length})`,
        target: '—',
        ratio: `p99 = ${formatPercent(percentile(floor, 99) / ACK_BUDGET_MS, 2)} of 3 s (client, kernel, Node HTTP)`,
        verdict: 'INFO',
      },
      {
        metric: '  for reference: one request at a time',
        measured:
          `slash p50 ${formatMs(median(solo.slash))} (in the bot ${formatMs(median(solo.inBotSlash))}, bot CPU ` +
          `${formatMs(median(solo.cpuSlash))} with its views.open); submission p50 ${formatMs(median(solo.submit))} ` +
          `(in the bot ${formatMs(median(solo.inBotSubmit))}, bot CPU ${formatMs(median(solo.cpuSubmit))}) (n=${solo.slash.length})`,
        target: `bot CPU ≤ ${formatMs(target / users.length)} each (${users.length} queued × ≤ ${formatMs(target)})`,
        ratio:
          `CPU × ${users.length} = ${formatMs(median(solo.cpuSlash) * users.length)} / ` +
          `${formatMs(median(solo.cpuSubmit) * users.length)} of single-thread work per burst`,
        verdict: 'INFO',
      },
    ],
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 1b. App Home publishes with the 10,000-phone fleet

/**
 * Every bench person (an admin, so every phone is in their scope) opens the Home tab at once; the time from the signed
 * `app_home_opened` event leaving here to the bot's accepted views.publish for that person reaching the stand-in.
 * Runs after the ack phase, so the fleet listing is cached and each person has a history of finished requests.
 */
async function measureHomePublish(
  slack: SlackStandIn,
  sim: Sim,
  driver: SlackDriver,
  fleetListed: boolean,
): Promise<PhaseResult> {
  const users = benchUsers();
  // Run on its own (BENCH_PHASES=home), the fleet the ack phase adds is added here.
  if (!fleetListed) {
    await sim.call('addInstances', { count: PICKER_FLEET, status: 'RUNNING', packages: [], namePrefix: 'fleet' });
  }
  const samples: number[] = [];
  const problems: string[] = [];
  let blocksMax = 0;
  for (let round = 0; round < HOME_ROUNDS; round++) {
    const sentAt = new Map<string, number>();
    const before = slack.callsTo('views.publish').length;
    await Promise.all(
      users.map(async (userId) => {
        sentAt.set(userId, Date.now());
        const res = await driver.sendEvent({
          type: 'app_home_opened',
          user: userId,
          channel: `D${userId}`,
          tab: 'home',
        });
        if (res.status !== 200) problems.push(`event answered ${res.status}`);
      }),
    );
    const published = await until(`${users.length} Homes published`, 30_000, async () => {
      const calls = slack.callsTo('views.publish').slice(before);
      return calls.length >= users.length ? calls : undefined;
    });
    for (const call of published) {
      const userId = String(call.args.user_id);
      const ok = typeof call.response === 'object' && call.response.ok === true;
      if (!ok) problems.push(`views.publish: ${JSON.stringify(call.response).slice(0, 120)}`);
      const blocks = slack.homeView(userId)?.blocks.length ?? 0;
      blocksMax = Math.max(blocksMax, blocks);
      if (round > 0) samples.push(call.at - (sentAt.get(userId) ?? call.at));
    }
    log(`home round ${round + 1}${round === 0 ? ' (warm-up)' : ''}: p99 ${formatMs(percentile(samples, 99))}`);
  }
  const alone: number[] = [];
  for (let i = 0; i < HOME_SEQUENTIAL; i++) {
    const userId = users[i % users.length]!;
    const before = slack.callsTo('views.publish').length;
    const sentAt = Date.now();
    await driver.sendEvent({ type: 'app_home_opened', user: userId, channel: `D${userId}`, tab: 'home' });
    const call = await until('the Home published', 10_000, async () => slack.callsTo('views.publish')[before]);
    alone.push(call.at - sentAt);
  }
  const p99 = percentile(samples, 99);
  const aloneP99 = percentile(alone, 99);
  return {
    rows: [
      {
        metric: `App Home publish, ${users.length} people at once, ${formatCount(PICKER_FLEET)}-phone fleet`,
        measured:
          `p50 ${formatMs(median(samples))}, p99 ${formatMs(p99)} (n=${samples.length}); event sent → views.publish ` +
          `accepted; at most ${blocksMax} blocks`,
        target: `p99 < ${formatMs(HOME_BUDGET_MS)}`,
        ratio: `p99 = ${formatPercent(p99 / HOME_BUDGET_MS, 2)} of 3 s`,
        verdict: verdict(p99 < HOME_BUDGET_MS && problems.length === 0 && blocksMax <= 100),
      },
      {
        metric: `  App Home publish, one person at a time, ${formatCount(PICKER_FLEET)}-phone fleet`,
        measured: `p50 ${formatMs(median(alone))}, p99 ${formatMs(aloneP99)} (n=${alone.length})`,
        target: `p99 < ${formatMs(HOME_BUDGET_MS)}`,
        ratio: `p99 = ${formatPercent(aloneP99 / HOME_BUDGET_MS, 2)} of 3 s`,
        verdict: verdict(aloneP99 < HOME_BUDGET_MS),
      },
    ],
    notes: problems.length > 0 ? [`App Home: ${problems.slice(0, 5).join('; ')}`] : [],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Task finished in the simulator → threaded reply in Slack

async function measureReplyLatency(
  slack: SlackStandIn,
  sim: Sim,
  bot: Bot,
  driver: SlackDriver,
  pollIntervalMs: number,
): Promise<PhaseResult> {
  const ids = await sim.call('addInstances', {
    count: LATENCY_REQUESTS,
    status: 'STOPPED',
    packages: [APP],
    namePrefix: 'latency',
  });
  const random = seededRandom(20_240_601);
  const requestIds = await backUpEach(driver, ids, () => Math.floor(random() * LATENCY_MAX_SPACING_MS));
  const replies = await until('every threaded reply of the latency run', 180_000, async () => {
    const calls = requestIds.map((id) => completionCall(slack, id));
    return calls.every((call) => call !== undefined) ? calls.map((call) => call!) : undefined;
  });
  const taskIds: string[] = [];
  for (const id of requestIds) {
    const request = await bot.call('request', { id });
    const taskId = request?.instances[0]?.taskId;
    if (!taskId) throw new Error(`request ${id} has no task (state ${request?.instances[0]?.state})`);
    taskIds.push(taskId);
  }
  const times = await sim.call('taskTimes', { taskIds });
  const latency: number[] = [];
  const overhead: number[] = [];
  const ratios: number[] = [];
  const intervals: number[] = [];
  times.forEach((task, i) => {
    const replyAt = replies[i]!.at;
    if (task.finishedAt === undefined) throw new Error(`task ${task.taskId} never finished`);
    const detection = detectionOf(task.polls, task.finishedAt, task.createdAt);
    if (!detection) throw new Error(`task ${task.taskId} was never polled after it finished`);
    latency.push(replyAt - task.finishedAt);
    overhead.push(replyAt - detection.detectedAt);
    intervals.push(detection.intervalMs);
    ratios.push((replyAt - task.finishedAt) / detection.intervalMs);
  });
  const n = latency.length;
  return {
    rows: [
      {
        metric: 'task finished → threaded reply',
        measured: `p50 ${formatMs(median(latency))}, p99 ${formatMs(percentile(latency, 99))} (n=${n})`,
        target: 'about one poll interval',
        ratio:
          `p50 ${formatTimes(median(ratios))}, p99 ${formatTimes(percentile(ratios, 99))} the interval in effect ` +
          `(median ${formatMs(median(intervals))}; base ${formatMs(pollIntervalMs)})`,
        verdict: 'INFO',
      },
      {
        metric: '  of which: detecting poll → reply',
        measured: `p50 ${formatMs(median(overhead))}, p99 ${formatMs(percentile(overhead, 99))} (n=${n})`,
        target: '—',
        ratio: `p99 = ${formatTimes(percentile(overhead, 99) / pollIntervalMs)} the base poll interval`,
        verdict: 'INFO',
      },
    ],
    notes: [
      `reply latency: ${n} one-instance inline backups spaced 0–${LATENCY_MAX_SPACING_MS} ms apart, simulator DEFAULT_TIMING ` +
        `(${DEFAULT_TIMING.taskWaitMs} ms waiting + ${DEFAULT_TIMING.backupMs} ms backup), bot poll settings at their defaults. ` +
        `Finish = the task's FinishTime in the simulator; reply = when the Slack stand-in received the threaded chat.postMessage ` +
        `(same machine clock). "Interval in effect" = the gap between the poll that saw the task finished and the poll before it. ` +
        `After the detecting poll the runner runs three more steps (track → start → report → reply) back to back.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The 1,000-instance backup: Slack messages per request

async function measureBigBackup(slack: SlackStandIn, sim: Sim, bot: Bot, driver: SlackDriver): Promise<PhaseResult> {
  // One in five lacks the app, so its backup task fails (AppNotInstalled): the summary must then list failures and
  // stay within Block Kit's limits, which is the hard case for it.
  const withApp = await sim.call('addInstances', {
    count: BIG_BACKUP_INSTANCES - BIG_BACKUP_INSTANCES / 5,
    status: 'STOPPED',
    packages: [APP],
    namePrefix: 'big',
  });
  const withoutApp = await sim.call('addInstances', {
    count: BIG_BACKUP_INSTANCES / 5,
    status: 'STOPPED',
    packages: [],
    namePrefix: 'big-noapp',
  });
  const ids = withApp.flatMap((id, i) => (i % 4 === 3 ? [id, withoutApp[(i - 3) / 4]!] : [id]));
  if (ids.length !== BIG_BACKUP_INSTANCES)
    throw new Error(`expected ${BIG_BACKUP_INSTANCES} instances, got ${ids.length}`);
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += INSTANCES_PER_REQUEST) batches.push(ids.slice(i, i + INSTANCES_PER_REQUEST));
  const commands = await Promise.all(
    batches.map((batch) =>
      driver.slashCommand({ command: '/cloudphone', text: inlineBackup(batch), userId: ADMIN, channelId: CHANNEL }),
    ),
  );
  const requestIds = commands.map((command) => requestIdOf(command.rawBody));
  await until('the completion replies of the 1,000-instance backup', 240_000, async () =>
    requestIds.every((id) => completionCall(slack, id)) ? true : undefined,
  );
  // The file is attached right after the reply; give it a moment.
  await until('the attached tables', 30_000, async () =>
    slack.callsTo('files.completeUploadExternal').length >= requestIds.length ? true : undefined,
  ).catch(() => undefined);
  await sleep(500);

  const perRequest: string[] = [];
  let allOk = true;
  let worstBlocks = 0;
  let worstChars = 0;
  let allAccepted = true;
  const details: string[] = [];
  for (const [index, id] of requestIds.entries()) {
    const request = await bot.call('request', { id });
    const parent = request?.parent;
    if (!parent) throw new Error(`request ${id} has no parent message`);
    const okCall = (call: { status: number; response: unknown }) =>
      call.status === 200 && typeof call.response === 'object' && (call.response as { ok?: boolean }).ok === true;
    const posts = slack
      .callsTo('chat.postMessage')
      .filter(
        (call) =>
          okCall(call) && ((call.response as { ts?: string }).ts === parent.ts || call.args.thread_ts === parent.ts),
      );
    const threaded = posts.filter((call) => call.args.thread_ts === parent.ts);
    const updates = slack.callsTo('chat.update').filter((call) => call.args.ts === parent.ts);
    const updatesOk = updates.filter(okCall);
    const files = slack
      .callsTo('files.completeUploadExternal')
      .filter((call) => okCall(call) && call.args.thread_ts === parent.ts);
    const thread = slack.threadReplies(parent.channel, parent.ts);
    const summary = completionCall(slack, id)!;
    const blocks = parseBlocks(summary.args.blocks);
    const rejection = checkMessageBlocks(blocks);
    const chars = blockChars(blocks);
    worstBlocks = Math.max(worstBlocks, blocks.length);
    worstChars = Math.max(worstChars, chars);
    if (rejection) allAccepted = false;
    const fileInThread = thread.some((message) => (message.files?.length ?? 0) > 0);
    const ok =
      posts.length === 2 &&
      threaded.length === 1 &&
      files.length === 1 &&
      fileInThread &&
      updatesOk.length >= 1 &&
      updatesOk.length === updates.length &&
      thread.length === 2 &&
      !rejection;
    allOk &&= ok;
    perRequest.push(
      `#${index + 1}: ${posts.length} posts (${posts.length - threaded.length} parent + ${threaded.length} threaded), ` +
        `${updatesOk.length} updates, ${files.length} file`,
    );
    details.push(
      `request ${index + 1} (${request.instances.length} instances, ${request.status}): chat.postMessage ${posts.length}, ` +
        `chat.update ${updates.length} (${updates.length - updatesOk.length} refused), files ${files.length}, ` +
        `thread messages ${thread.length}; summary ${blocks.length} blocks, ${formatCount(chars)} block-text chars` +
        `${rejection ? `, REFUSED by Block Kit checks: ${rejection.error}` : ''}`,
    );
  }
  const acks = commands.map((command) => command.elapsedMs);
  return {
    rows: [
      {
        metric: `Slack messages per request, ${formatCount(BIG_BACKUP_INSTANCES)}-instance backup`,
        measured: perRequest.join('; '),
        target: '1 parent + 1 threaded summary (+ table file), updates in place',
        ratio: `${requestIds.length} requests of ${INSTANCES_PER_REQUEST} (bot cap)`,
        verdict: verdict(allOk),
      },
      {
        metric: '  threaded summary fits Block Kit',
        measured: `${worstBlocks} blocks, ${formatCount(worstChars)} chars (largest)`,
        target: `≤ ${LIMITS.messageBlocks} blocks, ≤ ${formatCount(LIMITS.messageBlockText)} chars`,
        ratio: `${formatPercent(worstBlocks / LIMITS.messageBlocks, 0)} of blocks, ${formatPercent(worstChars / LIMITS.messageBlockText, 0)} of chars`,
        verdict: verdict(allAccepted),
      },
      {
        metric: `  ack: inline command with ${INSTANCES_PER_REQUEST} instances`,
        measured: `max ${formatMs(max(acks))} (n=${acks.length}, sent together)`,
        target: '< 3 s',
        ratio: `${formatPercent(max(acks) / ACK_BUDGET_MS, 2)} of 3 s`,
        verdict: verdict(max(acks) < ACK_BUDGET_MS),
      },
    ],
    notes: [
      `1,000-instance backup: the bot takes at most ${INSTANCES_PER_REQUEST} instances per request (BACKUP_LIMITS.maxInstances; ` +
        `1,000 real ids would also exceed MAX_COMMAND_TEXT), so the 1,000 STOPPED instances (1 in 5 without the app, so ` +
        `their tasks fail with AppNotInstalled and the summary has failures to list) went in as ` +
        `${requestIds.length} inline \`/cloudphone backup … --apps … --path …\` commands sent together. Counted per request ` +
        `by its parent ts in the stand-in's call log:`,
      ...details.map((line) => `  ${line}`),
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Poll cycles with 10,000 tracked tasks

/**
 * Writes what the workflow records for requests whose backups were submitted (step `track`, instances `submitted`
 * with their task ids, one tracked task each, first poll 10 minutes out) straight into a bot database file.
 */
interface SeededRequest {
  region: string;
  instanceIds: string[];
  taskIds: string[];
  /** Each task's first poll, ms after the seeding time plus 10 minutes: the regions interleave in due order. */
  pollOffsets: number[];
}

function seedTrackedRequests(databasePath: string, requests: SeededRequest[]): string[] {
  const db = openDatabase(databasePath);
  const repos = createRepositories(db);
  const now = Date.now();
  const ids: string[] = [];
  try {
    for (const [index, request] of requests.entries()) {
      const id = `req-bench${String(index).padStart(7, '0')}`;
      db.transaction(() => {
        repos.backups.create({
          id,
          idempotencyKey: `bench:${id}`,
          actor: { userId: ADMIN, teamId: 'T0SANDBOX' },
          channelId: CHANNEL,
          spec: {
            instanceIds: request.instanceIds,
            apps: [APP],
            uploadEndpoint: `oss-${request.region}-internal.aliyuncs.com`,
            backupPath: BACKUP_PATH,
            stopBeforeBackup: true,
            startAfterBackup: true,
          },
          simulated: false,
          now,
        });
        repos.requests.setStatus(id, 'running', now);
        repos.requests.setStep(id, 'track', now + 3_600_000, now);
        request.instanceIds.forEach((instanceId, i) => {
          const taskId = request.taskIds[i]!;
          repos.backups.updateInstance(id, instanceId, { state: 'submitted', taskId });
          repos.tasks.add({ taskId, requestId: id, instanceId }, now + 600_000 + request.pollOffsets[i]!, now);
        });
      })();
      ids.push(id);
    }
  } finally {
    db.close();
  }
  return ids;
}

async function measureTracking(slack: SlackStandIn): Promise<PhaseResult> {
  // One simulator process per region (the service has one endpoint per region), all signed for by one key pair.
  const clouds: Awaited<ReturnType<typeof startSim>>[] = [];
  for (const [i, region] of TRACKING_REGIONS.entries()) {
    const first = clouds[0];
    const credentials = first ? { accessKeyId: first.keyId, accessKeySecret: first.keySecret } : undefined;
    clouds.push(await startSim({ ...DEFAULT_TIMING }, 11 + i, { region, ...(credentials ? { credentials } : {}) }));
  }
  const home = clouds[0]!;
  const regionEndpoints = Object.fromEntries(TRACKING_REGIONS.map((region, i) => [region, clouds[i]!.url]));
  // The bot's own runner polls every 10 minutes here, so only the measured poller touches the tasks.
  const trackingEnv = { CLOUDPHONE_POLL_INTERVAL_MS: '600000', CLOUDPHONE_MAX_POLL_INTERVAL_MS: '3600000' };
  const empty = await startBotWorker(slack, home, trackingEnv, undefined, regionEndpoints);
  const idle = await empty.bot.call('memory', undefined);
  await empty.bot.call('stop', undefined);
  await empty.bot.close();

  log(
    `tracking: ${formatCount(TRACKED_TASKS)} instances and backup tasks in ${TRACKING_REGIONS.length} regions' simulators, requests in a bot database`,
  );
  const regions = TRACKING_REGIONS.length;
  const requests: SeededRequest[] = [];
  const perRegion: { region: string; sim: Sim; tasks: number }[] = [];
  for (const [r, region] of TRACKING_REGIONS.entries()) {
    const { sim } = clouds[r]!;
    // 3,334 + 3,333 + 3,333: the first regions take the remainder.
    const count = Math.floor(TRACKED_TASKS / regions) + (r < TRACKED_TASKS % regions ? 1 : 0);
    const ids = await sim.call('addInstances', { count, status: 'STOPPED', packages: [APP], namePrefix: 'track' });
    const taskIds = await sim.call('seedBackupTasks', { instanceIds: ids, apps: [APP] });
    perRegion.push({ region, sim, tasks: count });
    for (let i = 0; i < ids.length; i += INSTANCES_PER_REQUEST) {
      const slice = ids.slice(i, i + INSTANCES_PER_REQUEST);
      requests.push({
        region,
        instanceIds: slice,
        taskIds: taskIds.slice(i, i + INSTANCES_PER_REQUEST),
        // Task k of region r is due at slot k × regions + r: every 100 due tasks in a row mix all regions.
        pollOffsets: slice.map((_, j) => (i + j) * regions + r),
      });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-bench-'));
  tempDirs.push(dir);
  const databasePath = join(dir, 'bot.db');
  const requestIds = seedTrackedRequests(databasePath, requests);

  const { bot } = await startBotWorker(slack, home, trackingEnv, databasePath, regionEndpoints);
  const open = await bot.call('openTasks', undefined);
  if (open !== TRACKED_TASKS) throw new Error(`the bot sees ${open} open tasks, not ${TRACKED_TASKS}`);
  const before = await bot.call('memory', undefined);
  log(`tracking: bot started with ${formatCount(open)} open tasks; polling`);

  /** DescribeTasks calls each region's simulator logged since its mark. */
  const marks = () => Promise.all(perRegion.map(({ sim }) => sim.call('mark', undefined)));
  const countSince = (since: number[]) =>
    Promise.all(perRegion.map(({ sim }, r) => sim.call('count', { since: since[r]!, action: 'DescribeTasks' })));

  const steady: CycleStats[] = [];
  /** Per steady cycle, DescribeTasks calls per region (in TRACKING_REGIONS order). */
  const regionCalls: number[][] = [];
  let warmUpCalls = 0;
  for (let cycle = 0; cycle < STEADY_CYCLES + 1; cycle++) {
    const mark = await marks();
    const stats = await bot.call('pollCycle', undefined);
    const counted = (await countSince(mark)).map((c) => c.total);
    // The first cycle sees every task go Waiting → Processing, and the client has seen none of them since the start:
    // warm-up, not counted.
    if (cycle === 0) {
      warmUpCalls = counted.reduce((a, b) => a + b, 0);
      continue;
    }
    steady.push(stats);
    regionCalls.push(counted);
  }
  const simCalls = regionCalls.map((perCycle) => perCycle.reduce((a, b) => a + b, 0));
  const probe = await bot.call('openCountProbe', { requestId: requestIds[0]!, repeat: 50 });

  // Then the heaviest cycle: every task has finished, 10,000 state changes to write.
  let ended = 0;
  for (const { sim } of perRegion) ended += await sim.call('finishSeededTasks', undefined);
  if (ended !== TRACKED_TASKS) throw new Error(`${ended} simulated backups ended, not ${TRACKED_TASKS}`);
  const mark = await marks();
  const finishing = await bot.call('pollCycle', undefined);
  const finishingByRegion = (await countSince(mark)).map((c) => c.total);
  const finishingCalls = finishingByRegion.reduce((a, b) => a + b, 0);
  const logStats = await bot.call('logStats', undefined);
  const collected = await bot.call('memoryAfterGc', undefined);

  const regionMinimum = perRegion.map(({ tasks }) => Math.ceil(tasks / TASK_IDS_PER_CALL));
  const medianByRegion = perRegion.map((_, r) => median(regionCalls.map((perCycle) => perCycle[r]!)));
  const byRegionText = perRegion
    .map(({ region, tasks }, r) => `${region} ${formatCount(medianByRegion[r]!)} for ${formatCount(tasks)}`)
    .join(', ');
  const eachRegionAtMost = (counts: number[]) => counts.every((n, r) => n <= regionMinimum[r]!);
  const calls = median(simCalls);
  const polled = median(steady.map((s) => s.polled));
  const minimum = regionMinimum.reduce((a, b) => a + b, 0);
  const cpu = steady.map((s) => s.cpuUserMs + s.cpuSystemMs);
  const wall = steady.map((s) => s.wallMs);
  const peakSteady = max(steady.map((s) => s.rssPeak));
  const peak = Math.max(peakSteady, finishing.rssPeak);
  const finishingCpu = finishing.cpuUserMs + finishing.cpuSystemMs;
  const rows: Row[] = [
    {
      metric: `DescribeTasks per poll cycle, ${formatCount(TRACKED_TASKS)} open tasks in ${regions} regions`,
      measured:
        `${formatCount(calls)} calls for ${formatCount(polled)} tasks (per region: ${byRegionText}; cycles: ${simCalls.join(', ')}; ` +
        `finishing cycle ${finishingCalls} = ${finishingByRegion.join(' + ')}; warm-up cycle after the start ${warmUpCalls})`,
      target: `${formatCount(minimum)} (1 per ${TASK_IDS_PER_CALL} open tasks of a region: ${regionMinimum.join(' + ')})`,
      ratio: `${formatTimes(TRACKED_TASKS / calls)} fewer than naive (${formatCount(TRACKED_TASKS)})`,
      verdict: verdict(regionCalls.every(eachRegionAtMost) && eachRegionAtMost(finishingByRegion)),
    },
    {
      metric: `CPU per poll cycle, ${formatCount(TRACKED_TASKS)} tasks (bot process)`,
      measured: `median ${formatMs(median(cpu))} user+sys; wall ${formatMs(median(wall))}`,
      target: '—',
      ratio: `${formatMs(median(cpu) / (TRACKED_TASKS / 1000))} per 1,000 tasks`,
      verdict: 'INFO',
    },
    {
      metric: `  cycle in which all ${formatCount(TRACKED_TASKS)} finish`,
      measured: `${formatMs(finishingCpu)} user+sys; wall ${formatMs(finishing.wallMs)}; ${formatCount(finishing.finished)} finished`,
      target: '—',
      ratio: `${formatTimes(finishingCpu / median(cpu))} a steady cycle`,
      verdict: 'INFO',
    },
    {
      metric: `resident memory, bot tracking ${formatCount(TRACKED_TASKS)} tasks`,
      measured:
        `peak ${formatMb(peak)} in cycles; ${formatMb(before.rss)} before them (idle bot, no tasks: ${formatMb(idle.rss)}); ` +
        `after a forced GC ${collected ? `${formatMb(collected.rss)}, heap used ${formatMb(collected.heapUsed)}` : 'n/a'}`,
      target: `< ${formatMb(MEMORY_TARGET_BYTES)}`,
      ratio: `${formatPercent(peak / MEMORY_TARGET_BYTES, 0)} of target`,
      verdict: verdict(peak < MEMORY_TARGET_BYTES),
    },
  ];
  const notes = [
    `tracking: the tasks are spread over ${TRACKING_REGIONS.join(', ')} (${perRegion.map((p) => formatCount(p.tasks)).join(' + ')}), ` +
      `one simulator process per region (its own endpoint, as the service has), the bot on CLOUDPHONE_REGIONS with each ` +
      `region's endpoint; their first polls interleave the regions, so 100 tasks in due order mix all three, and the poller ` +
      `groups them by region (from the tasks' instances and earlier answers). The warm-up cycle right after the start asks ` +
      `every region about tasks the client has not seen since the start (${warmUpCalls} calls); later cycles ask one region each.`,
    `tracking: ${formatCount(TRACKED_TASKS)} STOPPED instances in the simulators with a BackupApp task each in flight ` +
      `(${minimum} batches, put straight into their state: 10,000 real BackupApp calls cost the ` +
      `simulator minutes), and in a bot SQLite file ${requestIds.length} requests of ${INSTANCES_PER_REQUEST} instances at ` +
      `step "track" with those task ids (as the workflow writes them; a restart resumes from exactly this). The bot then ` +
      `starts on that file. Each cycle is one createTaskPoller(...).pollOnce() of the real poller on the bot's repositories, ` +
      `inside the bot process (its Bolt receiver and runner running), with a clock days ahead so every open task is due; ` +
      `the bot's own runner polls every 10 min in this run, so it stays out of the way. Calls counted in the simulator's ` +
      `request log; CPU = process.cpuUsage() delta; RSS sampled every 20 ms; ${STEADY_CYCLES} steady cycles after 1 ` +
      `warm-up, then one cycle after every backup ended. RSS is the bot's alone (simulator and Slack are other processes).`,
    `tracking: heap used ${formatMb(idle.heapUsed)} idle, ${formatMb(before.heapUsed)} with ${formatCount(TRACKED_TASKS)} ` +
      `open tasks before the cycles, ${collected ? formatMb(collected.heapUsed) : 'n/a'} after them and a forced full GC ` +
      `(heap total ${collected ? formatMb(collected.heapTotal) : 'n/a'}): the peak is per-cycle garbage and V8/allocator slack, not retained data.`,
    `tracking: tasks.openCount(requestId) with ${formatCount(TRACKED_TASKS)} open tasks: ${formatMs(probe.perCallMs)} per call ` +
      `(${probe.open} open in that request); plan: ${probe.plan}`,
  ];
  if (logStats.warn + logStats.error > 0) {
    notes.push(
      `tracking bot logged ${logStats.warn} warnings, ${logStats.error} errors; first: ${logStats.samples[0] ?? ''}`,
    );
  }
  await bot.call('stop', undefined);
  await bot.close();
  for (const { sim } of clouds) {
    await sim.call('stop', undefined);
    await sim.close();
  }
  return { rows, notes };
}

// ---------------------------------------------------------------------------------------------------------------

const loadAverage = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ');

// ---------------------------------------------------------------------------------------------------------------
// 5. Under injected faults: every backup completes, every reply is posted, no phone is left stopped

const FAULT_REQUESTS = 8;
const FAULT_SEED = 19;

async function measureFaults(slack: SlackStandIn): Promise<PhaseResult> {
  const cloud = await startSim({ ...FAST_TIMING }, FAULT_SEED);
  const { bot, driver } = await startBotWorker(slack, cloud, {
    CLOUDPHONE_POLL_INTERVAL_MS: '200',
    CLOUDPHONE_MAX_POLL_INTERVAL_MS: '2000',
    CLOUDPHONE_TRANSIENT_RETRY_MS: '60000',
  });
  try {
    // Running phones: each backup stops its phone first and must start it again afterwards.
    const ids = await cloud.sim.call('addInstances', {
      count: FAULT_REQUESTS,
      status: 'RUNNING',
      packages: [APP],
      namePrefix: 'faults',
    });
    const mark = await cloud.sim.call('mark', undefined);
    await cloud.sim.call('setFaults', {
      faults: {
        throttle: { rate: 0.3, retryAfterMs: 20 },
        serverError: { rate: 0.1 },
        drop: { rate: 0.05 },
        dropAfterApply: { rate: 0.05 },
      },
    });
    slack.faults.configure({ seed: FAULT_SEED, rateLimitRate: 0.2, retryAfterSec: 1 });
    const requestIds = await backUpEach(driver, ids);
    const deadline = Date.now() + 240_000;
    let replies = 0;
    while (Date.now() < deadline) {
      replies = requestIds.filter((id) => completionCall(slack, id) !== undefined).length;
      if (replies === requestIds.length) break;
      await sleep(250);
    }
    slack.faults.clear();
    await cloud.sim.call('setFaults', { faults: {} });
    const completed = await cloud.sim.call('availableBackups', { requestIds });
    const statuses = await cloud.sim.call('statuses', { ids });
    const leftStopped = statuses.filter((status) => status !== 'RUNNING').length;
    const faulted = await cloud.sim.call('faulted', { since: mark });
    const ok = completed === requestIds.length && replies === requestIds.length && leftStopped === 0;
    return {
      rows: [
        {
          metric: 'under faults: backups completed · replies posted · phones left stopped',
          measured: `${completed}/${requestIds.length} · ${replies}/${requestIds.length} · ${leftStopped}`,
          target: `${requestIds.length} · ${requestIds.length} · 0`,
          ratio: `${faulted} cloud calls met a fault`,
          verdict: ok ? 'OK' : 'MISSED',
        },
      ],
      notes: [
        `faults: ${FAULT_REQUESTS} one-phone backups of RUNNING phones (stop, back up, start again) with the cloud ` +
          'throttling 30% of calls, failing 10% with 5xx, dropping 5% of connections and losing 5% of answers after ' +
          'acting, and Slack answering 20% of calls with 429; simulator FAST_TIMING, poll 200 ms, transient retries for ' +
          '60 s. "Left stopped" counts the phones not RUNNING once every reply is in (or after 4 minutes).',
      ],
    };
  } finally {
    slack.faults.clear();
    await bot.call('stop', undefined).catch(() => undefined);
    await bot.close();
    await cloud.sim.call('stop', undefined).catch(() => undefined);
    await cloud.sim.close();
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  log(`compiling src + bench with tsc into ${BUILD_DIR}/ (the workers run that JavaScript with plain node)…`);
  const buildStarted = Date.now();
  workerDir = buildWorkers();
  log(`compiled in ${formatMs(Date.now() - buildStarted)}`);
  const rows: Row[] = [];
  const notes: string[] = [];
  let failed = false;
  const run = async (name: string, metric: string, phase: () => Promise<PhaseResult>) => {
    log(`${name}…`);
    const phaseStarted = Date.now();
    try {
      const result = await phase();
      rows.push(...result.rows);
      notes.push(...result.notes);
    } catch (error) {
      failed = true;
      rows.push(failedRow(metric, error));
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    log(`${name} done in ${formatMs(Date.now() - phaseStarted)}`);
  };

  const slack = await startSlackStandIn({ rateLimits: false });
  for (const id of benchUsers()) slack.addUser({ id, name: id.toLowerCase(), realName: `Bench ${id}` });
  slack.setChannelMembers(CHANNEL, [ADMIN, 'U0BOB', ...benchUsers()]);
  for (const id of [ADMIN, ...benchUsers()]) {
    slack.addChannel({ id: ackChannelOf(id), name: `ack-${id.toLowerCase()}`, members: [ADMIN, id] });
  }

  // `npm run bench -- fleet faults` or BENCH_PHASES=fleet,faults: only those parts.
  const named = process.argv.slice(2).join(',') || process.env.BENCH_PHASES || '';
  const only = named.split(',').filter(Boolean);
  const wanted = (phase: string) => only.length === 0 || only.includes(phase);

  const startBurst = () =>
    wanted('burst')
      ? run('burst of large submissions', 'resident memory, burst of large submissions', () =>
          measureBurst({
            slack,
            startSim: (timing) => startSim({ ...DEFAULT_TIMING, ...timing }, 13),
            mainScript: join(workerDir, '..', 'src', 'main.js'),
            env: (cloud) => botEnv(slack, cloud, tempDatabase()),
            channelId: CHANNEL,
            userId: ADMIN,
            signingSecret: SIGNING_SECRET,
            inlineBackup,
            requestIdOf,
            completed: (requestId) => completionCall(slack, requestId) !== undefined,
            execArgv: BOT_EXEC_ARGV,
            log,
          }),
        )
      : Promise.resolve();
  let burst: Promise<void> | undefined;

  // Acks, reply latency and the 1,000-instance backup share one bot with production poll settings and a simulator
  // with the default (realistic) timings; the 10,000-task run has its own pair.
  const pollIntervalMs = 5_000; // CLOUDPHONE_POLL_INTERVAL_MS default
  if (wanted('acks') || wanted('home') || wanted('flood') || wanted('latency') || wanted('big')) {
    const cloud = await startSim({ ...DEFAULT_TIMING }, 7);
    const main = await startBotWorker(slack, cloud);
    if (wanted('acks')) {
      await run('acks', 'ack: slash command / modal submission', () =>
        measureAcks(slack, cloud.sim, main.bot, main.port),
      );
      // The burst's bot and simulator are processes of their own, and nothing is measured while the ack-phase
      // backups finish: the burst runs meanwhile (about 90 s, mostly waiting for its 45 s tasks) and is awaited
      // before the next measurement.
      burst ??= startBurst();
      await run('waiting for the ack-phase backups to finish', 'ack-phase backups finish', async () => {
        await until('the ack-phase backups to finish', 180_000, async () =>
          (await main.bot.call('unfinishedRequests', undefined)) === 0 ? true : undefined,
        );
        return { rows: [], notes: [] };
      });
    }
    if (wanted('home')) {
      await run('App Home publish', 'App Home publish, 10,000-phone fleet', () =>
        measureHomePublish(slack, cloud.sim, main.driver, wanted('acks')),
      );
    }
    await burst;
    if (wanted('flood')) {
      await run('unsigned flood', 'ack p99 while unsigned 1 MB bodies arrive', async () => {
        const loadWorker = await startWorker<LoadHandlers>(join(workerDir, 'load-worker.js'), 'load');
        workers.push(loadWorker as unknown as Worker<never>);
        const appUrl = `http://127.0.0.1:${main.port}/slack/events`;
        const load = createSlackLoad({ standIn: slack, load: loadWorker, appUrl, signingSecret: SIGNING_SECRET });
        return measureUnsignedFlood({ load, appUrl, userId: ADMIN, channelId: ackChannelOf(ADMIN) });
      });
    }
    if (wanted('latency')) {
      await run('reply latency', 'task finished → threaded reply', () =>
        measureReplyLatency(slack, cloud.sim, main.bot, main.driver, pollIntervalMs),
      );
    }
    if (wanted('big')) {
      await run('1,000-instance backup', 'Slack messages per request, 1,000-instance backup', () =>
        measureBigBackup(slack, cloud.sim, main.bot, main.driver),
      );
    }
    const mainLogs = await main.bot.call('logStats', undefined).catch(() => undefined);
    if (mainLogs && mainLogs.warn + mainLogs.error > 0) {
      notes.push(
        `main bot logged ${mainLogs.warn} warnings, ${mainLogs.error} errors; first: ${mainLogs.samples[0] ?? ''}`,
      );
    }
    await main.bot.call('stop', undefined).catch(() => undefined);
    await main.bot.close();
    await cloud.sim.call('stop', undefined).catch(() => undefined);
    await cloud.sim.close();
  }
  if (wanted('tracking')) {
    await run('10,000 tracked tasks', 'poll cycles with 10,000 tracked tasks', () => measureTracking(slack));
  }
  // Without the ack phase, the burst runs on its own at the end.
  await (burst ?? startBurst());
  if (wanted('fleet')) {
    await run('10,000-phone schedule', 'fleet: 10,000-phone schedule, waves of 500', () =>
      measureFleet({
        startSim: (timing) => startSim(timing, 23, { emptyFleet: true }),
        startBot: async (cloud, env, databasePath) => {
          const started = await startBotWorker(slack, cloud, env, databasePath);
          return {
            peakRss: () => started.bot.call('peakRss', undefined),
            stop: async () => {
              await started.bot.call('stop', undefined);
              await started.bot.close();
            },
          };
        },
        databasePath: tempDatabase(),
        channel: CHANNEL,
        owner: ADMIN,
        app: APP,
        backupPath: BACKUP_PATH,
        log,
      }),
    );
  }
  if (wanted('faults')) {
    await run('backups under faults', 'under faults: backups completed · replies posted · phones left stopped', () =>
      measureFaults(slack),
    );
  }
  await slack.close();

  const cpu = cpus();
  const header = [
    `cloudphone-backup-bot benchmark — ${new Date(started).toISOString()}`,
    `machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${formatMb(totalmem())} RAM, node ${process.version}, ${process.platform}/${process.arch}`,
    `load average (1/5/15 min): ${loadAtStart} at start, ${loadAverage()} at end. All numbers below come from this one run`,
    '  (shared, noisy machine: compare ratios, not absolute times).',
    'Processes: this one = Slack (Web API stand-in, rate limits OFF: nothing here measures pacing) + signed-request driver;',
    '  the bot (startBot: Bolt HTTP receiver, SQLite file, runner; LOG_LEVEL=info, lines discarded), the simulator and, for the',
    '  acknowledgement bursts, a load generator each run in a worker process.',
    `Workers run JavaScript compiled by tsc (${BUILD_DIR}/) with plain node, no tsx loader, as \`npm start\` runs the bot`,
    '  (node dist/main.js), so their memory and CPU are what production has.',
    ...(BOT_EXEC_ARGV.length > 0
      ? [`Bot processes run with the Node flags ${BOT_EXEC_ARGV.join(' ')} (npm start's, then BENCH_BOT_EXEC_ARGV)`]
      : []),
    `Bot settings: defaults (poll ${pollIntervalMs} ms growing ×1.5 to 60 s, runner idle tick 1 s, progress updates every 10 s) except where a row says.`,
  ];
  process.stdout.write(`${header.join('\n')}\n\n${renderTable(rows)}\n\nHow each number was measured:\n`);
  for (const note of notes) process.stdout.write(`- ${note}\n`);
  process.stdout.write(`\nTotal time ${formatMs(Date.now() - started)}.\n`);
  return failed ? 1 : 0;
}

async function cleanup(): Promise<void> {
  for (const worker of workers) await worker.close().catch(() => undefined);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  log(`the bench did not finish within ${formatMs(WATCHDOG_MS)}; stopping`);
  void cleanup().finally(() => process.exit(2));
}, WATCHDOG_MS);
watchdog.unref();

try {
  const code = await main();
  await cleanup();
  process.exit(code);
} catch (error) {
  log(`the bench could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup();
  process.exit(1);
}
