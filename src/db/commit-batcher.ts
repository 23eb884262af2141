/**
 * Group commit for the writes Slack waits for. Fifty modal submissions that arrive together are read in one turn of
 * the event loop; committed one by one, each COMMIT writes its own copy of the pages the rows share (the same index
 * leaves, the same table tail) to the WAL. Queued here, they go in one transaction at the end of that turn, each in
 * a savepoint of its own, so one failing piece rolls back alone and the others still commit.
 *
 * A caller's promise settles only after the COMMIT: nothing is acknowledged before it is durable.
 */
import type { Database } from 'better-sqlite3';

export interface CommitBatcher {
  /** Runs `work` (synchronous database writes) in the next group commit; resolves with its result once committed. */
  run<T>(work: () => T): Promise<T>;
}

interface Queued {
  work: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function createCommitBatcher(db: Database): CommitBatcher {
  let queue: Queued[] = [];

  function flush(): void {
    const batch = queue;
    queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      db.transaction(() => {
        for (const item of batch) {
          try {
            // Nested, better-sqlite3 turns this into a savepoint: a throw rolls back this piece only.
            outcomes.push({ ok: true, value: db.transaction(item.work)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      // The COMMIT itself failed (disk full, say): nothing in the batch was written.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome?.error);
    });
  }

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        // setImmediate runs after the poll phase: requests read in this turn join the same batch.
        if (queue.length === 0) setImmediate(flush);
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      });
    },
  };
}
