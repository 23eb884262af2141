import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { scheduleRunSteps } from '../../../../src/services/schedules/run-steps.js';
import type { ScheduleSpec } from '../../../../src/services/schedules/spec.js';
import { useMemoryDatabase } from '../../../support/memory-db.js';

const spec: ScheduleSpec = {
  name: 'fleet',
  targets: ['acp-*'],
  apps: ['com.a'],
  backupPath: 'oss://bucket/dir/',
  cron: '0 3 * * *',
  timeZone: 'UTC',
  retention: {},
  wave: { kind: 'count', count: 3 },
  channelId: 'C0OPS',
};

describe('rolling waves', () => {
  const mem = useMemoryDatabase();

  function setUp(instances: number, wave: number, maxInstancesPerCall = 100) {
    let now = 1_000_000;
    const steps = scheduleRunSteps({
      repos: mem.repos,
      guard: { check: async () => ({ decision: { allowed: true, rule: 'test' }, auditId: 1 }) },
      audit: { recordOutcome: () => 0, linkRequest: () => undefined, recordDecision: () => 1 } as never,
      listFleet: async () => [],
      notifier: {} as never,
      clock: { now: () => now },
      logger: pino({ level: 'silent' }),
      settings: {
        pollIntervalMs: 10,
        maxPollIntervalMs: 100,
        transientRetryMs: 100,
        progressUpdateMs: 0,
        defaultUploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
        maxInstancesPerCall,
      },
    });
    const runId = 'run-1';
    mem.repos.scheduleRuns.create({
      id: runId,
      idempotencyKey: 'sch-1@1',
      owner: { userId: 'U1', teamId: 'T1' },
      channelId: 'C0OPS',
      detail: { scheduleId: 'sch-1', scheduleName: 'fleet', spec, waveCount: wave },
      status: 'running',
      simulated: true,
      now,
    });
    const ids = Array.from({ length: instances }, (_, i) => `acp-${String(i).padStart(4, '0')}`);
    mem.repos.scheduleRuns.addInstances(
      runId,
      'sch-1',
      ids.map((instanceId) => ({ instanceId })),
    );
    mem.repos.requests.setStep(runId, 'waves', now, now);
    const waves = (steps as unknown as { steps: Record<string, (id: string) => Promise<void>> }).steps.waves!;
    return {
      runId,
      ids,
      waves: () => waves(runId),
      tick: () => {
        now += 1;
      },
    };
  }

  /** Open child backups, with their instances. */
  const openChildren = () =>
    mem.db.prepare(`SELECT id, detail_json FROM requests WHERE kind = 'backup' AND finished_at IS NULL`).all() as {
      id: string;
      detail_json: string;
    }[];

  it('keeps at most a wave in flight, fills freed slots as children end, and sends each instance once', async () => {
    const { runId, ids, waves, tick } = setUp(10, 3);
    const sentTimes = new Map<string, number>();
    let peak = 0;
    for (let round = 0; round < 50 && mem.repos.requests.header(runId)?.step === 'waves'; round++) {
      await waves();
      const open = openChildren();
      const inFlight = open.reduce((n, c) => n + (JSON.parse(c.detail_json).instanceIds as string[]).length, 0);
      peak = Math.max(peak, inFlight);
      expect(inFlight).toBeLessThanOrEqual(3);
      // The oldest open child ends (its phones started again), freeing its slots.
      const ending = open[0];
      if (ending) {
        for (const id of JSON.parse(ending.detail_json).instanceIds as string[]) {
          sentTimes.set(id, (sentTimes.get(id) ?? 0) + 1);
          mem.repos.backups.updateInstance(ending.id, id, { state: 'succeeded', backupFileId: `bf-${id}` });
        }
        mem.repos.requests.finish(ending.id, 'succeeded', 1);
      }
      tick();
    }
    expect(peak).toBe(3);
    expect(mem.repos.requests.header(runId)?.step).toBe('prune');
    expect([...sentTimes.keys()].sort()).toEqual(ids);
    expect([...sentTimes.values()].every((n) => n === 1)).toBe(true);
    expect(mem.repos.scheduleRuns.counts(runId)).toMatchObject({ total: 10, succeeded: 10, queued: 0, inFlight: 0 });
  });

  it('fills a wave with children of at most one call each, and refills the slots a child frees', async () => {
    const { runId, waves } = setUp(9, 5, 2);
    await waves();
    const sizes = () => openChildren().map((c) => (JSON.parse(c.detail_json).instanceIds as string[]).length);
    // A wave of 5 in calls of at most 2: three children, each numbered for its idempotency key.
    expect(sizes()).toEqual([2, 2, 1]);
    expect(mem.repos.scheduleRuns.childCount(runId)).toBe(3);
    const first = openChildren()[0]!;
    for (const id of JSON.parse(first.detail_json).instanceIds as string[]) {
      mem.repos.backups.updateInstance(first.id, id, { state: 'succeeded', backupFileId: `bf-${id}` });
    }
    mem.repos.requests.finish(first.id, 'succeeded', 1);
    await waves();
    expect(sizes()).toEqual([2, 1, 2]);
    expect(mem.repos.scheduleRuns.counts(runId)).toMatchObject({ queued: 2, inFlight: 5, succeeded: 2 });
  });

  it('skips and reports an instance a person started working on after the run resolved', async () => {
    const { runId, ids, waves } = setUp(2, 5);
    mem.repos.backups.create({
      id: 'req-person',
      idempotencyKey: 'command:1',
      actor: { userId: 'U2', teamId: 'T1' },
      channelId: 'C1',
      spec: {
        instanceIds: [ids[0]!],
        apps: ['com.a'],
        backupPath: 'oss://bucket/dir/',
        uploadEndpoint: 'e',
        stopBeforeBackup: true,
        startAfterBackup: true,
      },
      simulated: true,
      now: 1,
    });
    await waves();
    const [held, free] = mem.repos.scheduleRuns.instances(runId);
    expect(held).toMatchObject({ state: 'skipped', reasonCode: 'InstanceBusy' });
    expect(held?.reasonMessage).toContain('<@U2>');
    expect(free).toMatchObject({ state: 'sent' });
  });

  it('a repeated step after a crash does not send an instance again', async () => {
    const { runId, waves } = setUp(4, 2);
    await waves();
    await waves();
    await waves();
    expect(openChildren()).toHaveLength(1);
    expect(mem.repos.scheduleRuns.counts(runId)).toMatchObject({ queued: 2, inFlight: 2 });
  });
});
