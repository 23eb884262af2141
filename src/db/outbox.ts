/**
 * The durable outbox for messages that must arrive exactly once (the completion reply of every kind of request). The
 * entry is written in the same transaction as the state it reports (see requests.finish); the runner delivers it and
 * records where the message went.
 */
import type { Db } from './database.js';

export type OutboxMessage = 'completion';

export interface OutboxEntry {
  id: number;
  requestId: string;
  message: OutboxMessage;
  attempts: number;
}

const ENTRY_COLUMNS = 'id, request_id AS requestId, message, attempts';

export function createOutboxRepository(db: Db) {
  const pendingFor = db.prepare(
    `SELECT ${ENTRY_COLUMNS} FROM outbox WHERE status = 'pending' AND request_id = ? AND message = ?`,
  );
  const sent = db.prepare(
    `UPDATE outbox SET status = 'sent', posted_channel = ?, posted_ts = ?, sent_at = ? WHERE id = ?`,
  );
  const retry = db.prepare(
    'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
  );
  const give = db.prepare(`UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?`);
  const pending = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'`);
  const statusOf = db.prepare('SELECT status FROM outbox WHERE request_id = ? AND message = ?');

  return {
    /** The pending entry of this message for a request, if there is one. */
    pendingFor(requestId: string, message: OutboxMessage): OutboxEntry | undefined {
      return pendingFor.get(requestId, message) as OutboxEntry | undefined;
    },
    markSent(id: number, posted: { channel: string; ts: string }, now: number): void {
      sent.run(posted.channel, posted.ts, now, id);
    },
    /** Settled without a post: the request is a quiet child whose parent request reports it. */
    markNotPosted(id: number, now: number): void {
      sent.run(null, null, now, id);
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
    status(requestId: string, message: OutboxMessage): string | undefined {
      return (statusOf.get(requestId, message) as { status: string } | undefined)?.status;
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
