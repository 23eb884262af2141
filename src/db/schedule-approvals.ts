/**
 * Schedule changes waiting for approval: each is a request of the shared table (kind `schedule-approval`), what only
 * it has in detail_json (the schedule as it was saved, and the instances its targets matched then). Its approval and
 * decisions are the approvals table's, as for a restore. The newest request of a schedule is the one that counts: a
 * change made while one waits supersedes it.
 */
import type { Actor } from '../services/backup/model.js';
import type { ScheduleSpec } from '../services/schedules/spec.js';
import type { Db } from './database.js';
import type { RequestRepository, RequestRow } from './requests.js';

export type ScheduleApprovalStatus =
  | 'awaiting-approval'
  | 'approved'
  | 'activated'
  | 'denied'
  | 'expired'
  | 'superseded';

export interface ScheduleApprovalDetail {
  scheduleId: string;
  scheduleName: string;
  ownerId: string;
  /** The schedule as the change saved it (what the approvers are shown and approve). */
  spec: ScheduleSpec;
  /** The instances its targets matched when it was saved: the approvers' own rights are checked on these. */
  instanceIds: string[];
  /** Whether this was a new schedule or a change to one. */
  change: 'create' | 'change';
  /** When it was approved and activated: its first slot. */
  nextSlotAt?: number | undefined;
}

export interface ScheduleApprovalRecord {
  id: string;
  requester: Actor;
  channelId: string;
  status: ScheduleApprovalStatus;
  step: string;
  detail: ScheduleApprovalDetail;
  simulated: boolean;
  createdAt: number;
  finishedAt: number | undefined;
}

const toRecord = (row: RequestRow): ScheduleApprovalRecord => ({
  id: row.id,
  requester: { userId: row.user_id, teamId: row.team_id },
  channelId: row.channel_id,
  status: row.status as ScheduleApprovalStatus,
  step: row.step,
  detail: JSON.parse(row.detail_json) as ScheduleApprovalDetail,
  simulated: row.simulated === 1,
  createdAt: row.created_at,
  finishedAt: row.finished_at ?? undefined,
});

export function createScheduleApprovalRepository(db: Db, requests: RequestRepository) {
  const ofSchedule = db.prepare(`SELECT id, step FROM requests WHERE kind = 'schedule-approval'
    AND json_extract(detail_json, '$.scheduleId') = ? ORDER BY created_at DESC, rowid DESC`);

  return {
    /** Records a change that waits at its `approval` step (call inside the transaction that saves the schedule). */
    create(input: {
      id: string;
      requester: Actor;
      channelId: string;
      detail: ScheduleApprovalDetail;
      simulated: boolean;
      now: number;
    }): void {
      requests.create({
        id: input.id,
        kind: 'schedule-approval',
        idempotencyKey: input.id,
        actor: input.requester,
        channelId: input.channelId,
        detail: input.detail,
        status: 'awaiting-approval',
        step: 'approval',
        simulated: input.simulated,
        now: input.now,
      });
    },
    get(id: string): ScheduleApprovalRecord | undefined {
      const row = requests.row(id, 'schedule-approval');
      return row ? toRecord(row) : undefined;
    },
    /** The schedule's newest request for approval: the only one that may activate it. */
    latestFor(scheduleId: string): string | undefined {
      return (ofSchedule.get(scheduleId) as { id: string } | undefined)?.id;
    },
    /** The schedule's requests still waiting or not yet through (a change or a deletion supersedes them). */
    openFor(scheduleId: string): string[] {
      return (ofSchedule.all(scheduleId) as { id: string; step: string }[])
        .filter((row) => row.step !== 'report' && row.step !== 'done')
        .map((row) => row.id);
    },
    setDetail(id: string, detail: ScheduleApprovalDetail, now: number): void {
      requests.setDetail(id, detail, now);
    },
  };
}

export type ScheduleApprovalRepository = ReturnType<typeof createScheduleApprovalRepository>;
