/**
 * Memory under a burst: the bot started as `npm start` starts it (plain `node` on the compiled `main.js`, its log on
 * stdout), then 20 inline `/cloudphone backup` commands of 500 stopped instances each, sent within one second (10,000
 * tasks of 45 s), tracked until every request has posted its completion reply. The bot's resident memory is read
 * from outside (/proc/<pid>/status) every 200 ms, as `ps` or `top` would see it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createSlackDriver, type SlackStandIn } from '../src/sandbox/slack/index.js';
import type { Worker } from './rpc.js';
import type { SimHandlers } from './sim-worker.js';
import { formatCount, formatMb, formatMs, formatPercent, median, type Row, verdict } from './stats.js';

export const BURST_REQUESTS = 20;
export const BURST_INSTANCES_PER_REQUEST = 500;
/** The commands go out spread over this window (the "within one second"). */
const BURST_WINDOW_MS = 1_000;
/** Processing time of each simulated backup. */
const BURST_TASK_MS = 45_000;
const RSS_SAMPLE_MS = 200;
/** The idle figure: the median of the samples over this window, once the started bot has settled. */
const IDLE_SETTLE_MS = 3_000;
const IDLE_WINDOW_MS = 3_000;
const BURST_TIMEOUT_MS = 240_000;
const MEMORY_TARGET_BYTES = 150e6;
/**
 * BENCH_BURST_TRACE=<file>: writes the bot's stdout (its log, and whatever BENCH_BOT_EXEC_ARGV flags such as
 * --trace-gc print) and each RSS sample (`rss <ms since the first command> <MB>`) to that file, in order, for looking
 * into where the memory goes.
 */
const TRACE_FILE = process.env.BENCH_BURST_TRACE;

function trace(line: string): void {
  if (TRACE_FILE) appendFileSync(TRACE_FILE, `${line}\n`);
}

export interface BurstSetup {
  slack: SlackStandIn;
  /** A simulator worker with the given timings. */
  startSim(timing: {
    backupMs: number;
  }): Promise<{ sim: Worker<SimHandlers>; url: string; keyId: string; keySecret: string }>;
  /** The compiled `main.js` (what `npm start` runs, from the same sources). */
  mainScript: string;
  /** The bot's settings (Slack, cloud and database are filled in here). */
  env(cloud: { url: string; keyId: string; keySecret: string }): Record<string, string>;
  channelId: string;
  userId: string;
  signingSecret: string;
  /** `/cloudphone` text that backs up these instances inline. */
  inlineBackup(ids: readonly string[]): string;
  /** The request id in the command's acknowledgement. */
  requestIdOf(body: string): string;
  /** Whether the completion reply of this request reached Slack. */
  completed(requestId: string): boolean;
  /** Extra Node flags for the bot (BENCH_BOT_EXEC_ARGV). */
  execArgv: string[];
  log(message: string): void;
}

/** Resident set size of a process, from /proc (Linux), in bytes; undefined once it has exited. */
function residentBytes(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

interface BotProcess {
  child: ChildProcess;
  port: number;
  logs: { warn: number; error: number; first: string | undefined; lines: number };
  stop(): Promise<void>;
}

/** Starts `node <mainScript>` and waits for its "cloud phone bot started" line, which names the port. */
async function startBotProcess(setup: BurstSetup, env: Record<string, string>): Promise<BotProcess> {
  const child = spawn(process.execPath, [...setup.execArgv, setup.mainScript], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = { warn: 0, error: 0, first: undefined as string | undefined, lines: 0 };
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bot did not start within 30 s')), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited (code ${code}) before it started: ${stderr.slice(0, 600)}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.lines++;
      trace(line);
      const level = /"level":"(warn|error|fatal)"/.exec(line)?.[1];
      if (level) {
        if (level === 'warn') logs.warn++;
        else logs.error++;
        logs.first ??= line.slice(0, 400);
      }
      if (line.includes('"cloud phone bot started"')) {
        clearTimeout(timer);
        resolve(Number(/"port":(\d+)/.exec(line)?.[1]));
      }
    });
  });
  return {
    child,
    port,
    logs,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(kill);
    },
  };
}

