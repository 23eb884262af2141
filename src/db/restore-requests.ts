/**
 * Repository for restores: the request (planned, then confirmed and run), its targets, the mutating calls made for
 * it, the RecoverApp tasks being tracked and the one completion reply. Statements are prepared once; rows are parsed
 * into the domain model at this edge.
 */
import type Database from 'better-sqlite3';
import type { Actor, CloudFailure } from '../services/backup/model.js';
import type {
  RestoreRequestView,
  RestoreSource,
  RestoreStatus,
  RestoreTarget,
  TargetFacts,
  TargetState,
  TargetVerdict,
} from '../services/restore/model.js';
import type { CallStatus } from './cloud-calls.js';
import type { Db } from './database.js';

/** Where a restore is in its workflow. `draft` is a plan nobody confirmed; the runner never touches it. */
export type RestoreStep = 'draft' | 'announce' | 'start' | 'submit' | 'track' | 'report' | 'done';

export interface RestoreRecord extends RestoreRequestView {
  step: RestoreStep;
  nextRunAt: number;
  stepStartedAt: number;
  parent: { channel: string; ts: string } | undefined;
  progressDigest: string | undefined;
  confirmedAt: number | undefined;
}

interface RequestRow {
  id: string;
  plan_key: string;
  confirm_key: string | null;
  team_id: string;
  user_id: string;
  channel_id: string;
  backup_file_id: string;
  backup_json: string;
  status: RestoreStatus;
  step: RestoreStep;
  next_run_at: number;
  step_started_at: number;
  start_stopped: number;
  parent_channel: string | null;
  parent_ts: string | null;
  progress_digest: string | null;
  failure_json: string | null;
  simulated: number;
  created_at: number;
  updated_at: number;
  confirmed_at: number | null;
  finished_at: number | null;
}

interface TargetRow {
  request_id: string;
  position: number;
  instance_id: string;
  verdict: TargetVerdict;
  state: TargetState;
  facts_json: string | null;
  overwrites_json: string | null;
  started_by_bot: number;
  call_id: number | null;
  task_id: string | null;
  error_code: string | null;
  error_message: string | null;
  error_request_id: string | null;
}

/** Fields to change; `callId: null` detaches a target from a call the cloud refused before acting. */
export type TargetPatch = Partial<Omit<RestoreTarget, 'instanceId' | 'verdict' | 'facts' | 'overwrites' | 'callId'>> & {
  callId?: number | null;
};

const TARGET_COLUMNS: Record<keyof TargetPatch, string> = {
  state: 'state',
  startedByBot: 'started_by_bot',
  callId: 'call_id',
  taskId: 'task_id',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  requestId: 'error_request_id',
};

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

function parseJson<T>(text: string | null): T | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function toTarget(row: TargetRow): RestoreTarget {
  return {
    instanceId: row.instance_id,
    verdict: row.verdict,
    state: row.state,
    facts: parseJson<TargetFacts>(row.facts_json),
    overwrites: parseJson<string[]>(row.overwrites_json),
    startedByBot: row.started_by_bot === 1,
    callId: orUndefined(row.call_id),
    taskId: orUndefined(row.task_id),
    errorCode: orUndefined(row.error_code),
    errorMessage: orUndefined(row.error_message),
    requestId: orUndefined(row.error_request_id),
  };
}

export interface NewRestorePlan {
  id: string;
  /** One plan per submitted form (a doubly delivered submission plans once). */
  planKey: string;
  actor: Actor;
  channelId: string;
  backup: RestoreSource;
  targets: Pick<RestoreTarget, 'instanceId' | 'verdict' | 'facts' | 'overwrites' | 'errorCode' | 'errorMessage'>[];
  simulated: boolean;
  now: number;
}

export interface RestoreCallRecord {
  id: number;
  requestId: string;
  action: string;
  instanceIds: string[];
  status: CallStatus;
  cloudRequestId: string | undefined;
  batchTaskId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  sentAt: number;
}

export interface RestoreTask {
  taskId: string;
  requestId: string;
  instanceId: string;
  status: string;
  polls: number;
  misses: number;
}

