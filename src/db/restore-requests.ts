/**
 * Restores in the shared request table (the backup and the stopped-targets choice in detail_json) and their targets:
 * planned, then confirmed and run. Their calls, tasks and reply are in the shared ledger, task table and outbox.
 * Statements are prepared once; rows are parsed into the domain model at this edge.
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
import type { Db } from './database.js';
import { headerOf, parseJson, type RequestHeader, type RequestRepository } from './requests.js';

/** Where a restore is in its workflow. `draft` is a plan nobody confirmed; the runner never touches it. */
export type RestoreStep =
  | 'draft'
  | 'announce'
  | 'approval'
  | 'start'
  | 'submit'
  | 'track'
  | 'verify'
  | 'report'
  | 'done';

export interface RestoreRecord extends RestoreRequestView, Omit<RequestHeader, 'kind'> {
  step: RestoreStep;
  nextRunAt: number;
  confirmedAt: number | undefined;
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
  /** The restore whose failed targets this plan retries. */
  retryOf?: string | undefined;
  simulated: boolean;
  now: number;
}

/** What only a restore has, kept in the request's detail_json. */
interface RestoreDetail {
  backup: RestoreSource;
  startStopped: boolean;
  retryOf?: string | undefined;
}

export function createRestoreRepository(db: Db, requests: RequestRepository) {
  const insertTarget = db.prepare(`INSERT INTO restore_targets
    (request_id, position, instance_id, verdict, state, facts_json, overwrites_json, error_code, error_message)
    VALUES (?, ?, ?, ?, 'planned', ?, ?, ?, ?)`);
  const targetsOf = db.prepare('SELECT * FROM restore_targets WHERE request_id = ? ORDER BY position');
  const latestForInstance = db.prepare(`SELECT r.id FROM requests r
    JOIN restore_targets t ON t.request_id = r.id
    WHERE t.instance_id = ? AND r.kind = 'restore' AND r.step <> 'draft' ORDER BY r.created_at DESC LIMIT 1`);
  // Few restores run at once: reading each one's backup from its detail is cheap.
  const inFlightForFile = db.prepare(`SELECT id FROM requests WHERE kind = 'restore' AND step NOT IN ('draft', 'done')
    AND json_extract(detail_json, '$.backup.backupFileId') = ?`);
  const byPostedTs = db.prepare(
    `SELECT o.request_id FROM outbox o JOIN requests r ON r.id = o.request_id
     WHERE o.posted_channel = ? AND o.posted_ts = ? AND r.kind = 'restore'`,
  );

  const patchStatements = new Map<string, Database.Statement>();

  function get(id: string): RestoreRecord | undefined {
    const row = requests.row(id, 'restore');
    if (!row) return undefined;
    const detail = JSON.parse(row.detail_json) as RestoreDetail;
    return {
      ...headerOf(row),
      step: row.step as RestoreStep,
      actor: { userId: row.user_id, teamId: row.team_id },
      channelId: row.channel_id,
      backup: detail.backup,
      retryOf: detail.retryOf,
      status: row.status as RestoreStatus,
      startStopped: detail.startStopped,
      createdAt: new Date(row.created_at),
      finishedAt: row.finished_at === null ? undefined : new Date(row.finished_at),
      targets: (targetsOf.all(id) as TargetRow[]).map(toTarget),
      failure: parseJson<CloudFailure>(row.failure_json),
      simulated: row.simulated === 1,
      nextRunAt: row.next_run_at,
      confirmedAt: orUndefined(row.confirmed_at),
    };
  }

  return {
    /** Records a plan (step `draft`). Returns the existing id when this plan key was seen before. */
    createPlan(input: NewRestorePlan): { id: string; created: boolean } {
      return db.transaction(() => {
        const detail: RestoreDetail = { backup: input.backup, startStopped: false, retryOf: input.retryOf };
        const result = requests.create({
          id: input.id,
          kind: 'restore',
          idempotencyKey: input.planKey,
          actor: input.actor,
          channelId: input.channelId,
          detail,
          status: 'planned',
          step: 'draft',
          simulated: input.simulated,
          now: input.now,
        });
        if (!result.created) return result;
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
        return result;
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
        const plan = get(id);
        if (!plan) return false;
        const detail: RestoreDetail = {
          backup: plan.backup,
          startStopped: input.startStopped,
          retryOf: plan.retryOf,
        };
        const confirmed = requests.confirm(id, {
          confirmKey: input.confirmKey,
          detail,
          status: 'received',
          step: 'announce',
          now: input.now,
        });
        if (!confirmed) return false;
        for (const target of input.targets) updateTarget(id, target.instanceId, target.patch);
        return true;
      })();
    },

    updateTarget,
    /** Confirmed restores, newest first (optionally one person's). */
    recentIds(limit: number, userId?: string): string[] {
      return requests.recentIds('restore', limit, userId);
    },
    latestForInstance(instanceId: string): string | undefined {
      return (latestForInstance.get(instanceId) as { id: string } | undefined)?.id;
    },
    /** Restores from this backup that are confirmed and not finished. */
    inFlightForFile(backupFileId: string): string[] {
      return (inFlightForFile.all(backupFileId) as { id: string }[]).map((row) => row.id);
    },
    /** The restore whose completion reply is this message. */
    requestForMessage(channel: string, ts: string): string | undefined {
      return (byPostedTs.get(channel, ts) as { request_id: string } | undefined)?.request_id;
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
