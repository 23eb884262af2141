/**
 * Read-only queries for the App Home: one person's requests in flight with their progress, their latest finished
 * requests, and each instance's newest good backup. The workflows own these tables; nothing here writes to them.
 */
import type { Db } from './database.js';
import type { RequestKind } from './requests.js';

/** One request as the Home lists it. Progress counts the instances (targets) worked on; a deletion has none. */
export interface HomeRequest {
  id: string;
  kind: RequestKind;
  status: string;
  step: string;
  createdAt: number;
  finishedAt: number | undefined;
  parent: { channel: string; ts: string } | undefined;
  /** Instances (restore targets) the request works on, skipped ones left out. */
  total: number;
  /** Of those, how many have ended (succeeded or failed). */
  ended: number;
  failed: number;
}

interface Row {
  id: string;
  kind: RequestKind;
  status: string;
  step: string;
  created_at: number;
  finished_at: number | null;
  parent_channel: string | null;
  parent_ts: string | null;
  total: number;
  ended: number;
  failed: number;
}

// Per request, its instances (or restore targets) counted by state; skipped ones were never worked on.
const PROGRESS = `SELECT request_id,
    SUM(state <> 'skipped') AS total,
    SUM(state IN ('succeeded', 'failed')) AS ended,
    SUM(state = 'failed') AS failed
  FROM (SELECT request_id, state FROM request_instances UNION ALL SELECT request_id, state FROM restore_targets)
  WHERE request_id IN (SELECT id FROM picked) GROUP BY request_id`;

const SELECT = `SELECT r.id, r.kind, r.status, r.step, r.created_at, r.finished_at, r.parent_channel, r.parent_ts,
    COALESCE(p.total, 0) AS total, COALESCE(p.ended, 0) AS ended, COALESCE(p.failed, 0) AS failed
  FROM picked r LEFT JOIN progress p ON p.request_id = r.id`;

function toRequest(row: Row): HomeRequest {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    step: row.step,
    createdAt: row.created_at,
    finishedAt: row.finished_at ?? undefined,
    parent: row.parent_channel && row.parent_ts ? { channel: row.parent_channel, ts: row.parent_ts } : undefined,
    total: row.total,
    ended: row.ended,
    failed: row.failed,
  };
}

export function createHomeQueries(db: Db) {
  // In flight: confirmed and not yet ended (the same rule as requests.openHoldersOf). The unfinished index keeps it
  // to the open requests, however long the history.
  const inFlight = db.prepare(`WITH picked AS (
      SELECT * FROM requests WHERE step NOT IN ('draft', 'done') AND finished_at IS NULL AND user_id = ?
      ORDER BY created_at DESC LIMIT ?),
    progress AS (${PROGRESS})
    ${SELECT} ORDER BY r.created_at DESC`);
  const finished = db.prepare(`WITH picked AS (
      SELECT * FROM requests WHERE finished_at IS NOT NULL AND user_id = ? ORDER BY finished_at DESC LIMIT ?),
    progress AS (${PROGRESS})
    ${SELECT} ORDER BY r.finished_at DESC`);
  const inFlightCount = db.prepare(`SELECT COUNT(*) AS n FROM requests
    WHERE step NOT IN ('draft', 'done') AND finished_at IS NULL AND user_id = ?`);
  // A good backup: the instance succeeded and the cloud named its file; files the bot has since deleted do not count.
  // One grouped walk of the partial index request_instances_good (migration 012), in instance order.
  const newestGood = db.prepare(`SELECT ri.instance_id AS instanceId, MAX(COALESCE(r.finished_at, r.created_at)) AS at
    FROM request_instances ri JOIN requests r ON r.id = ri.request_id
    WHERE ri.state = 'succeeded' AND ri.backup_file_id IS NOT NULL
      AND ri.backup_file_id NOT IN (SELECT value FROM json_each(?))
    GROUP BY ri.instance_id`);
  const goodVersion = db.prepare('SELECT version FROM good_backups_version WHERE id = 1').pluck();

  return {
    /** This person's requests in flight, newest first, at most `limit`, and how many there are in all. */
    inFlightOf(userId: string, limit: number): { requests: HomeRequest[]; count: number } {
      return {
        requests: (inFlight.all(userId, limit) as Row[]).map(toRequest),
        count: (inFlightCount.get(userId) as { n: number }).n,
      };
    },
    /** This person's latest finished requests, newest first. */
    finishedOf(userId: string, limit: number): HomeRequest[] {
      return (finished.all(userId, limit) as Row[]).map(toRequest);
    },
    /** Instance id → when its newest good backup finished (epoch ms), leaving out the files in `deletedFileIds`. */
    newestGoodBackups(deletedFileIds: Iterable<string>): Map<string, number> {
      const rows = newestGood.all(JSON.stringify([...deletedFileIds])) as { instanceId: string; at: number }[];
      return new Map(rows.map((row) => [row.instanceId, row.at]));
    },
    /**
     * A number that changes whenever `newestGoodBackups` could answer differently (a good backup appears or goes, a
     * request's finish time changes, a deletion deletes files): triggers of migration 012 bump it.
     */
    goodBackupsVersion(): number {
      return goodVersion.get() as number;
    },
  };
}

export type HomeQueries = ReturnType<typeof createHomeQueries>;