export function createRestoreRepository(db: Db) {
  const insertRequest = db.prepare(`INSERT OR IGNORE INTO restore_requests
    (id, plan_key, team_id, user_id, channel_id, backup_file_id, backup_json, status, step, next_run_at,
     step_started_at, simulated, created_at, updated_at)
    VALUES (@id, @planKey, @teamId, @userId, @channelId, @backupFileId, @backupJson, 'planned', 'draft', @now,
     @now, @simulated, @now, @now)`);
  const insertTarget = db.prepare(`INSERT INTO restore_targets
    (request_id, position, instance_id, verdict, state, facts_json, overwrites_json, error_code, error_message)
    VALUES (?, ?, ?, ?, 'planned', ?, ?, ?, ?)`);
  const byPlanKey = db.prepare('SELECT id FROM restore_requests WHERE plan_key = ?');
  const byId = db.prepare('SELECT * FROM restore_requests WHERE id = ?');
  const targetsOf = db.prepare('SELECT * FROM restore_targets WHERE request_id = ? ORDER BY position');
  const confirmStmt = db.prepare(`UPDATE restore_requests SET confirm_key = ?, start_stopped = ?, status = 'received',
    step = 'announce', next_run_at = ?, step_started_at = ?, confirmed_at = ?, updated_at = ?
    WHERE id = ? AND step = 'draft'`);
  const due = db.prepare(
    `SELECT id FROM restore_requests WHERE step NOT IN ('draft', 'done') AND next_run_at <= ? ORDER BY next_run_at LIMIT ?`,
  );
  const nextWake = db.prepare(
    `SELECT MIN(next_run_at) AS at FROM restore_requests WHERE step NOT IN ('draft', 'done') AND next_run_at > ?`,
  );
  const setStepStmt = db.prepare(
    'UPDATE restore_requests SET step = ?, next_run_at = ?, step_started_at = ?, updated_at = ? WHERE id = ?',
  );
  const wakeStmt = db.prepare('UPDATE restore_requests SET next_run_at = ?, updated_at = ? WHERE id = ?');
  const setStatusStmt = db.prepare('UPDATE restore_requests SET status = ?, updated_at = ? WHERE id = ?');
  const finishStmt = db.prepare(`UPDATE restore_requests SET status = ?, step = 'report', next_run_at = ?,
    step_started_at = ?, finished_at = ?, updated_at = ? WHERE id = ?`);
  const setParentStmt = db.prepare(
    'UPDATE restore_requests SET parent_channel = ?, parent_ts = ?, updated_at = ? WHERE id = ?',
  );
  const setFailureStmt = db.prepare('UPDATE restore_requests SET failure_json = ?, updated_at = ? WHERE id = ?');
  const setDigestStmt = db.prepare('UPDATE restore_requests SET progress_digest = ? WHERE id = ?');
  const recent = db.prepare(`SELECT id FROM restore_requests WHERE step <> 'draft' AND (? IS NULL OR user_id = ?)
    ORDER BY created_at DESC LIMIT ?`);
  const latestForInstance = db.prepare(`SELECT r.id FROM restore_requests r
    JOIN restore_targets t ON t.request_id = r.id
    WHERE t.instance_id = ? AND r.step <> 'draft' ORDER BY r.created_at DESC LIMIT 1`);
  const inFlightForFile = db.prepare(
    `SELECT id FROM restore_requests WHERE backup_file_id = ? AND step NOT IN ('draft', 'done')`,
  );

  const insertCall = db.prepare(`INSERT INTO restore_calls (request_id, action, instance_ids_json, status, sent_at)
    VALUES (?, ?, ?, 'sent', ?)`);
  const settleCallStmt = db.prepare(`UPDATE restore_calls SET status = ?, cloud_request_id = ?, batch_task_id = ?,
    error_code = ?, error_message = ?, finished_at = ? WHERE id = ?`);
  const callsOf = db.prepare('SELECT * FROM restore_calls WHERE request_id = ? AND action = ? ORDER BY id');
  const callByCloudId = db.prepare('SELECT request_id FROM restore_calls WHERE cloud_request_id = ? LIMIT 1');

  const insertTask = db.prepare(`INSERT OR IGNORE INTO restore_tasks
    (task_id, request_id, instance_id, status, next_poll_at, created_at) VALUES (?, ?, ?, 'Waiting', ?, ?)`);
  const dueTasks = db.prepare(
    'SELECT * FROM restore_tasks WHERE finished_at IS NULL AND next_poll_at <= ? ORDER BY next_poll_at LIMIT ?',
  );
  const soonestTasks = db.prepare(
    'SELECT * FROM restore_tasks WHERE finished_at IS NULL AND next_poll_at > ? ORDER BY next_poll_at LIMIT ?',
  );
  const polledStmt = db.prepare(
    'UPDATE restore_tasks SET status = ?, polls = polls + 1, misses = ?, next_poll_at = ? WHERE task_id = ?',
  );
  const taskFinishedStmt = db.prepare(
    'UPDATE restore_tasks SET status = ?, polls = polls + 1, finished_at = ? WHERE task_id = ?',
  );
  const openTasksFor = db.prepare(
    'SELECT COUNT(*) AS n FROM restore_tasks WHERE request_id = ? AND finished_at IS NULL',
  );
  const openTasksAll = db.prepare('SELECT COUNT(*) AS n FROM restore_tasks WHERE finished_at IS NULL');
  const earliestTask = db.prepare('SELECT MIN(next_poll_at) AS at FROM restore_tasks WHERE finished_at IS NULL');
  const taskById = db.prepare('SELECT * FROM restore_tasks WHERE task_id = ?');

  const enqueueStmt = db.prepare(`INSERT OR IGNORE INTO restore_outbox (request_id, status, next_attempt_at, created_at)
    VALUES (?, 'pending', ?, ?)`);
  const outboxOf = db.prepare('SELECT * FROM restore_outbox WHERE request_id = ?');
  const outboxSent = db.prepare(
    `UPDATE restore_outbox SET status = 'sent', posted_channel = ?, posted_ts = ?, sent_at = ? WHERE request_id = ?`,
  );
  const outboxRetry = db.prepare(
    'UPDATE restore_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE request_id = ?',
  );
  const outboxGiveUp = db.prepare(`UPDATE restore_outbox SET status = 'failed', last_error = ? WHERE request_id = ?`);
  const byPostedTs = db.prepare('SELECT request_id FROM restore_outbox WHERE posted_channel = ? AND posted_ts = ?');

  const patchStatements = new Map<string, Database.Statement>();

  const toTask = (row: {
    task_id: string;
    request_id: string;
    instance_id: string;
    status: string;
    polls: number;
    misses: number;
  }): RestoreTask => ({
    taskId: row.task_id,
    requestId: row.request_id,
    instanceId: row.instance_id,
    status: row.status,
    polls: row.polls,
    misses: row.misses,
  });

  function get(id: string): RestoreRecord | undefined {
    const row = byId.get(id) as RequestRow | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      actor: { userId: row.user_id, teamId: row.team_id },
      channelId: row.channel_id,
      backup: JSON.parse(row.backup_json) as RestoreSource,
      status: row.status,
      startStopped: row.start_stopped === 1,
      createdAt: new Date(row.created_at),
      finishedAt: row.finished_at === null ? undefined : new Date(row.finished_at),
      targets: (targetsOf.all(id) as TargetRow[]).map(toTarget),
      failure: parseJson<CloudFailure>(row.failure_json),
      simulated: row.simulated === 1,
      step: row.step,
      nextRunAt: row.next_run_at,
      stepStartedAt: row.step_started_at,
      parent: row.parent_channel && row.parent_ts ? { channel: row.parent_channel, ts: row.parent_ts } : undefined,
      progressDigest: orUndefined(row.progress_digest),
      confirmedAt: orUndefined(row.confirmed_at),
    };
  }

  return {
    /** Records a plan (step `draft`). Returns the existing id when this plan key was seen before. */
    createPlan(input: NewRestorePlan): { id: string; created: boolean } {
      return db.transaction(() => {
        const result = insertRequest.run({
          id: input.id,
          planKey: input.planKey,
          teamId: input.actor.teamId,
          userId: input.actor.userId,
          channelId: input.channelId,
          backupFileId: input.backup.backupFileId,
          backupJson: JSON.stringify(input.backup),
          simulated: input.simulated ? 1 : 0,
          now: input.now,
        });
        if (result.changes === 0) {
          return { id: (byPlanKey.get(input.planKey) as { id: string }).id, created: false };
        }
        input.targets.forEach((target, position) => {
          insertTarget.run(
            input.id,
            position,
            target.instanceId,
            target.verdict,
            target.facts ? JSON.stringify(target.facts) : null,
            target.overwrites ? JSON.stringify(target.overwrites) : null,
            target.errorCode ?? null,
            target.errorMessage ?? null,
          );
        });
        return { id: input.id, created: true };
      })();
    },

    get,

    /**
     * Turns a plan into a request the runner takes: each target's starting state, in one transaction. Returns false
     * when the plan was already confirmed (a doubly delivered confirmation starts one restore).
     */
    confirm(
      id: string,
      input: {
        confirmKey: string;
        startStopped: boolean;
        targets: { instanceId: string; patch: TargetPatch }[];
        now: number;
      },
    ): boolean {
      return db.transaction(() => {
        const changed = confirmStmt.run(
          input.confirmKey,
          input.startStopped ? 1 : 0,
          input.now,
          input.now,
          input.now,
          input.now,
          id,
        ).changes;
        if (changed === 0) return false;
        for (const target of input.targets) updateTarget(id, target.instanceId, target.patch);
        return true;
      })();
    },

    dueIds(now: number, limit: number): string[] {
      return (due.all(now, limit) as { id: string }[]).map((row) => row.id);
    },
    /** When the soonest running restore not due at `now` wakes. */
    nextWakeAfter(now: number): number | undefined {
      return (nextWake.get(now) as { at: number | null }).at ?? undefined;
    },
    setStep(id: string, step: RestoreStep, nextRunAt: number, now: number): void {
      setStepStmt.run(step, nextRunAt, now, now, id);
    },
    wakeAt(id: string, at: number, now: number): void {
      wakeStmt.run(at, now, id);
    },
    setStatus(id: string, status: RestoreStatus, now: number): void {
      setStatusStmt.run(status, now, id);
    },
    /** Final status, on to the report step, and the completion reply queued: one transaction. */
    finish(id: string, status: RestoreStatus, now: number): void {
      db.transaction(() => {
        finishStmt.run(status, now, now, now, now, id);
        enqueueStmt.run(id, now, now);
      })();
    },
    setParent(id: string, channel: string, ts: string, now: number): void {
      setParentStmt.run(channel, ts, now, id);
    },
    setFailure(id: string, failure: CloudFailure, now: number): void {
      setFailureStmt.run(JSON.stringify(failure), now, id);
    },
    setProgressDigest(id: string, digest: string): void {
      setDigestStmt.run(digest, id);
    },
    updateTarget,
    /** Confirmed restores, newest first (optionally one person's). */
    recentIds(limit: number, userId?: string): string[] {
      return (recent.all(userId ?? null, userId ?? null, limit) as { id: string }[]).map((row) => row.id);
    },
    latestForInstance(instanceId: string): string | undefined {
      return (latestForInstance.get(instanceId) as { id: string } | undefined)?.id;
    },
    /** Restores from this backup that are confirmed and not finished. */
    inFlightForFile(backupFileId: string): string[] {
      return (inFlightForFile.all(backupFileId) as { id: string }[]).map((row) => row.id);
    },

    calls: {
      /** Writes the call as 'sent' and returns its id; commit this before making the call. */
      begin(requestId: string, action: string, instanceIds: readonly string[], now: number): number {
        return Number(insertCall.run(requestId, action, JSON.stringify(instanceIds), now).lastInsertRowid);
      },
      settle(
        id: number,
        outcome: {
          status: Exclude<CallStatus, 'sent'>;
          cloudRequestId?: string | undefined;
          batchTaskId?: string | undefined;
          errorCode?: string | undefined;
          errorMessage?: string | undefined;
        },
        now: number,
      ): void {
        settleCallStmt.run(
          outcome.status,
          outcome.cloudRequestId ?? null,
          outcome.batchTaskId ?? null,
          outcome.errorCode ?? null,
          outcome.errorMessage ?? null,
          now,
          id,
        );
      },
      list(requestId: string, action: string): RestoreCallRecord[] {
        return (
          callsOf.all(requestId, action) as {
            id: number;
            request_id: string;
            action: string;
            instance_ids_json: string;
            status: CallStatus;
            cloud_request_id: string | null;
            batch_task_id: string | null;
            error_code: string | null;
            error_message: string | null;
            sent_at: number;
          }[]
        ).map((row) => ({
          id: row.id,
          requestId: row.request_id,
          action: row.action,
          instanceIds: JSON.parse(row.instance_ids_json) as string[],
          status: row.status,
          cloudRequestId: orUndefined(row.cloud_request_id),
          batchTaskId: orUndefined(row.batch_task_id),
          errorCode: orUndefined(row.error_code),
          errorMessage: orUndefined(row.error_message),
          sentAt: row.sent_at,
        }));
      },
      /** The restore whose call got this cloud RequestId. */
      requestFor(cloudRequestId: string): string | undefined {
        return (callByCloudId.get(cloudRequestId) as { request_id: string } | undefined)?.request_id;
      },
    },

    tasks: {
      add(task: { taskId: string; requestId: string; instanceId: string }, firstPollAt: number, now: number): void {
        insertTask.run(task.taskId, task.requestId, task.instanceId, firstPollAt, now);
      },
      due(now: number, limit: number): RestoreTask[] {
        return (dueTasks.all(now, limit) as Parameters<typeof toTask>[0][]).map(toTask);
      },
      soonestNotDue(now: number, limit: number): RestoreTask[] {
        return (soonestTasks.all(now, limit) as Parameters<typeof toTask>[0][]).map(toTask);
      },
      markPolled(taskId: string, status: string, misses: number, nextPollAt: number): void {
        polledStmt.run(status, misses, nextPollAt, taskId);
      },
      markFinished(taskId: string, status: string, now: number): void {
        taskFinishedStmt.run(status, now, taskId);
      },
      openCount(requestId?: string): number {
        return ((requestId === undefined ? openTasksAll.get() : openTasksFor.get(requestId)) as { n: number }).n;
      },
      nextPollAt(): number | undefined {
        return (earliestTask.get() as { at: number | null }).at ?? undefined;
      },
      get(taskId: string): RestoreTask | undefined {
        const row = taskById.get(taskId) as Parameters<typeof toTask>[0] | undefined;
        return row ? toTask(row) : undefined;
      },
    },

    outbox: {
      get(
        requestId: string,
      ): { status: string; attempts: number; nextAttemptAt: number; postedTs: string | undefined } | undefined {
        const row = outboxOf.get(requestId) as
          | { status: string; attempts: number; next_attempt_at: number; posted_ts: string | null }
          | undefined;
        return row
          ? {
              status: row.status,
              attempts: row.attempts,
              nextAttemptAt: row.next_attempt_at,
              postedTs: orUndefined(row.posted_ts),
            }
          : undefined;
      },
      markSent(requestId: string, channel: string, ts: string, now: number): void {
        outboxSent.run(channel, ts, now, requestId);
      },
      retryLater(requestId: string, at: number, error: string): void {
        outboxRetry.run(at, error.slice(0, 500), requestId);
      },
      giveUp(requestId: string, error: string): void {
        outboxGiveUp.run(error.slice(0, 500), requestId);
      },
      /** The restore whose completion reply is this message. */
      requestForMessage(channel: string, ts: string): string | undefined {
        return (byPostedTs.get(channel, ts) as { request_id: string } | undefined)?.request_id;
      },
    },
  };

  function updateTarget(requestId: string, instanceId: string, patch: TargetPatch): void {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined) as [keyof TargetPatch, unknown][];
    if (entries.length === 0) return;
    const assignments = entries.map(([key]) => `${TARGET_COLUMNS[key]} = ?`).join(', ');
    const values = entries.map(([, value]) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
    // Column names come from the fixed map above, never from input; values are bound.
    let statement = patchStatements.get(assignments);
    if (!statement) {
      statement = db.prepare(`UPDATE restore_targets SET ${assignments} WHERE request_id = ? AND instance_id = ?`);
      patchStatements.set(assignments, statement);
    }
    statement.run(...(values as (string | number | null)[]), requestId, instanceId);
  }
}

export type RestoreRepository = ReturnType<typeof createRestoreRepository>;
