/** For `/metrics`: when the oldest backup or restore still open was asked for. Read at scrape time only. */
import type { Db } from '../db/database.js';

export function oldestOpenRequestAt(db: Db): () => number | undefined {
  // Both filters match the partial "unfinished" indexes, so finished requests (which pile up) are not read.
  const oldest = db.prepare(`SELECT MIN(at) AS at FROM (
      SELECT MIN(created_at) AS at FROM backup_requests WHERE step <> 'done'
      UNION ALL
      SELECT MIN(created_at) AS at FROM restore_requests WHERE step NOT IN ('draft', 'done'))`);
  return () => {
    const row = oldest.get() as { at: number | null } | undefined;
    return row?.at ?? undefined;
  };
}
