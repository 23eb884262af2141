/**
 * Deletions of backup files in the shared request table: planned when the confirmation is shown (with each file as
 * the person saw it, verified or not, in detail_json), then confirmed, sent by the runner (the call recorded in the
 * ledger before it is made, so one that may have taken effect is looked up, never sent again), settled and reported.
 */
import type { Actor } from '../services/backup/model.js';
import type { VerificationKind } from '../services/restore/model.js';
import type { Db } from './database.js';
import { headerOf, type RequestHeader, type RequestRepository, type RequestRow } from './requests.js';

export type DeleteStatus =
  | 'planned' // confirmation shown, not confirmed
  | 'sent' // confirmed; DeleteBackupFile about to be or being called
  | 'awaiting-approval' // a policy rule asks for approval first (services/approval)
  | 'denied' // an approver denied it: nothing was deleted
  | 'expired' // not approved in time: nothing was deleted
  | 'cancelled' // someone pressed Cancel before it was sent: nothing was deleted
  | 'deleted' // accepted by the cloud (or found gone / DELETING when the outcome was unknown)
  | 'failed' // refused by the cloud
  | 'unknown'; // the bot cannot tell (and did not resend)

/** A file as the confirmation showed it. */
export interface DeleteFile {
  backupFileId: string;
  name?: string | undefined;
  sourceInstanceId?: string | undefined;
  /** Where the file is stored (`oss://…`), checked against the person's locations. */
  path?: string | undefined;
  apps: string[];
  sizeBytes?: number | undefined;
  status: string;
  /** The latest verification, if any: by a person (`userId`), or by the bot's own check (`kind: 'automatic'`). */
  verifiedBy?:
    | {
        /** Absent in plans recorded before automatic verification: those were a person's. */
        kind?: VerificationKind | undefined;
        userId?: string | undefined;
        at: number;
        restoreRequestId: string;
      }
    | undefined;
  /** Set when this file cannot be deleted (then it is not sent). */
  refused?: { code: string; message: string } | undefined;
}

/** Where a deletion is: planned (`draft`), confirmed and being sent (`send`), its result being posted, done. */
export type DeleteStep = 'draft' | 'approval' | 'send' | 'report' | 'done';

export interface DeleteRecord extends Omit<RequestHeader, 'kind'> {
  id: string;
  step: DeleteStep;
  actor: Actor;
  channelId: string;
  files: DeleteFile[];
  status: DeleteStatus;
  cloudRequestId: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  simulated: boolean;
  createdAt: number;
  confirmedAt: number | undefined;
  finishedAt: number | undefined;
}

/** What only a deletion has, kept in the request's detail_json. */
interface DeleteDetail {
  files: DeleteFile[];
  cloudRequestId?: string | null | undefined;
  errorCode?: string | null | undefined;
  errorMessage?: string | null | undefined;
}

export type DeleteOutcome = {
  status: Exclude<DeleteStatus, 'planned' | 'sent' | 'awaiting-approval'>;
  cloudRequestId?: string | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
};

function toRecord(row: RequestRow): DeleteRecord {
  const detail = JSON.parse(row.detail_json) as DeleteDetail;
  return {
    ...headerOf(row),
    step: row.step as DeleteStep,
    actor: { userId: row.user_id, teamId: row.team_id },
    channelId: row.channel_id,
    files: detail.files,
    status: row.status as DeleteStatus,
    cloudRequestId: detail.cloudRequestId ?? undefined,
    errorCode: detail.errorCode ?? undefined,
    errorMessage: detail.errorMessage ?? undefined,
    simulated: row.simulated === 1,
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
  };
}

export function createDeleteRepository(db: Db, requests: RequestRepository) {
  const deleted = db.prepare(
    `SELECT json_extract(detail_json, '$.files') AS files_json FROM requests WHERE kind = 'delete' AND status = 'deleted'`,
  );

  function get(id: string): DeleteRecord | undefined {
    const row = requests.row(id, 'delete');
    return row ? toRecord(row) : undefined;
  }

  return {
    createPlan(input: {
      id: string;
      planKey: string;
      actor: Actor;
      channelId: string;
      files: DeleteFile[];
      simulated: boolean;
      now: number;
    }): { id: string; created: boolean } {
      const detail: DeleteDetail = { files: input.files };
      return requests.create({
        id: input.id,
        kind: 'delete',
        idempotencyKey: input.planKey,
        actor: input.actor,
        channelId: input.channelId,
        detail,
        status: 'planned',
        step: 'draft',
        simulated: input.simulated,
        now: input.now,
      });
    },
    get,
    /**
     * Confirmed: on to the runner's `send` step, which records the call before making it. False when it was confirmed
     * already (one deletion per plan).
     */
    confirm(id: string, now: number, step: 'send' | 'approval' = 'send'): boolean {
      const plan = get(id);
      if (!plan) return false;
      const detail: DeleteDetail = { files: plan.files };
      return requests.confirm(id, { confirmKey: null, detail, status: 'sent', step, now });
    },
    /** The outcome, on to the report step and the result message queued: one transaction. */
    settle(id: string, outcome: DeleteOutcome, now: number): void {
      const record = get(id);
      if (!record) return;
      const detail: DeleteDetail = {
        files: record.files,
        cloudRequestId: outcome.cloudRequestId,
        errorCode: outcome.errorCode,
        errorMessage: outcome.errorMessage,
      };
      db.transaction(() => {
        requests.setDetail(id, detail, now);
        requests.finish(id, outcome.status, now);
      })();
    },
    /** Files the bot deleted (so the catalog does not list the bot's record of them as missing). */
    deletedFileIds(): Set<string> {
      const ids = new Set<string>();
      for (const row of deleted.all() as { files_json: string }[]) {
        for (const file of JSON.parse(row.files_json) as DeleteFile[]) if (!file.refused) ids.add(file.backupFileId);
      }
      return ids;
    },
  };
}

export type DeleteRepository = ReturnType<typeof createDeleteRepository>;
