/**
 * The durable outbox for messages that must arrive exactly once (the completion reply). The entry is written in the
 * same transaction as the state it reports; a sender delivers it and records the message ts.
 */
import type { Db } from './database.js';

export type OutboxKind = 'completion';

export interface OutboxEntry {
  id: number;
  requestId: string;
  kind: OutboxKind;
  attempts: number;
}

export function createOutboxRepository(db: Db) {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO outbox (request_id, kind, status, next_attempt_at, created_at) VALUES (?, ?, 'pending', ?, ?)`,
  );
  const due = db.prepare(
    `SELECT id, request_id, kind, attempts FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?
     ORDER BY id LIMIT ?`,
  );
  const pendingFor = db.prepare(
    `SELECT id, request_id, kind, attempts FROM outbox WHERE status = 'pending' AND request_id = ? AND kind = ?`,
  );
  const sent = db.prepare(`UPDATE outbox SET status = 'sent', posted_ts = ?, sent_at = ? WHERE id = ?`);
  const retry = db.prepare(
    'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
  );
  const give = db.prepare(`UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?`);
  const pending = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'`);
  const statusOf = db.prepare('SELECT status FROM outbox WHERE request_id = ? AND kind = ?');

  return {
    enqueue(requestId: string, kind: OutboxKind, now: number): void {
      insert.run(requestId, kind, now, now);
    },
    due(now: number, limit: number): OutboxEntry[] {
      return (due.all(now, limit) as { id: number; request_id: string; kind: OutboxKind; attempts: number }[]).map(
        (row) => ({ id: row.id, requestId: row.request_id, kind: row.kind, attempts: row.attempts }),
      );
    },
    /** The pending entry of this kind for a request, if there is one. */
    pendingFor(requestId: string, kind: OutboxKind): OutboxEntry | undefined {
      const row = pendingFor.get(requestId, kind) as
        | { id: number; request_id: string; kind: OutboxKind; attempts: number }
        | undefined;
      return row && { id: row.id, requestId: row.request_id, kind: row.kind, attempts: row.attempts };
    },
    markSent(id: number, postedTs: string, now: number): void {
      sent.run(postedTs, now, id);
    },
    retryLater(id: number, at: number, error: string): void {
      retry.run(at, error.slice(0, 500), id);
    },
    giveUp(id: number, error: string): void {
      give.run(error.slice(0, 500), id);
    },
    pendingCount(): number {
      return (pending.get() as { n: number }).n;
    },
    status(requestId: string, kind: OutboxKind): string | undefined {
      return (statusOf.get(requestId, kind) as { status: string } | undefined)?.status;
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
