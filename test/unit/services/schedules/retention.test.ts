import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type InstanceBackupFacts,
  planRetention,
  type ScheduleBackup,
} from '../../../../src/services/schedules/retention.js';
import type { Retention } from '../../../../src/services/schedules/spec.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-05T00:00:00Z');

const backup = (instanceId: string, n: number, ageDays: number): ScheduleBackup => ({
  backupFileId: `bf-${instanceId}-${n}`,
  instanceId,
  createdAt: NOW - ageDays * DAY,
});

describe('retention, by example', () => {
  it('keeps the newest `keep` backups of each instance and deletes the rest', () => {
    const backups = [backup('a', 1, 4), backup('a', 2, 3), backup('a', 3, 2), backup('a', 4, 1), backup('b', 1, 5)];
    const plan = planRetention({ backups, facts: new Map(), retention: { keep: 2 }, now: NOW });
    expect(plan.delete.map((d) => d.backupFileId).sort()).toEqual(['bf-a-1', 'bf-a-2']);
  });

  it('with both rules, keeps what either keeps', () => {
    const backups = [backup('a', 1, 40), backup('a', 2, 20), backup('a', 3, 10), backup('a', 4, 1)];
    const plan = planRetention({ backups, facts: new Map(), retention: { keep: 1, maxAgeMs: 15 * DAY }, now: NOW });
    expect(plan.delete.map((d) => d.backupFileId).sort()).toEqual(['bf-a-1', 'bf-a-2']);
  });

  it('never deletes the newest good backup of the instance, even when the rule would', () => {
    const backups = [backup('a', 1, 40), backup('a', 2, 30)];
    const facts = new Map([['a', { newestGoodBackupId: 'bf-a-2', verifiedBackupIds: [] }]]);
    const plan = planRetention({ backups, facts, retention: { maxAgeMs: DAY }, now: NOW });
    expect(plan.delete.map((d) => d.backupFileId)).toEqual(['bf-a-1']);
    expect(plan.protected).toEqual([{ backupFileId: 'bf-a-2', instanceId: 'a', why: 'newest-good-backup' }]);
  });

  it("keeps the instance's only verified backup, and one of several verified ones the rule would all delete", () => {
    const backups = [backup('a', 1, 40), backup('a', 2, 30), backup('a', 3, 20), backup('a', 4, 0)];
    const only = planRetention({
      backups,
      facts: new Map([['a', { newestGoodBackupId: 'bf-a-4', verifiedBackupIds: ['bf-a-1'] }]]),
      retention: { keep: 1 },
      now: NOW,
    });
    expect(only.delete.map((d) => d.backupFileId).sort()).toEqual(['bf-a-2', 'bf-a-3']);
    const both = planRetention({
      backups,
      facts: new Map([['a', { newestGoodBackupId: 'bf-a-4', verifiedBackupIds: ['bf-a-1', 'bf-a-2'] }]]),
      retention: { keep: 1 },
      now: NOW,
    });
    // One verified backup survives: the newer one.
    expect(both.delete.map((d) => d.backupFileId).sort()).toEqual(['bf-a-1', 'bf-a-3']);
  });

  it('deletes nothing without a retention rule', () => {
    const plan = planRetention({ backups: [backup('a', 1, 400)], facts: new Map(), retention: {}, now: NOW });
    expect(plan.delete).toEqual([]);
  });
});

/** A fleet's backups: per instance, some of this schedule's, the newest good (maybe not the schedule's), verified ones. */
const world = fc
  .array(
    fc.record({
      ages: fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 0, maxLength: 12 }),
      newestIsManual: fc.boolean(),
      verifiedMask: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((instances) => {
    const backups: ScheduleBackup[] = [];
    const facts = new Map<string, InstanceBackupFacts>();
    instances.forEach((spec, i) => {
      const instanceId = `acp-${i}`;
      const mine = spec.ages.map((age, n) => backup(instanceId, n, age));
      backups.push(...mine);
      const newestMine = [...mine].sort((a, b) => b.createdAt - a.createdAt)[0];
      facts.set(instanceId, {
        newestGoodBackupId: spec.newestIsManual ? `bf-manual-${i}` : newestMine?.backupFileId,
        verifiedBackupIds: mine.filter((_, n) => spec.verifiedMask[n]).map((b) => b.backupFileId),
      });
    });
    return { backups, facts };
  });

const retention: fc.Arbitrary<Retention> = fc
  .record({
    keep: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    maxAgeMs: fc.option(
      fc.integer({ min: 1, max: 60 }).map((d) => d * DAY),
      { nil: undefined },
    ),
  })
  .filter((r) => r.keep !== undefined || r.maxAgeMs !== undefined);

describe('retention, as properties', () => {
  it("never deletes an instance's newest good backup", () => {
    fc.assert(
      fc.property(world, retention, ({ backups, facts }, rule) => {
        const plan = planRetention({ backups, facts, retention: rule, now: NOW });
        const deleted = new Set(plan.delete.map((d) => d.backupFileId));
        for (const [instanceId, fact] of facts) {
          if (fact.newestGoodBackupId) expect(deleted.has(fact.newestGoodBackupId), instanceId).toBe(false);
          // Not even when the facts are unknown: the newest of the schedule's own stays.
          const own = backups.filter((b) => b.instanceId === instanceId).sort((a, b) => b.createdAt - a.createdAt);
          if (own.length > 0 && !fact.newestGoodBackupId) expect(deleted.has(own[0]!.backupFileId)).toBe(false);
        }
      }),
    );
  });

  it('never deletes more than the rule allows: only what neither `keep` nor `max-age` keeps', () => {
    fc.assert(
      fc.property(world, retention, ({ backups, facts }, rule) => {
        const plan = planRetention({ backups, facts, retention: rule, now: NOW });
        for (const decision of plan.delete) {
          const own = backups
            .filter((b) => b.instanceId === decision.instanceId)
            .sort((a, b) => b.createdAt - a.createdAt || b.backupFileId.localeCompare(a.backupFileId));
          const rank = own.findIndex((b) => b.backupFileId === decision.backupFileId);
          if (rule.keep !== undefined) expect(rank).toBeGreaterThanOrEqual(rule.keep);
          if (rule.maxAgeMs !== undefined) expect(NOW - decision.createdAt).toBeGreaterThanOrEqual(rule.maxAgeMs);
        }
        // Nothing is deleted twice, and only the schedule's own backups are.
        const ids = plan.delete.map((d) => d.backupFileId);
        expect(new Set(ids).size).toBe(ids.length);
        const own = new Set(backups.map((b) => b.backupFileId));
        for (const id of ids) expect(own.has(id)).toBe(true);
      }),
    );
  });

  it('leaves every instance that had a verified backup with at least one', () => {
    fc.assert(
      fc.property(world, retention, ({ backups, facts }, rule) => {
        const plan = planRetention({ backups, facts, retention: rule, now: NOW });
        const deleted = new Set(plan.delete.map((d) => d.backupFileId));
        for (const fact of facts.values()) {
          if (fact.verifiedBackupIds.length === 0) continue;
          expect(fact.verifiedBackupIds.some((id) => !deleted.has(id))).toBe(true);
        }
      }),
    );
  });
});
