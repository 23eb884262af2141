import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createScheduleRuns } from '../../../../src/services/schedules/runs.js';
import { dueSlots } from '../../../../src/services/schedules/slots.js';
import type { ScheduleSpec } from '../../../../src/services/schedules/spec.js';
import { useMemoryDatabase } from '../../../support/memory-db.js';

const HOUR = 3_600_000;
const hourly = { cron: '0 * * * *', timeZone: 'UTC' };
const T0 = Date.parse('2026-12-05T10:00:00Z');

describe('which slots run', () => {
  it('runs the slot that has come', () => {
    expect(dueSlots({ cadence: hourly, firstDue: T0, now: T0 + 1_000, catchUpMs: 2 * HOUR })).toEqual({
      runSlot: T0,
      missed: undefined,
      nextSlotAt: T0 + HOUR,
    });
  });

  it('after a downtime, runs the newest missed slot once when young enough and reports the older ones', () => {
    const due = dueSlots({ cadence: hourly, firstDue: T0, now: T0 + 5 * HOUR + 60_000, catchUpMs: 2 * HOUR });
    expect(due.runSlot).toBe(T0 + 5 * HOUR);
    expect(due.missed).toEqual({ count: 5, first: T0, last: T0 + 4 * HOUR });
    expect(due.nextSlotAt).toBe(T0 + 6 * HOUR);
  });

  it('runs nothing when even the newest missed slot is older than the catch-up window', () => {
    const daily = { cron: '0 3 * * *', timeZone: 'UTC' };
    const first = Date.parse('2026-12-01T03:00:00Z');
    const due = dueSlots({
      cadence: daily,
      firstDue: first,
      now: Date.parse('2026-12-04T09:00:00Z'),
      catchUpMs: 2 * HOUR,
    });
    expect(due.runSlot).toBeUndefined();
    expect(due.missed).toEqual({ count: 4, first, last: Date.parse('2026-12-04T03:00:00Z') });
    expect(due.nextSlotAt).toBe(Date.parse('2026-12-05T03:00:00Z'));
  });
});

const spec = (name: string): ScheduleSpec => ({
  name,
  targets: ['acp-*'],
  apps: ['com.a'],
  backupPath: 'oss://bucket/dir/',
  cron: hourly.cron,
  timeZone: 'UTC',
  retention: {},
  wave: { kind: 'count', count: 5 },
  channelId: 'C0OPS',
});

describe('taking slots', () => {
  const mem = useMemoryDatabase();
  const starter = (now: () => number) =>
    createScheduleRuns({
      repos: mem.repos,
      clock: { now },
      logger: pino({ level: 'silent' }),
      settings: { catchUpMs: 2 * HOUR, opsChannel: undefined, simulated: true },
      runner: { kick: () => undefined },
      permissions: { scope: async () => ({ instancePatterns: [], unrestricted: false }) as never },
      audit: { recordDecision: () => 1 } as never,
    });
  const runs = () =>
    mem.db
      .prepare(`SELECT idempotency_key AS k, status, step FROM requests WHERE kind = 'schedule-run' ORDER BY k`)
      .all() as { k: string; status: string; step: string }[];

  it('records one run per slot however often the slot is taken, and moves the schedule on in the same transaction', () => {
    mem.repos.schedules.create({ id: 'sch-1', teamId: 'T1', ownerId: 'U1', spec: spec('a'), nextSlotAt: T0, now: T0 });
    const now = T0 + 1_000;
    // Two takers (say a round and a restarted bot) see the same due slot.
    const first = starter(() => now);
    const second = starter(() => now);
    const stale = mem.repos.schedules.due(now);
    first.takeDueSlots();
    second.takeDueSlots();
    expect(runs()).toEqual([{ k: `sch-1@${T0}`, status: 'received', step: 'resolve' }]);
    expect(mem.repos.schedules.get('sch-1')?.nextSlotAt).toBe(T0 + HOUR);
    // A taker holding the stale record cannot take the slot again (compare-and-set on the next slot).
    expect(mem.repos.schedules.advance('sch-1', stale[0]!.nextSlotAt!, T0 + HOUR, undefined, now)).toBe(false);
  });

  it('after a downtime records one missed report (already finished) and one run for the newest slot', () => {
    mem.repos.schedules.create({ id: 'sch-2', teamId: 'T1', ownerId: 'U1', spec: spec('b'), nextSlotAt: T0, now: T0 });
    starter(() => T0 + 3 * HOUR + 5_000).takeDueSlots();
    expect(runs()).toEqual([
      { k: `sch-2@${T0 + 3 * HOUR}`, status: 'received', step: 'resolve' },
      { k: `sch-2@missed@${T0}`, status: 'missed', step: 'report' },
    ]);
    expect(mem.repos.outbox.pendingCount()).toBe(1);
  });

  it('leaves paused schedules alone', () => {
    mem.repos.schedules.create({ id: 'sch-3', teamId: 'T1', ownerId: 'U1', spec: spec('c'), nextSlotAt: T0, now: T0 });
    mem.repos.schedules.setState('sch-3', 'paused', undefined, T0);
    starter(() => T0 + 1_000).takeDueSlots();
    expect(runs()).toEqual([]);
  });
});
