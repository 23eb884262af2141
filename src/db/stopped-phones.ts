/**
 * Phones the bot stopped and has not seen running again (migration 007). Written before the stop is sent, deleted
 * when the phone is seen RUNNING; in between it carries the StartAndroidInstance history the retry policy reads.
 */
import type { CallHistory, SendOutcome } from '../services/pipeline/mutating-call.js';
import type { Db } from './database.js';

export type StoppedPhoneState = 'held' | 'starting' | 'left';

export interface StoppedPhone {
  instanceId: string;
  /** The backup request that stopped it. */
  requestId: string;
  state: StoppedPhoneState;
  stoppedAt: number;
  /** When the bot began starting it (the start step's own time limit counts from here). */
  startingSince: number | undefined;
  history: CallHistory;
  /** Not looked at again before this time. */
  nextLookAt: number;
  /** Why the bot could not start it (state 'left'), or the last start failure. */
  errorCode: string | undefined;
  errorMessage: string | undefined;
}

interface Row {
  instance_id: string;
  request_id: string;
  state: StoppedPhoneState;
  stopped_at: number;
  starting_since: number | null;
  start_last_outcome: SendOutcome | null;
  start_last_at: number | null;
  start_failing_since: number | null;
  start_failures: number;
  start_ineffective: number;
  next_look_at: number;
  error_code: string | null;
  error_message: string | null;
}

const toRecord = (row: Row): StoppedPhone => ({
  instanceId: row.instance_id,
  requestId: row.request_id,
  state: row.state,
  stoppedAt: row.stopped_at,
  startingSince: row.starting_since ?? undefined,
  history: {
    last:
      row.start_last_outcome !== null && row.start_last_at !== null
        ? { outcome: row.start_last_outcome, at: row.start_last_at }
        : undefined,
    failingSince: row.start_failing_since ?? undefined,
    failures: row.start_failures,
    ineffective: row.start_ineffective,
  },
  nextLookAt: row.next_look_at,
  errorCode: row.error_code ?? undefined,
  errorMessage: row.error_message ?? undefined,
});

export function createStoppedPhoneRepository(db: Db) {
  // A phone stopped again by a newer request belongs to that request, with a fresh start history.
  const hold = db.prepare(
    `INSERT INTO stopped_phones (instance_id, request_id, state, stopped_at, updated_at) VALUES (?, ?, 'held', ?, ?)
     ON CONFLICT (instance_id) DO UPDATE SET request_id = excluded.request_id, state = 'held',
       stopped_at = excluded.stopped_at, starting_since = NULL, start_last_outcome = NULL, start_last_at = NULL,
       start_failing_since = NULL, start_failures = 0, start_ineffective = 0, next_look_at = 0, error_code = NULL,
       error_message = NULL, updated_at = excluded.updated_at`,
  );
  const byRequest = db.prepare('SELECT * FROM stopped_phones WHERE request_id = ? ORDER BY instance_id');
  const byInstance = db.prepare('SELECT * FROM stopped_phones WHERE instance_id = ?');
  const all = db.prepare('SELECT * FROM stopped_phones ORDER BY stopped_at, instance_id');
  const inState = db.prepare('SELECT * FROM stopped_phones WHERE state = ? ORDER BY stopped_at, instance_id');
  const startFor = db.prepare(
    `UPDATE stopped_phones SET state = 'starting', starting_since = COALESCE(starting_since, ?), updated_at = ?
     WHERE request_id = ? AND state = 'held'`,
  );
  const retry = db.prepare(
    `UPDATE stopped_phones SET state = 'starting', starting_since = ?, start_last_outcome = NULL, start_last_at = NULL,
       start_failing_since = NULL, start_failures = 0, start_ineffective = 0, next_look_at = 0, error_code = NULL,
       error_message = NULL, updated_at = ? WHERE instance_id = ?`,
  );
  const save = db.prepare(
    `UPDATE stopped_phones SET start_last_outcome = ?, start_last_at = ?, start_failing_since = ?, start_failures = ?,
       start_ineffective = ?, error_code = COALESCE(?, error_code), error_message = COALESCE(?, error_message),
       updated_at = ? WHERE instance_id = ? AND request_id = ?`,
  );
  const lookLater = db.prepare(
    'UPDATE stopped_phones SET next_look_at = ?, updated_at = ? WHERE instance_id = ? AND request_id = ?',
  );
  const leave = db.prepare(
    `UPDATE stopped_phones SET state = 'left', error_code = ?, error_message = ?, next_look_at = ?, updated_at = ?
     WHERE instance_id = ? AND request_id = ?`,
  );
  const release = db.prepare('DELETE FROM stopped_phones WHERE instance_id = ? AND request_id = ?');
  const countLeft = db.prepare(`SELECT COUNT(*) AS n FROM stopped_phones WHERE state = 'left'`);

  return {
    /** Records, before StopAndroidInstance is sent, that the bot owes these phones a start. */
    hold(requestId: string, instanceIds: readonly string[], now: number): void {
      db.transaction(() => {
        for (const instanceId of instanceIds) hold.run(instanceId, requestId, now, now);
      })();
    },
    /** The request no longer needs its phones stopped: from now on the bot starts them. */
    startFor(requestId: string, now: number): void {
      startFor.run(now, now, requestId);
    },
    /** A fresh start (after a restart of the bot, or a person's "Start it now"), with a new retry window. */
    retry(instanceId: string, now: number): void {
      retry.run(now, now, instanceId);
    },
    saveHistory(
      phone: Pick<StoppedPhone, 'instanceId' | 'requestId'>,
      history: CallHistory,
      now: number,
      error?: { code: string; message: string },
    ): void {
      save.run(
        history.last?.outcome ?? null,
        history.last?.at ?? null,
        history.failingSince ?? null,
        history.failures,
        history.ineffective,
        error?.code ?? null,
        error?.message ?? null,
        now,
        phone.instanceId,
        phone.requestId,
      );
    },
    lookLater(phone: Pick<StoppedPhone, 'instanceId' | 'requestId'>, at: number, now: number): void {
      lookLater.run(at, now, phone.instanceId, phone.requestId);
    },
    /** The bot gave up starting it: it shows on /healthz and /metrics until someone starts it. */
    leave(
      phone: Pick<StoppedPhone, 'instanceId' | 'requestId'>,
      error: { code: string; message: string },
      nextLookAt: number,
      now: number,
    ): void {
      leave.run(error.code, error.message, nextLookAt, now, phone.instanceId, phone.requestId);
    },
    /** Seen RUNNING: the bot owes it nothing more. */
    release(phone: Pick<StoppedPhone, 'instanceId' | 'requestId'>): void {
      release.run(phone.instanceId, phone.requestId);
    },
    forRequest(requestId: string): StoppedPhone[] {
      return (byRequest.all(requestId) as Row[]).map(toRecord);
    },
    get(instanceId: string): StoppedPhone | undefined {
      const row = byInstance.get(instanceId) as Row | undefined;
      return row ? toRecord(row) : undefined;
    },
    all(): StoppedPhone[] {
      return (all.all() as Row[]).map(toRecord);
    },
    left(): StoppedPhone[] {
      return (inState.all('left') as Row[]).map(toRecord);
    },
    leftCount(): number {
      return (countLeft.get() as { n: number }).n;
    },
  };
}

export type StoppedPhoneRepository = ReturnType<typeof createStoppedPhoneRepository>;
