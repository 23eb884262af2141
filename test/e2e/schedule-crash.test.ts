/**
 * Crash safety of scheduled runs: the bot runs as a child process and is killed with SIGKILL at seeded random points
 * of a run over a fleet in rolling waves, then started again on the same database, until the run has reported. The
 * slot must run once, every instance be backed up exactly once (none lost, none twice), the phones the run stopped be
 * running again, and the run's parent and summary be posted once each.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { createRepositories } from '../../src/db/index.js';
import { FAST_TIMING, type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';
import { type SlackStandIn, startSlackStandIn } from '../../src/sandbox/slack/index.js';
import { completionMarker, parentMarker } from '../../src/slack/notifier.js';
import { killBot as kill, seeded, startBotProcess } from '../support/bot-child.js';
import { ADMIN, BACKUP_PATH, botEnv, CHANNEL } from '../support/harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sim: Simulator | undefined;
let slack: SlackStandIn | undefined;
let current: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cloudphone-schedule-crash-'));

afterEach(async () => {
  if (current) await kill(current);
  current = undefined;
  await slack?.close();
  await sim?.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('crash safety of scheduled runs', () => {
  it('kills the bot at random points of a run; the slot runs once and each instance is backed up exactly once', async () => {
    sim = await startSimulator({
      timing: { ...FAST_TIMING, backupMs: 1_500, stopMs: 500, startMs: 500 },
      seed: 5,
      runningBackupFailureRate: 0,
    });
    slack = await startSlackStandIn({ rateLimits: false });
    const dbPath = join(dir, 'bot.db');
    const env = botEnv({
      slack,
      sim,
      dbPath,
      overrides: { CLOUDPHONE_POLL_INTERVAL_MS: '50', CLOUDPHONE_TRANSIENT_RETRY_MS: '5000', LOG_LEVEL: 'error' },
    });
    // Fourteen phones with the app, four of them running (stopped for the backup, started again after).
    const ids = Array.from(
      { length: 14 },
      (_, i) =>
        sim!.addInstance({
          name: `fleet-${i}`,
          status: i < 4 ? 'RUNNING' : 'STOPPED',
          packages: ['com.tencent.mm'],
        }).id,
    );
    const running = ids.slice(0, 4);
    const slot = Date.now();
    const setUp = openDatabase(dbPath);
    createRepositories(setUp).schedules.create({
      id: 'sch-crash',
      teamId: slack.team.id,
      ownerId: ADMIN,
      spec: {
        name: 'crash-fleet',
        targets: ids,
        apps: ['com.tencent.mm'],
        backupPath: BACKUP_PATH,
        cron: '0 3 * * *',
        timeZone: 'UTC',
        retention: {},
        wave: { kind: 'count', count: 4 },
        channelId: CHANNEL,
      },
      nextSlotAt: slot,
      now: slot,
    });
    setUp.close();

    const runIds = () => {
      const db = openDatabase(dbPath);
      try {
        return db.prepare(`SELECT id, idempotency_key AS k FROM requests WHERE kind = 'schedule-run'`).all() as {
          id: string;
          k: string;
        }[];
      } finally {
        db.close();
      }
    };
    const withMarker = (marker: string) =>
      slack!
        .messages(CHANNEL)
        .filter((m) => (m.blocks as { block_id?: string }[] | undefined)?.some((b) => b.block_id === marker));
    const reported = () => {
      const runs = runIds();
      return runs.length > 0 && runs.every((run) => withMarker(completionMarker(run.id)).length > 0);
    };

    let { child } = await startBotProcess(env);
    current = child;
    let kills = 0;
    const random = seeded(11);
    const deadline = Date.now() + 150_000;
    // Keep killing after the report too: a restarted bot must neither post it again nor take the slot again.
    while ((kills < 8 || !reported()) && Date.now() < deadline) {
      if (kills < 14) {
        await sleep(150 + Math.floor(random() * 1_200));
        await kill(child);
        kills++;
        ({ child } = await startBotProcess(env));
        current = child;
      } else {
        await sleep(200);
      }
    }
    await sleep(1_000);
    await kill(child);

    expect(kills).toBeGreaterThanOrEqual(8);
    // The slot ran once.
    const runs = runIds();
    expect(runs).toEqual([{ id: expect.any(String), k: `sch-crash@${slot}` }]);
    const runId = runs[0]!.id;
    expect(withMarker(parentMarker(runId)), 'parent messages').toHaveLength(1);
    expect(withMarker(completionMarker(runId)), 'summaries').toHaveLength(1);
    // Every instance backed up exactly once: none lost, none twice.
    const files = [...sim.state.backupFiles.values()].filter((f) => f.description?.includes('scheduled crash-fleet'));
    const perInstance = new Map<string, number>();
    for (const file of files) perInstance.set(file.instanceId, (perInstance.get(file.instanceId) ?? 0) + 1);
    expect(Object.fromEntries(perInstance)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(files.every((f) => f.status === 'AVAILABLE')).toBe(true);
    // The phones the run stopped are running again.
    for (const id of running) expect(sim.state.instances.get(id)?.status, id).toBe('RUNNING');
    // The run reports every instance backed up.
    const db = openDatabase(dbPath);
    const counts = createRepositories(db).scheduleRuns.counts(runId);
    db.close();
    expect(counts).toMatchObject({ total: 14, succeeded: 14, failed: 0, skipped: 0 });
  }, 200_000);
});
