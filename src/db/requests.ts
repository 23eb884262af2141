/**
 * The one request table every kind of work shares (backup, restore, delete): who asked, where, the step the runner
 * is at and when it wakes, the parent message, the final status. What only one kind has lives in `detail_json` (read
 * and written by that kind's repository) or in a child table of its own (a backup's instances, a restore's targets).
 */
import type { Cancellation } from '../services/backup/model.js';
import type { Db } from './database.js';

/** The kinds of work the runner knows. A new kind adds its name here and its steps in services/<kind>/steps.ts. */
export type RequestKind = 'backup' | 'restore' | 'delete' | 'schedule-run' | 'schedule-approval';

/** Steps every kind has: `draft` (planned, not confirmed: the runner never takes it), `report` and `done`. */
export type CommonStep = 'draft' | 'report' | 'done';

/** The columns every kind shares, as a row. */
export interface RequestRow {
  id: string;
  kind: RequestKind;
  idempotency_key: string;
  confirm_key: string | null;
  team_id: string;
  user_id: string;
  channel_id: string;
  detail_json: string;
  status: string;
  step: string;
  next_run_at: number;
  step_started_at: number;
  parent_channel: string | null;
  parent_ts: string | null;
  progress_posted_at: number | null;
  progress_digest: string | null;
  failure_json: string | null;
  simulated: number;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  finished_at: number | null;
  cancelled_by: string | null;
  cancelled_at: number | null;
}

/** Where a request is, whatever its kind: what the runner needs to pick the next step. */
export interface RequestHeader {
  id: string;
  kind: RequestKind;
  step: string;
  stepStartedAt: number;
  parent: { channel: string; ts: string } | undefined;
  progressPostedAt: number | undefined;
  progressDigest: string | undefined;
  /** Someone pressed Cancel: the kind skips what it has not sent yet (pipeline/cancel.ts). */
  cancelled?: Cancellation | undefined;
}

/** An open request working on an instance (see `openHoldersOf`). */
export interface InstanceHolder {
  instanceId: string;
  requestId: string;
  kind: RequestKind;
  userId: string;
}

export interface NewRequest {
  id: string;
  kind: RequestKind;
  idempotencyKey: string;
  actor: { userId: string; teamId: string };
  channelId: string;
  detail: unknown;
  status: string;
  /** `draft` for a plan waiting for its confirmation; else the kind's first step. */
  step: string;
  simulated: boolean;
  now: number;
}

