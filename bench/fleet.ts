/**
 * The fleet row of `npm run bench`: a 10,000-phone schedule in the simulator, waves of 500, throttling on. The
 * schedule is written into the bot's database before it starts (as the schedule commands would), with its slot now;
 * the bot's runner takes the slot and runs it like any scheduled run. Measured from outside the bot: the simulator's
 * request log and its phones' statuses (sampled every 25 ms), the bot's database and its process's peak RSS.
 */
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/database.js';
import { createRepositories } from '../src/db/index.js';
import type { Timing } from '../src/sandbox/simulator/index.js';
import type { Worker } from './rpc.js';
import type { SimHandlers } from './sim-worker.js';
import { formatCount, formatMb, formatMs, formatPercent, type Row, verdict } from './stats.js';

/** BENCH_FLEET_PHONES / BENCH_FLEET_WAVE make a smaller fleet for looking into a number; the row is 10,000 and 500. */
export const FLEET_PHONES = Number(process.env.BENCH_FLEET_PHONES ?? 10_000);
export const FLEET_WAVE = Number(process.env.BENCH_FLEET_WAVE ?? 500);
/**
 * The account's quota the simulator enforces (calls per second over all actions; more is answered `Throttling.User`
 * with a retry-after), and the bot's CLOUDPHONE_MAX_CALLS_PER_SECOND set to it: 10, the bot's default.
 */
const QUOTA_PER_SECOND = 10;
export const FLEET_TIMING: Partial<Timing> = {
  stopMs: 1_000,
  startMs: 1_000,
  taskWaitMs: 200,
  taskProcessMs: 100,
  backupMs: 3_000,
};
const MEMORY_TARGET_BYTES = 150e6;
/** The most ids one StopAndroidInstance, BackupApp, StartAndroidInstance, DescribeAndroidInstances or DescribeTasks call takes (docs §3). */
const IDS_PER_CALL = 100;
/** RunSyncCommand (the app probe before a backup) takes at most 50 instances (docs §3.10). */
const IDS_PER_COMMAND = 50;

/**
 * The fewest calls a scheduled backup of `phones` can make, whatever the bot: per 100 phones one call each to list
 * the fleet, look the phones up, stop them, see them stopped, back them up, ask after the backup tasks, read the backup
 * files, start them and see them running; per 50 phones one RunSyncCommand to record the apps (issue 17). No call is
 * ever repeated here (no polling, no retry), so the quota floor below is a floor.
 */
export function leastCalls(phones: number): number {
  return Math.ceil(phones / IDS_PER_CALL) * 9 + Math.ceil(phones / IDS_PER_COMMAND);
}
const MARKER = 'scheduled fleet';

export interface FleetDeps {
  startSim(
    timing: Partial<Timing>,
  ): Promise<{ sim: Worker<SimHandlers>; url: string; keyId: string; keySecret: string }>;
  /** Starts a bot on this database with these extra settings; returns a handle to read its peak RSS and stop it. */
  startBot(
    cloud: { url: string; keyId: string; keySecret: string },
    env: Record<string, string>,
    databasePath: string,
  ): Promise<{ peakRss(): Promise<number>; stop(): Promise<void> }>;
  databasePath: string;
  channel: string;
  owner: string;
  app: string;
  backupPath: string;
  log(message: string): void;
}

