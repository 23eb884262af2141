/**
 * The one ledger of mutating calls, for every kind of request, recorded before they are made. A call left 'sent' (crash) or 'unknown' (timeout after the
 * request may have reached the API) is reconciled by looking its effect up, never by sending it again.
 */
import type { Db } from './database.js';
import type { RequestKind } from './requests.js';

/** `refused`: the cloud said it did not act (throttling, nothing sent), so the call may go again after a back-off. */
export type CallStatus = 'sent' | 'accepted' | 'refused' | 'failed' | 'unknown' | 'reconciled';

export interface CloudCallRecord {
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

interface CallRow {
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
}

export function createCloudCallRepository(db: Db) {
  const insert = db.prepare(
    `INSERT INTO cloud_calls (request_id, action, instance_ids_json, status, sent_at) VALUES (?, ?, ?, 'sent', ?)`,
  );
  const finish = db.prepare(
    `UPDATE cloud_calls SET status = ?, cloud_request_id = ?, batch_task_id = ?, error_code = ?, error_message = ?,
     finished_at = ? WHERE id = ?`,
  );
  const forRequest = db.prepare('SELECT * FROM cloud_calls WHERE request_id = ? AND action = ? ORDER BY id');
  const count = db.prepare('SELECT COUNT(*) AS n FROM cloud_calls WHERE request_id = ? AND action = ?');
  const owner = db.prepare(`SELECT c.request_id AS requestId, r.kind FROM cloud_calls c
    JOIN requests r ON r.id = c.request_id WHERE c.cloud_request_id = ? LIMIT 1`);

  const toRecord = (row: CallRow): CloudCallRecord => ({
    id: row.id,
    requestId: row.request_id,
    action: row.action,
    instanceIds: JSON.parse(row.instance_ids_json) as string[],
    status: row.status,
    cloudRequestId: row.cloud_request_id ?? undefined,
    batchTaskId: row.batch_task_id ?? undefined,
    errorCode: row.error_code ?? undefined,
    errorMessage: row.error_message ?? undefined,
    sentAt: row.sent_at,
  });

  return {
    /** Writes the call as 'sent' and returns its id; commit this before making the call. */
    begin(requestId: string, action: string, instanceIds: readonly string[], now: number): number {
      return Number(insert.run(requestId, action, JSON.stringify(instanceIds), now).lastInsertRowid);
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
      finish.run(
        outcome.status,
        outcome.cloudRequestId ?? null,
        outcome.batchTaskId ?? null,
        outcome.errorCode ?? null,
        outcome.errorMessage ?? null,
        now,
        id,
      );
    },
    list(requestId: string, action: string): CloudCallRecord[] {
      return (forRequest.all(requestId, action) as CallRow[]).map(toRecord);
    },
    count(requestId: string, action: string): number {
      return (count.get(requestId, action) as { n: number }).n;
    },
    /** The request (and its kind) whose call got this cloud RequestId. */
    ownerOf(cloudRequestId: string): { requestId: string; kind: RequestKind } | undefined {
      return owner.get(cloudRequestId) as { requestId: string; kind: RequestKind } | undefined;
    },
  };
}

export type CloudCallRepository = ReturnType<typeof createCloudCallRepository>;