export function createRequestRepository(db: Db) {
  const insert = db.prepare(`INSERT OR IGNORE INTO requests
    (id, kind, idempotency_key, team_id, user_id, channel_id, detail_json, status, step, next_run_at, step_started_at,
     simulated, created_at, updated_at, confirmed_at)
    VALUES (@id, @kind, @key, @teamId, @userId, @channelId, @detail, @status, @step, @now, @now, @simulated, @now,
     @now, @confirmedAt)`);
  const byKey = db.prepare('SELECT id FROM requests WHERE kind = ? AND idempotency_key = ?');
  const byId = db.prepare('SELECT * FROM requests WHERE id = ?');
  const byIdOfKind = db.prepare('SELECT * FROM requests WHERE id = ? AND kind = ?');
  // Requests still to announce come last: an announce waits for its channel's Slack spacing (about a message a
  // second) and holds a runner slot meanwhile, so with dozens queued in one channel a request whose work already
  // ended would otherwise wait behind all of them for a slot (npm run bench, reply latency).
  const due = db.prepare(`SELECT id FROM requests WHERE step NOT IN ('draft', 'done') AND next_run_at <= ?
     ORDER BY step = 'announce', next_run_at LIMIT ?`);
  const nextWake = db.prepare(
    `SELECT MIN(next_run_at) AS at FROM requests WHERE step NOT IN ('draft', 'done') AND next_run_at > ?`,
  );
  const unfinished = db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE step NOT IN ('draft', 'done')`);
  const setStepStmt = db.prepare(
    'UPDATE requests SET step = ?, next_run_at = ?, step_started_at = ?, updated_at = ? WHERE id = ?',
  );
  const wakeStmt = db.prepare('UPDATE requests SET next_run_at = ?, updated_at = ? WHERE id = ?');
  const setStatusStmt = db.prepare('UPDATE requests SET status = ?, updated_at = ? WHERE id = ?');
  const finishStmt = db.prepare(`UPDATE requests SET status = ?, step = 'report', next_run_at = ?, step_started_at = ?,
     finished_at = ?, updated_at = ? WHERE id = ?`);
  const enqueueStmt =
    db.prepare(`INSERT OR IGNORE INTO outbox (request_id, message, status, next_attempt_at, created_at)
     VALUES (?, 'completion', 'pending', ?, ?)`);
  const setParentStmt = db.prepare(
    'UPDATE requests SET parent_channel = ?, parent_ts = ?, updated_at = ? WHERE id = ?',
  );
  const setFailureStmt = db.prepare('UPDATE requests SET failure_json = ?, updated_at = ? WHERE id = ?');
  const setProgressStmt = db.prepare('UPDATE requests SET progress_posted_at = ?, progress_digest = ? WHERE id = ?');
  // Only a request whose work has not ended can be cancelled, and only once: the first person to press is recorded.
  const cancelStmt = db.prepare(`UPDATE requests SET cancelled_by = ?, cancelled_at = ?, next_run_at = ?, updated_at = ?
     WHERE id = ? AND cancelled_by IS NULL AND step NOT IN ('draft', 'report', 'done') AND finished_at IS NULL`);
  const setDetailStmt = db.prepare('UPDATE requests SET detail_json = ?, updated_at = ? WHERE id = ?');
  const confirmStmt = db.prepare(`UPDATE requests SET confirm_key = ?, detail_json = ?, status = ?, step = ?,
     next_run_at = ?, step_started_at = ?, confirmed_at = ?, updated_at = ? WHERE id = ? AND step = 'draft'`);
  // "Open": confirmed and its work not ended (a request at `report` has ended; only its reply is still to post). Drafts
  // hold nothing: a plan nobody confirmed stops no phone. Skipped instances (refused, left out, cancelled) are not
  // worked on. Ids come as one JSON array, so 500 instances are one statement.
  const holders = db.prepare(`SELECT r.id AS requestId, r.kind AS kind, r.user_id AS userId, t.instance_id AS instanceId
     FROM requests r JOIN (
       SELECT request_id, instance_id, state FROM request_instances
       UNION ALL SELECT request_id, instance_id, state FROM restore_targets
     ) t ON t.request_id = r.id
     WHERE r.step NOT IN ('draft', 'done') AND r.finished_at IS NULL AND t.state <> 'skipped'
       AND t.instance_id IN (SELECT value FROM json_each(?))
     ORDER BY r.created_at`);
  // A scheduled run's child backups are the schedule's, not the person's own requests: they do not count.
  const openOfPerson = db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE step NOT IN ('draft', 'done')
     AND finished_at IS NULL AND user_id = ? AND kind IN ('backup', 'restore')
     AND idempotency_key NOT LIKE 'schedule-run:%'`);
  const recent = db.prepare(`SELECT id FROM requests WHERE kind = ? AND step <> 'draft' AND (? IS NULL OR user_id = ?)
     ORDER BY created_at DESC LIMIT ?`);

  return {
    /** Records a request. Returns the existing id when this kind saw the idempotency key before. */
    create(input: NewRequest): { id: string; created: boolean } {
      const changes = insert.run({
        id: input.id,
        kind: input.kind,
        key: input.idempotencyKey,
        teamId: input.actor.teamId,
        userId: input.actor.userId,
        channelId: input.channelId,
        detail: JSON.stringify(input.detail),
        status: input.status,
        step: input.step,
        simulated: input.simulated ? 1 : 0,
        now: input.now,
        confirmedAt: input.step === 'draft' ? null : input.now,
      }).changes;
      if (changes > 0) return { id: input.id, created: true };
      return { id: (byKey.get(input.kind, input.idempotencyKey) as { id: string }).id, created: false };
    },
    /** The row, when it exists and (if asked) is of this kind. */
    row(id: string, kind?: RequestKind): RequestRow | undefined {
      return (kind === undefined ? byId.get(id) : byIdOfKind.get(id, kind)) as RequestRow | undefined;
    },
    header(id: string): RequestHeader | undefined {
      const row = byId.get(id) as RequestRow | undefined;
      return row && headerOf(row);
    },
    /**
     * A draft becomes a request the runner takes, at `step`. False when it was confirmed already (a doubly delivered
     * confirmation starts the work once).
     */
    confirm(
      id: string,
      input: { confirmKey: string | null; detail: unknown; status: string; step: string; now: number },
    ): boolean {
      const { now } = input;
      const detail = JSON.stringify(input.detail);
      return confirmStmt.run(input.confirmKey, detail, input.status, input.step, now, now, now, now, id).changes > 0;
    },
    dueIds(now: number, limit: number): string[] {
      return (due.all(now, limit) as { id: string }[]).map((row) => row.id);
    },
    /** When the soonest unfinished request not due at `now` wakes. */
    nextWakeAfter(now: number): number | undefined {
      return (nextWake.get(now) as { at: number | null }).at ?? undefined;
    },
    unfinishedCount(): number {
      return (unfinished.get() as { n: number }).n;
    },
    /** The request id this kind recorded for this idempotency key, if any. */
    idForKey(kind: RequestKind, idempotencyKey: string): string | undefined {
      return (byKey.get(kind, idempotencyKey) as { id: string } | undefined)?.id;
    },
    /** Open backups and restores that work on any of these instances, oldest first (one row per instance held). */
    openHoldersOf(instanceIds: readonly string[]): InstanceHolder[] {
      if (instanceIds.length === 0) return [];
      return holders.all(JSON.stringify(instanceIds)) as InstanceHolder[];
    },
    /** How many backups and restores this person has confirmed and not yet seen end. */
    openCountOf(userId: string): number {
      return (openOfPerson.get(userId) as { n: number }).n;
    },
    /** Confirmed requests of one kind, newest first (optionally one person's). */
    recentIds(kind: RequestKind, limit: number, userId?: string): string[] {
      return (recent.all(kind, userId ?? null, userId ?? null, limit) as { id: string }[]).map((row) => row.id);
    },
    setStep(id: string, step: string, nextRunAt: number, now: number): void {
      setStepStmt.run(step, nextRunAt, now, now, id);
    },
    wakeAt(id: string, at: number, now: number): void {
      wakeStmt.run(at, now, id);
    },
    setStatus(id: string, status: string, now: number): void {
      setStatusStmt.run(status, now, id);
    },
    /** Final status, on to the report step, and the completion reply queued: one transaction. */
    finish(id: string, status: string, now: number): void {
      db.transaction(() => {
        finishStmt.run(status, now, now, now, now, id);
        enqueueStmt.run(id, now, now);
      })();
    },
    setParent(id: string, channel: string, ts: string, now: number): void {
      setParentStmt.run(channel, ts, now, id);
    },
    setFailure(id: string, failure: unknown, now: number): void {
      setFailureStmt.run(JSON.stringify(failure), now, id);
    },
    setProgressPosted(id: string, at: number, digest: string): void {
      setProgressStmt.run(at, digest, id);
    },
    setDetail(id: string, detail: unknown, now: number): void {
      setDetailStmt.run(JSON.stringify(detail), now, id);
    },
    /**
     * Records a cancel and makes the request due at once, so its kind acts on it at the next step. False when the
     * request's work had ended or someone cancelled it first.
     */
    cancel(id: string, userId: string, now: number): boolean {
      return cancelStmt.run(userId, now, now, now, id).changes > 0;
    },
  };
}

export function headerOf(row: RequestRow): RequestHeader {
  return {
    id: row.id,
    kind: row.kind,
    step: row.step,
    stepStartedAt: row.step_started_at,
    parent: row.parent_channel && row.parent_ts ? { channel: row.parent_channel, ts: row.parent_ts } : undefined,
    progressPostedAt: row.progress_posted_at ?? undefined,
    progressDigest: row.progress_digest ?? undefined,
    cancelled: cancellationOf(row),
  };
}

/** Who cancelled the request in this row, if anyone did. */
function cancellationOf(row: RequestRow): Cancellation | undefined {
  return row.cancelled_by !== null && row.cancelled_at !== null
    ? { userId: row.cancelled_by, at: row.cancelled_at }
    : undefined;
}

/** JSON from a column, or undefined when it is empty or unreadable. */
export function parseJson<T>(text: string | null): T | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export type RequestRepository = ReturnType<typeof createRequestRepository>;
