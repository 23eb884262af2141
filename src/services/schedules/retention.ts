/**
 * What a schedule's retention deletes: pure, so the rule and its two safety nets are tested on their own (property
 * tests in test/unit/services/schedule-retention.test.ts) and `schedule prune-preview` shows exactly what a run would do.
 *
 * Per instance, among the good backups this schedule made: keep the newest `keep`, and/or those younger than
 * `maxAgeMs` (with both, a backup either rule keeps is kept). Whatever the rule says, never delete
 *  - the instance's newest good backup (made by any request, scheduled or not), nor
 *  - a backup a restore was verified from while it is the instance's only verified backup.
 */
import type { Retention } from './spec.js';

/** A good backup this schedule made of one instance. */
export interface ScheduleBackup {
  backupFileId: string;
  instanceId: string;
  /** When it was made (epoch ms). */
  createdAt: number;
}

/** What is known of one instance beyond this schedule's backups. */
export interface InstanceBackupFacts {
  /** The instance's newest good backup, from any request; undefined when none is known. */
  newestGoodBackupId: string | undefined;
  /** Every backup of the instance a restore was verified from (and that still exists). */
  verifiedBackupIds: readonly string[];
}

export type PruneReason = 'beyond-keep' | 'older-than-max-age' | 'beyond-keep-and-max-age';

export interface PruneDecision {
  backupFileId: string;
  instanceId: string;
  createdAt: number;
  reason: PruneReason;
}

export type KeptWhy = 'rule' | 'newest-good-backup' | 'only-verified-backup';

export interface RetentionPlan {
  delete: PruneDecision[];
  /** Backups the rule would delete but a safety net keeps, with which one. */
  protected: { backupFileId: string; instanceId: string; why: Exclude<KeptWhy, 'rule'> }[];
}

/** Which of an instance's backups (newest first) the rule alone keeps. */
function keptByRule(sorted: readonly ScheduleBackup[], retention: Retention, now: number): Set<string> {
  const kept = new Set<string>();
  const { keep, maxAgeMs } = retention;
  sorted.forEach((backup, index) => {
    const byCount = keep !== undefined && index < keep;
    const byAge = maxAgeMs !== undefined && now - backup.createdAt < maxAgeMs;
    if (byCount || byAge) kept.add(backup.backupFileId);
  });
  return kept;
}

function reasonOf(retention: Retention): PruneReason {
  if (retention.keep !== undefined && retention.maxAgeMs !== undefined) return 'beyond-keep-and-max-age';
  return retention.keep !== undefined ? 'beyond-keep' : 'older-than-max-age';
}

/**
 * The plan for one schedule: what to delete today and what a safety net keeps. A schedule without retention deletes
 * nothing.
 */
export function planRetention(input: {
  backups: readonly ScheduleBackup[];
  facts: ReadonlyMap<string, InstanceBackupFacts>;
  retention: Retention;
  now: number;
}): RetentionPlan {
  const { retention, now } = input;
  const plan: RetentionPlan = { delete: [], protected: [] };
  if (retention.keep === undefined && retention.maxAgeMs === undefined) return plan;
  const byInstance = new Map<string, ScheduleBackup[]>();
  for (const backup of input.backups) {
    const list = byInstance.get(backup.instanceId) ?? [];
    list.push(backup);
    byInstance.set(backup.instanceId, list);
  }
  for (const [instanceId, backups] of byInstance) {
    const sorted = [...backups].sort(
      (a, b) => b.createdAt - a.createdAt || b.backupFileId.localeCompare(a.backupFileId),
    );
    const kept = keptByRule(sorted, retention, now);
    const facts = input.facts.get(instanceId);
    // Unknown facts: the newest of the schedule's own backups stands in for the instance's newest.
    const newest = facts?.newestGoodBackupId ?? sorted[0]?.backupFileId;
    const verified = new Set(facts?.verifiedBackupIds ?? []);
    const candidates = sorted.filter((backup) => !kept.has(backup.backupFileId));
    // Verified backups that survive whatever this plan deletes: when none would, the newest verified candidate stays.
    const candidateIds = new Set(candidates.map((backup) => backup.backupFileId));
    const verifiedSurvivor = [...verified].some((id) => !candidateIds.has(id) || id === newest);
    const lastVerified = verifiedSurvivor ? undefined : candidates.find((b) => verified.has(b.backupFileId));
    for (const backup of candidates) {
      if (backup.backupFileId === newest) {
        plan.protected.push({ backupFileId: backup.backupFileId, instanceId, why: 'newest-good-backup' });
        continue;
      }
      if (backup === lastVerified) {
        plan.protected.push({ backupFileId: backup.backupFileId, instanceId, why: 'only-verified-backup' });
        continue;
      }
      plan.delete.push({
        backupFileId: backup.backupFileId,
        instanceId,
        createdAt: backup.createdAt,
        reason: reasonOf(retention),
      });
    }
  }
  return plan;
}
