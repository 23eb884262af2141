/**
 * Two-person approval of schedules with retention (issue 17). A schedule's runs delete backups unattended, one child
 * deletion per run that asks nobody; so when a policy rule lists `schedule`, the approval happens once, when a person
 * creates or changes a schedule with retention on instances the rule covers. The schedule is saved but held
 * (`awaiting-approval`: no slots, no runs) and a request of kind `schedule-approval` takes the one pipeline's steps:
 * `approval` (the same step, messages, buttons and checks as a restore's), then `activate` (the schedule takes slots
 * from the approval on). Denied or expired, the schedule stays held (`not-approved`); a newer change or its deletion
 * supersedes a request that still waits.
 */
import { randomUUID } from 'node:crypto';
import type { ApprovalRecord } from '../../db/approvals.js';
import type { Repositories } from '../../db/index.js';
import type { ScheduleApprovalRecord } from '../../db/schedule-approvals.js';
import type { ScheduleRecord } from '../../db/schedules.js';
import type { ApprovalRequirement } from '../access/approval-rules.js';
import type { AuditTrail } from '../access/audit.js';
import type { ApprovalService } from '../approval/service.js';
import { type ApprovalEnd, type ApprovalSubject, notApprovedReason } from '../approval/step.js';
import type { Actor } from '../backup/model.js';
import type { Clock, RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps, type Step } from '../pipeline/runner.js';
import { nextRun } from './cadence.js';
import { hasRetention, type ScheduleSpec } from './spec.js';

/** A schedule's request for approval as its result message shows it. */
export interface ScheduleApprovalView extends ScheduleApprovalRecord {
  approval: ApprovalRecord | undefined;
}

const newApprovalRequestId = () => `req-${randomUUID().replace(/-/g, '').slice(0, 12)}`;

/**
 * What the schedule service asks before it saves: whether a change waits for approval, and, if so, recording the
 * request that waits (inside the transaction that saves the schedule). Without `schedule` rules nothing waits.
 */
export function createScheduleApprovalGate(deps: {
  repos: Repositories;
  approvals: Pick<ApprovalService, 'requirementFor' | 'open'>;
  clock: Clock;
  runner: { kick(): void };
  simulated: boolean;
}) {
  const { repos, clock } = deps;
  return {
    /** The requirement for saving `spec` on these instances: only a schedule with retention can need one. */
    async requirementFor(spec: ScheduleSpec, instanceIds: readonly string[]): Promise<ApprovalRequirement | undefined> {
      if (!hasRetention(spec)) return undefined;
      return deps.approvals.requirementFor({ action: 'schedule', instanceIds });
    },

    newRequestId: newApprovalRequestId,

    /**
     * Ends the schedule's requests that still wait (call inside the transaction that changes or deletes it). One
     * approved but not yet activated is left to its `activate` step, which sees it is no longer the newest.
     */
    supersede(scheduleId: string): void {
      for (const id of repos.scheduleApprovals.openFor(scheduleId)) {
        if (repos.approvals.settle(id, 'superseded', clock.now())) repos.requests.wakeAt(id, clock.now(), clock.now());
      }
    },

    /** Records the request a just-held schedule waits on, and the requirement it must collect. */
    hold(input: {
      requestId: string;
      schedule: ScheduleRecord;
      requester: Actor;
      channelId: string;
      requirement: ApprovalRequirement;
      instanceIds: readonly string[];
      change: 'create' | 'change';
    }): void {
      const { schedule } = input;
      repos.scheduleApprovals.create({
        id: input.requestId,
        requester: input.requester,
        channelId: input.channelId,
        detail: {
          scheduleId: schedule.id,
          scheduleName: schedule.name,
          ownerId: schedule.ownerId,
          spec: schedule.spec,
          instanceIds: [...input.instanceIds],
          change: input.change,
        },
        simulated: deps.simulated,
        now: clock.now(),
      });
      deps.approvals.open(input.requestId, input.requirement, input.instanceIds);
    },

    /** Lets the runner take what was recorded (call after the transaction). */
    kick: () => deps.runner.kick(),
  };
}

