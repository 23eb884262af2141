/**
 * Retention's inputs read from the bot's records: the schedule's good backups not yet pruned, and per instance its
 * newest good backup and its verified ones (from any request, less what the bot deleted). Shared by a run's prune
 * step and `schedule prune-preview`, so the preview shows exactly what a run would delete today.
 */
import type { Repositories } from '../../db/index.js';
import { type InstanceBackupFacts, planRetention, type RetentionPlan } from './retention.js';
import type { Retention } from './spec.js';

export function retentionPlanFor(
  repos: Repositories,
  scheduleId: string,
  retention: Retention,
  now: number,
): RetentionPlan {
  const deleted = repos.deletions.deletedFileIds();
  const backups = repos.scheduleRuns.scheduleBackups(scheduleId).filter((b) => !deleted.has(b.backupFileId));
  const instanceIds = [...new Set(backups.map((backup) => backup.instanceId))];
  const facts = new Map<string, InstanceBackupFacts>();
  // Newest first: the first good backup seen of an instance is its newest.
  for (const backup of repos.scheduleRuns.goodBackupsOf(instanceIds)) {
    if (deleted.has(backup.backupFileId)) continue;
    const known = facts.get(backup.instanceId) ?? { newestGoodBackupId: backup.backupFileId, verifiedBackupIds: [] };
    if (backup.verified) known.verifiedBackupIds = [...known.verifiedBackupIds, backup.backupFileId];
    facts.set(backup.instanceId, known);
  }
  return planRetention({ backups, facts, retention, now });
}
