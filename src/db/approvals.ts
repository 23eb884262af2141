/**
 * Approvals of waiting restores, deletions and schedule changes: the requirement each one was confirmed with, the messages that asked
 * the approvers, and every decision (one per person: a second click changes nothing). Rows are parsed here.
 */
import type { ApprovalRequirement } from '../services/access/approval-rules.js';
import type { Db } from './database.js';
import { parseJson } from './requests.js';

/** `superseded`: a schedule changed again (or deleted) while its change waited; only that kind ends so. */
export type ApprovalState = 'waiting' | 'approved' | 'denied' | 'expired' | 'superseded' | 'cancelled';
export type ApprovalDecisionKind = 'approve' | 'deny';

export interface ApprovalDecision {
  userId: string;
  decision: ApprovalDecisionKind;
  reason: string | undefined;
  decidedAt: number;
  shownAt: number | undefined;
}

export interface ApprovalRecord extends ApprovalRequirement {
  requestId: string;
  instanceIds: string[];
  expiresAt: number;
  state: ApprovalState;
  /** The messages that asked the approvers (their buttons are replaced once the request is decided). */
  asks: { channel: string; ts: string }[] | undefined;
  waitingPostedAt: number | undefined;
  createdAt: number;
  settledAt: number | undefined;
  decisions: ApprovalDecision[];
}

interface ApprovalRow {
  request_id: string;
  rule: string;
  action: string;
  approvers_json: string;
  required: number;
  channel_id: string | null;
  instance_ids_json: string;
  expires_at: number;
  state: string;
  asks_json: string | null;
  waiting_posted_at: number | null;
  created_at: number;
  settled_at: number | null;
}

interface DecisionRow {
  user_id: string;
  decision: string;
  reason: string | null;
  decided_at: number;
  shown_at: number | null;
}

export function createApprovalRepository(db: Db) {
  const insert = db.prepare(`INSERT OR IGNORE INTO approvals
    (request_id, rule, action, approvers_json, required, channel_id, instance_ids_json, expires_at, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const byId = db.prepare('SELECT * FROM approvals WHERE request_id = ?');
  const decisionsOf = db.prepare('SELECT * FROM approval_decisions WHERE request_id = ? ORDER BY decided_at, rowid');
  const addDecision = db.prepare(`INSERT OR IGNORE INTO approval_decisions (request_id, user_id, decision, reason,
    decided_at) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM approvals WHERE request_id = ? AND state = 'waiting')`);
  const settleStmt = db.prepare(
    `UPDATE approvals SET state = ?, settled_at = ? WHERE request_id = ? AND state = 'waiting'`,
  );
  const setAsksStmt = db.prepare('UPDATE approvals SET asks_json = ?, waiting_posted_at = ? WHERE request_id = ?');
  const shownStmt = db.prepare('UPDATE approval_decisions SET shown_at = ? WHERE request_id = ? AND user_id = ?');

  function get(requestId: string): ApprovalRecord | undefined {
    const row = byId.get(requestId) as ApprovalRow | undefined;
    if (!row) return undefined;
    return {
      requestId: row.request_id,
      rule: row.rule,
      action: row.action as ApprovalRequirement['action'],
      approvers: JSON.parse(row.approvers_json) as string[],
      required: row.required === 2 ? 2 : 1,
      expiresMs: row.expires_at - row.created_at,
      channel: row.channel_id ?? undefined,
      instanceIds: JSON.parse(row.instance_ids_json) as string[],
      expiresAt: row.expires_at,
      state: row.state as ApprovalState,
      asks: parseJson<{ channel: string; ts: string }[]>(row.asks_json),
      waitingPostedAt: row.waiting_posted_at ?? undefined,
      createdAt: row.created_at,
      settledAt: row.settled_at ?? undefined,
      decisions: (decisionsOf.all(requestId) as DecisionRow[]).map((d) => ({
        userId: d.user_id,
        decision: d.decision as ApprovalDecisionKind,
        reason: d.reason ?? undefined,
        decidedAt: d.decided_at,
        shownAt: d.shown_at ?? undefined,
      })),
    };
  }

  return {
    /** Records what a request must collect (once: a repeated confirmation keeps the first). */
    open(requestId: string, requirement: ApprovalRequirement, instanceIds: readonly string[], now: number): void {
      insert.run(
        requestId,
        requirement.rule,
        requirement.action,
        JSON.stringify(requirement.approvers),
        requirement.required,
        requirement.channel ?? null,
        JSON.stringify(instanceIds),
        now + requirement.expiresMs,
        now,
      );
    },
    get,
    /**
     * One person's decision, kept only while the request waits and only their first: false when it was not recorded
     * (decided or expired already, or this person decided before).
     */
    decide(requestId: string, userId: string, decision: ApprovalDecisionKind, reason: string | undefined, now: number) {
      return addDecision.run(requestId, userId, decision, reason ?? null, now, requestId).changes > 0;
    },
    /** Ends the wait; false when it had ended already. */
    settle(requestId: string, state: Exclude<ApprovalState, 'waiting'>, now: number): boolean {
      return settleStmt.run(state, now, requestId).changes > 0;
    },
    setAsks(requestId: string, asks: readonly { channel: string; ts: string }[], now: number): void {
      setAsksStmt.run(JSON.stringify(asks), now, requestId);
    },
    markShown(requestId: string, userId: string, now: number): void {
      shownStmt.run(now, requestId, userId);
    },
  };
}

export type ApprovalRepository = ReturnType<typeof createApprovalRepository>;