export type ScheduleApprovalGate = ReturnType<typeof createScheduleApprovalGate>;

/** What the approvers of a schedule are shown: the schedule as saved, and the instances its targets matched. */
export function scheduleApprovalSubject(repos: Repositories, id: string): ApprovalSubject {
  const record = repos.scheduleApprovals.get(id);
  if (!record) throw new Error(`schedule approval ${id} vanished`);
  const { detail } = record;
  return {
    requestId: id,
    kind: 'schedule',
    requesterId: record.requester.userId,
    channelId: record.channelId,
    backups: [],
    instanceIds: detail.instanceIds,
    schedule: { name: detail.scheduleName, ownerId: detail.ownerId, spec: detail.spec, change: detail.change },
    simulated: record.simulated,
  };
}

/** Is this request the one the schedule waits on? Only that one may activate it or mark it not approved. */
function holds(repos: Repositories, record: ScheduleApprovalRecord): ScheduleRecord | undefined {
  const schedule = repos.schedules.get(record.detail.scheduleId);
  if (schedule?.state !== 'awaiting-approval') return undefined;
  return repos.scheduleApprovals.latestFor(schedule.id) === record.id ? schedule : undefined;
}

/**
 * The `schedule-approval` kind: `approval` (made by the caller with `scheduleApprovalSubject`, `next: 'activate'` and
 * `scheduleNotApproved`), then `activate`, then the runner's report (the result under the waiting note's thread).
 */
export function scheduleApprovalSteps(deps: {
  repos: Repositories;
  audit: AuditTrail;
  clock: Clock;
  approval: Step;
  notifier: Pick<RequestNotifier<ScheduleApprovalView>, 'complete'>;
}): KindSteps<never> {
  const { repos, audit, clock } = deps;

  /** Approved: the schedule takes slots from now on (its next slot counted from the approval), unless superseded. */
  async function activate(id: string): Promise<void> {
    const record = repos.scheduleApprovals.get(id);
    if (!record) throw new Error(`schedule approval ${id} vanished`);
    repos.db.transaction(() => {
      const schedule = holds(repos, record);
      const now = clock.now();
      if (!schedule) {
        repos.requests.finish(id, 'superseded', now);
        audit.recordOutcome(id, { status: 'superseded', scheduleId: record.detail.scheduleId });
        return;
      }
      const nextSlotAt = nextRun(schedule.spec, now);
      repos.schedules.setState(schedule.id, 'active', nextSlotAt, now);
      repos.scheduleApprovals.setDetail(id, { ...record.detail, nextSlotAt }, now);
      repos.requests.finish(id, 'activated', now);
      audit.recordOutcome(id, { status: 'activated', scheduleId: schedule.id, nextSlotAt });
    })();
  }

  const steps: KindSteps<ScheduleApprovalView> = {
    steps: { approval: deps.approval, activate },
    view: (id) => {
      const record = repos.scheduleApprovals.get(id);
      return record && { ...record, approval: repos.approvals.get(id) };
    },
    notifier: deps.notifier,
  };
  return kindSteps(steps);
}

/** Ends a schedule's request that was denied, expired or superseded: the schedule (if it still waits on it) stays held. */
export function scheduleNotApproved(deps: {
  repos: Repositories;
  audit: AuditTrail;
  clock: Clock;
}): (id: string, state: ApprovalEnd, approval: ApprovalRecord) => void {
  const { repos, audit, clock } = deps;
  return (id, state, approval) => {
    const record = repos.scheduleApprovals.get(id);
    if (!record) throw new Error(`schedule approval ${id} vanished`);
    const { errorCode, errorMessage } = notApprovedReason(state, approval);
    repos.db.transaction(() => {
      const schedule = holds(repos, record);
      const now = clock.now();
      if (schedule && state !== 'superseded') repos.schedules.setState(schedule.id, 'not-approved', undefined, now);
      repos.requests.finish(id, state, now);
      audit.recordOutcome(id, {
        status: state,
        scheduleId: record.detail.scheduleId,
        errors: [{ code: errorCode, message: errorMessage }],
      });
    })();
  };
}
