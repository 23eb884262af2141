/**
 * The app probe's findings (issue 17): on each source instance just before its backup (`app_facts`), and on each
 * target after a restore, with how they compared (`restore_checks`). The verify step writes the second and reads the
 * first by backup file, through the backup request that made the file.
 */
import type { RestoreChecks } from '../services/restore/model.js';
import type { AppFacts } from '../services/verify/app-probe.js';
import type { SourceFacts, TargetCheck } from '../services/verify/compare.js';
import type { InstanceProbe } from '../services/verify/probe.js';
import type { Db } from './database.js';

interface FactsRow {
  apps_json: string | null;
}

function parseJson<T>(json: string): T | undefined {
  try {
    return JSON.parse(json) as T;
  } catch {
    // A damaged row reads as "nothing recorded": the check then says what it could not compare.
    return undefined;
  }
}

export function createAppFactsRepository(db: Db) {
  const upsertFacts = db.prepare(`INSERT INTO app_facts (request_id, instance_id, apps_json, miss, detail, probed_at)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (request_id, instance_id) DO UPDATE SET apps_json = excluded.apps_json, miss = excluded.miss,
      detail = excluded.detail, probed_at = excluded.probed_at`);
  const factsForFile = db.prepare(`SELECT af.apps_json FROM app_facts af
    JOIN request_instances ri ON ri.request_id = af.request_id AND ri.instance_id = af.instance_id
    WHERE ri.backup_file_id = ? ORDER BY af.probed_at DESC LIMIT 1`);
  const factsOf = db.prepare('SELECT apps_json FROM app_facts WHERE request_id = ? AND instance_id = ?');
  const upsertChecks = db.prepare(`INSERT INTO restore_checks (request_id, checks_json, checked_at) VALUES (?, ?, ?)
    ON CONFLICT (request_id) DO UPDATE SET checks_json = excluded.checks_json, checked_at = excluded.checked_at`);
  const checksOf = db.prepare('SELECT checks_json, checked_at FROM restore_checks WHERE request_id = ?');

  function toSource(row: FactsRow | undefined): SourceFacts {
    const apps = row?.apps_json ? parseJson<AppFacts[]>(row.apps_json) : undefined;
    return apps ? { recorded: true, apps } : { recorded: false };
  }

  return {
    /** What the probe found on a source instance before its backup (or why it found nothing). */
    recordSource(requestId: string, instanceId: string, probe: InstanceProbe, now: number): void {
      upsertFacts.run(
        requestId,
        instanceId,
        probe.ok ? JSON.stringify(probe.apps) : null,
        probe.ok ? null : probe.miss,
        probe.ok ? null : (probe.detail ?? null),
        now,
      );
    },
    /** The facts recorded on a backup request's instance, if any. */
    sourceOf(requestId: string, instanceId: string): SourceFacts {
      return toSource(factsOf.get(requestId, instanceId) as FactsRow | undefined);
    },
    /** The facts recorded before the backup that made this file; `recorded: false` for files made before or elsewhere. */
    sourceForFile(backupFileId: string): SourceFacts {
      return toSource(factsForFile.get(backupFileId) as FactsRow | undefined);
    },
    saveChecks(requestId: string, targets: readonly TargetCheck[], now: number): void {
      upsertChecks.run(requestId, JSON.stringify(targets), now);
    },
    checksFor(requestId: string): RestoreChecks | undefined {
      const row = checksOf.get(requestId) as { checks_json: string; checked_at: number } | undefined;
      const targets = row && parseJson<TargetCheck[]>(row.checks_json);
      return row && targets ? { at: new Date(row.checked_at), targets } : undefined;
    },
  };
}

export type AppFactsRepository = ReturnType<typeof createAppFactsRepository>;