export async function measureBurst(setup: BurstSetup): Promise<{ rows: Row[]; notes: string[] }> {
  const total = BURST_REQUESTS * BURST_INSTANCES_PER_REQUEST;
  const cloud = await setup.startSim({ backupMs: BURST_TASK_MS });
  let bot: BotProcess | undefined;
  try {
    const ids = await cloud.sim.call('addInstances', {
      count: total,
      status: 'STOPPED',
      packages: ['com.example.bench'],
      namePrefix: 'burst',
    });
    if (TRACE_FILE) writeFileSync(TRACE_FILE, '');
    bot = await startBotProcess(setup, setup.env(cloud));
    const pid = bot.child.pid ?? -1;
    if (residentBytes(pid) === undefined) throw new Error('cannot read /proc/<pid>/status (the burst row needs Linux)');

    const samples: { at: number; rss: number }[] = [];
    let burstStarted = Number.POSITIVE_INFINITY;
    const sampler = setInterval(() => {
      const rss = residentBytes(pid);
      if (rss === undefined) return;
      samples.push({ at: Date.now(), rss });
      trace(`rss ${Date.now() - burstStarted} ${(rss / 1e6).toFixed(1)}`);
    }, RSS_SAMPLE_MS);
    try {
      await sleep(IDLE_SETTLE_MS + IDLE_WINDOW_MS);
      const idleFrom = Date.now() - IDLE_WINDOW_MS;
      const idle = median(samples.filter((s) => s.at >= idleFrom).map((s) => s.rss));

      const driver = createSlackDriver({
        appUrl: `http://127.0.0.1:${bot.port}/slack/events`,
        signingSecret: setup.signingSecret,
        standIn: setup.slack,
      });
      setup.log(
        `burst: ${BURST_REQUESTS} commands of ${BURST_INSTANCES_PER_REQUEST} instances within ${formatMs(BURST_WINDOW_MS)}`,
      );
      burstStarted = Date.now();
      const acks = await Promise.all(
        Array.from({ length: BURST_REQUESTS }, async (_, i) => {
          await sleep((i * BURST_WINDOW_MS) / BURST_REQUESTS);
          const slice = ids.slice(i * BURST_INSTANCES_PER_REQUEST, (i + 1) * BURST_INSTANCES_PER_REQUEST);
          return driver.slashCommand({
            command: '/cloudphone',
            text: setup.inlineBackup(slice),
            userId: setup.userId,
            channelId: setup.channelId,
          });
        }),
      );
      const sentMs = Date.now() - burstStarted;
      const requestIds = acks.map((ack) => setup.requestIdOf(ack.rawBody));
      const slowestAck = Math.max(...acks.map((ack) => ack.elapsedMs));

      const deadline = Date.now() + BURST_TIMEOUT_MS;
      let done = 0;
      for (;;) {
        done = requestIds.filter((id) => setup.completed(id)).length;
        if (done === requestIds.length) break;
        if (Date.now() > deadline || bot.child.exitCode !== null) {
          throw new Error(
            `${done} of ${requestIds.length} requests reported within ${formatMs(BURST_TIMEOUT_MS)}` +
              (bot.child.exitCode !== null ? ` (the bot exited, code ${bot.child.exitCode})` : ''),
          );
        }
        await sleep(500);
      }
      const trackedMs = Date.now() - burstStarted;
      const during = samples.filter((s) => s.at >= burstStarted);
      const peak = Math.max(...during.map((s) => s.rss));
      const peakAt = during.find((s) => s.rss === peak)!.at - burstStarted;
      setup.log(`burst: all ${requestIds.length} requests reported in ${formatMs(trackedMs)}; peak ${formatMb(peak)}`);

      const rows: Row[] = [
        {
          metric: `resident memory, burst of ${BURST_REQUESTS} × ${BURST_INSTANCES_PER_REQUEST}-instance backups`,
          measured:
            `peak ${formatMb(peak)} (${formatMs(peakAt)} after the first command), idle ${formatMb(idle)}; ` +
            `${formatCount(total)} tasks tracked to the last reply in ${formatMs(trackedMs)}`,
          target: `peak < ${formatMb(MEMORY_TARGET_BYTES)}`,
          ratio: `peak = ${(peak / idle).toFixed(2)}× idle; ${formatPercent(peak / MEMORY_TARGET_BYTES, 0)} of target`,
          verdict: verdict(peak < MEMORY_TARGET_BYTES && bot.logs.error === 0),
        },
      ];
      const notes = [
        `burst: the bot runs as \`npm start\` runs it (node on the compiled main.js, LOG_LEVEL=info, its log read from ` +
          `stdout and counted), against a simulator whose ${formatCount(total)} instances are STOPPED and whose backups take ` +
          `${formatMs(BURST_TASK_MS)}. ${BURST_REQUESTS} inline \`/cloudphone backup <${BURST_INSTANCES_PER_REQUEST} ids> --apps … ` +
          `--path …\` commands from one person in one channel went out over ${formatMs(sentMs)} (slowest ack ` +
          `${formatMs(slowestAck)}); tracked until every request's completion reply reached Slack. RSS read from ` +
          `/proc/<pid>/status every ${RSS_SAMPLE_MS} ms (${formatCount(samples.length)} samples); idle = median over ` +
          `${formatMs(IDLE_WINDOW_MS)} after the started bot settled ${formatMs(IDLE_SETTLE_MS)}. In a full run it goes ` +
          'while the main bot finishes the ack phase’s backups (other processes, measured by nothing meanwhile), to keep ' +
          'the whole bench short.',
      ];
      if (bot.logs.warn + bot.logs.error > 0) {
        notes.push(
          `burst bot logged ${bot.logs.warn} warnings, ${bot.logs.error} errors; first: ${bot.logs.first ?? ''}`,
        );
      }
      return { rows, notes };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await bot?.stop();
    await cloud.sim.call('stop', undefined).catch(() => undefined);
    await cloud.sim.close();
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