export async function measureFleet(deps: FleetDeps): Promise<{ rows: Row[]; notes: string[] }> {
  const { sim, ...cloud } = await deps.startSim(FLEET_TIMING);
  const ids = await sim.call('addInstances', {
    count: FLEET_PHONES,
    status: 'RUNNING',
    packages: [deps.app],
    namePrefix: 'fleet',
  });
  const setUp = openDatabase(deps.databasePath);
  const slot = Date.now();
  createRepositories(setUp).schedules.create({
    id: 'sch-fleet',
    teamId: 'T0BENCH',
    ownerId: deps.owner,
    spec: {
      name: 'fleet',
      targets: ['acp-*'],
      apps: [deps.app],
      backupPath: deps.backupPath,
      cron: '0 3 * * *',
      timeZone: 'UTC',
      retention: {},
      wave: { kind: 'count', count: FLEET_WAVE },
      channelId: deps.channel,
    },
    nextSlotAt: slot,
    now: slot,
  });
  setUp.close();
  // Setting the limit also starts the simulator's rate measurement afresh: what it reports is the run's.
  await sim.call('setRateLimit', { callsPerSecond: QUOTA_PER_SECOND });
  await sim.call('startSampling', { ids });
  const mark = await sim.call('mark', undefined);
  deps.log(`fleet: ${formatCount(FLEET_PHONES)} RUNNING phones, waves of ${FLEET_WAVE}; the bot takes the slot`);
  const bot = await deps.startBot(
    cloud,
    {
      CLOUDPHONE_POLL_INTERVAL_MS: '500',
      CLOUDPHONE_MAX_POLL_INTERVAL_MS: '2000',
      CLOUDPHONE_PROGRESS_UPDATE_MS: '5000',
      CLOUDPHONE_MAX_CALLS_PER_SECOND: String(QUOTA_PER_SECOND),
    },
    deps.databasePath,
  );
  const reader = new Database(deps.databasePath, { readonly: true });
  const runOf = reader.prepare(
    `SELECT id, status, step, created_at AS createdAt, finished_at AS finishedAt FROM requests WHERE kind = 'schedule-run'`,
  );
  type RunRow = { id: string; status: string; step: string; createdAt: number; finishedAt: number | null };
  let run: RunRow | undefined;
  const deadline = Date.now() + 20 * 60_000;
  let lastLog = 0;
  while (Date.now() < deadline) {
    run = runOf.get() as RunRow | undefined;
    if (run?.finishedAt) break;
    if (Date.now() - lastLog > 15_000) {
      const open = await sim.call('openBackupTasks', undefined);
      deps.log(`fleet: run ${run?.step ?? 'not taken yet'}; ${formatCount(open)} backup tasks open`);
      lastLog = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  reader.close();
  const peakStopped = await sim.call('stopSampling', undefined);
  const peakRss = await bot.peakRss();
  await bot.stop();
  const profile = await sim.call('describeTasksProfile', { since: mark });
  const rate = await sim.call('callRate', undefined);
  const actions = await sim.call('actionProfile', { since: mark });
  const byAction = actions.map(([action, n]) => `${action} ${formatCount(n)}`).join(', ');
  deps.log(`fleet: calls by action: ${byAction}`);
  const backups = await sim.call('backupsPerInstance', { ids, marker: MARKER });
  await sim.call('stop', undefined);
  await sim.close();
  if (!run?.finishedAt) throw new Error(`the fleet run did not finish in time (step ${run?.step ?? 'none'})`);

  const durationMs = run.finishedAt - run.createdAt;
  const t = FLEET_TIMING as Timing;
  const perWaveMs = t.stopMs + t.taskWaitMs + t.taskProcessMs + t.backupMs + t.startMs;
  const waves = Math.ceil(FLEET_PHONES / FLEET_WAVE);
  // Two floors: the phones' own time, wave after wave, and the calls the run must make at the quota. The run takes
  // at least the larger one.
  const timeFloorMs = waves * perWaveMs;
  const minCalls = leastCalls(FLEET_PHONES);
  const callFloorMs = (minCalls / QUOTA_PER_SECOND) * 1000;
  const leastMs = Math.max(timeFloorMs, callFloorMs);
  const perHundred = profile.taskIdsAsked === 0 ? 0 : (profile.describeTasks * 100) / profile.taskIdsAsked;
  const rows: Row[] = [
    {
      metric: `fleet: ${formatCount(FLEET_PHONES)}-phone schedule, waves of ${FLEET_WAVE}, throttling on`,
      measured: `run ${run.status}; ${backups.none} instances lost, ${backups.several} backed up twice`,
      target: '0 lost, 0 twice',
      ratio: '—',
      verdict: verdict(backups.none === 0 && backups.several === 0 && run.status === 'succeeded'),
    },
    {
      metric: '  most phones stopped at once',
      measured: formatCount(peakStopped),
      target: `≤ ${FLEET_WAVE} (the wave)`,
      ratio: formatPercent(peakStopped / FLEET_WAVE, 0),
      verdict: verdict(peakStopped <= FLEET_WAVE),
    },
    {
      metric: '  peak cloud call rate',
      measured:
        `${formatCount(rate.peakPerSecond)} calls in the busiest second (the closest ${QUOTA_PER_SECOND + 1} arrived ` +
        `${rate.tightestMs === undefined ? 'n/a' : formatMs(rate.tightestMs)} apart); ${formatCount(rate.calls)} calls, ` +
        `${formatCount(rate.throttled)} answered Throttling`,
      target: `≤ ${formatCount(QUOTA_PER_SECOND)}/s (the quota)`,
      ratio: formatPercent(rate.peakPerSecond / QUOTA_PER_SECOND, 0),
      verdict: verdict(rate.peakPerSecond <= QUOTA_PER_SECOND),
    },
    {
      metric: '  DescribeTasks per 100 open tasks',
      measured: `${perHundred.toFixed(2)} (${formatCount(profile.describeTasks)} calls for ${formatCount(profile.taskIdsAsked)} task ids)`,
      target: '≤ 1.10',
      ratio: '—',
      verdict: verdict(perHundred <= 1.1),
    },
    {
      metric: '  run duration vs least possible',
      measured:
        `${formatMs(durationMs)}; least ${formatMs(leastMs)}, the larger of ${waves} waves × ${formatMs(perWaveMs)} ` +
        `stop + task + start = ${formatMs(timeFloorMs)} and ${formatCount(minCalls)} calls at least ÷ ` +
        `${QUOTA_PER_SECOND}/s = ${formatMs(callFloorMs)} (it made ${formatCount(rate.calls)})`,
      target: '—',
      ratio: `${(durationMs / leastMs).toFixed(2)}×`,
      verdict: 'INFO',
    },
    {
      metric: '  peak resident memory, bot',
      measured: formatMb(peakRss),
      target: `< ${formatMb(MEMORY_TARGET_BYTES)}`,
      ratio: formatPercent(peakRss / MEMORY_TARGET_BYTES, 0),
      verdict: verdict(peakRss < MEMORY_TARGET_BYTES),
    },
  ];
  const notes = [
    `fleet: ${formatCount(FLEET_PHONES)} RUNNING phones in one simulator process; the simulator enforces a quota of ` +
      `${QUOTA_PER_SECOND} calls/s (Throttling.User with x-acs-retry-after above it) and the bot's ` +
      `CLOUDPHONE_MAX_CALLS_PER_SECOND is ${QUOTA_PER_SECOND}; peak rate = the simulator's most calls arriving in any one ` +
      `second (refused ones included); timing stop ${t.stopMs} ms, task wait ${t.taskWaitMs} ms + ${t.taskProcessMs} ms, backup ` +
      `${t.backupMs} ms, start ${t.startMs} ms; the bot at CLOUDPHONE_POLL_INTERVAL_MS=500. Phones not RUNNING sampled in the ` +
      `simulator every 25 ms; DescribeTasks per 100 open tasks = calls per 100 task ids asked about; lost / twice from the simulator's AVAILABLE backup files per phone; duration from the run ` +
      `request's creation (slot taken) to its end (pruning included; none here); the least possible duration is the larger ` +
      `of two floors, the phones' time (waves × stop + task wait + backup + start, one wave after the other) and the ` +
      `quota's (the fewest calls the run can make: per 100 phones one to list, look up, stop, see stopped, back up, ask ` +
      `after the tasks, read the files, start and see running, per 50 phones one RunSyncCommand app probe; ÷ the quota); ` +
      `the ratio is against the larger; calls by action: ${byAction}; peak RSS = the bot process's maxRSS.`,
  ];
  return { rows, notes };
}
