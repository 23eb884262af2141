/**
 * Starting scheduled runs: the slot taker the runner calls on every poll round (no loop of its own), `schedule run`
 * (now, outside the cadence) and `schedule prune-preview`. Exactly one run per slot: taking a slot records its run
 * (idempotency key `<scheduleId>@<slotMs>`, UNIQUE per kind) and moves the schedule past it (compare-and-set on its
 * next slot) in one transaction, so a crash or a second taker can neither lose the slot nor run it twice.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { RunDetail } from '../../db/schedule-runs.js';
import type { ScheduleRecord } from '../../db/schedules.js';
import type { AuditTrail } from '../access/audit.js';
import type { PermissionService } from '../access/permissions.js';
import type { Actor } from '../backup/model.js';
import type { Clock } from '../pipeline/ports.js';
import type { RetentionPlan } from './retention.js';
import { retentionPlanFor } from './retention-plan.js';
import { newRunId } from './run-steps.js';
import { dueSlots } from './slots.js';
import { hasRetention } from './spec.js';

export interface RunStarterSettings {
  /** A slot missed while the bot was down still runs (once) when younger than this (CLOUDPHONE_SCHEDULE_CATCH_UP). */
  catchUpMs: number;
  /** Where runs report when their schedule names no channel (CLOUDPHONE_OPS_CHANNEL); else the owner's DM. */
  opsChannel: string | undefined;
  simulated: boolean;
}

/** Where a schedule's runs report. */
export function reportChannelOf(schedule: ScheduleRecord, opsChannel: string | undefined): string {
  return schedule.spec.channelId ?? opsChannel ?? schedule.ownerId;
}

export function createScheduleRuns(deps: {
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  settings: RunStarterSettings;
  /** Wakes the runner when a run was recorded outside its round (`schedule run`). */
  runner: { kick(): void };
  permissions: Pick<PermissionService, 'scope'>;
  audit: AuditTrail;
}) {
  const { repos, clock, settings } = deps;

  function detailOf(schedule: ScheduleRecord, extra: Partial<RunDetail>): RunDetail {
    return { scheduleId: schedule.id, scheduleName: schedule.name, spec: schedule.spec, ...extra };
  }

  /** Takes one schedule's due slots: its run (and a report of missed ones) recorded as it moves past them. */
  function take(schedule: ScheduleRecord, now: number): void {
    const firstDue = schedule.nextSlotAt;
    if (firstDue === undefined) return;
    const due = dueSlots({ cadence: schedule.spec, firstDue, now, catchUpMs: settings.catchUpMs });
    const channelId = reportChannelOf(schedule, settings.opsChannel);
    const owner: Actor = { userId: schedule.ownerId, teamId: schedule.teamId };
    const runId = due.runSlot === undefined ? undefined : newRunId();
    repos.db.transaction(() => {
      if (!repos.schedules.advance(schedule.id, firstDue, due.nextSlotAt, runId, now)) return;
      if (due.missed) {
        // One message for every slot that will never run, through the pipeline's outbox (posted exactly once).
        const missed = repos.scheduleRuns.create({
          id: newRunId(),
          idempotencyKey: `${schedule.id}@missed@${due.missed.first}`,
          owner,
          channelId,
          detail: detailOf(schedule, { missedSlots: due.missed }),
          status: 'missed',
          simulated: settings.simulated,
          now,
        });
        if (missed.created) repos.requests.finish(missed.id, 'missed', now);
      }
      if (runId !== undefined && due.runSlot !== undefined) {
        repos.scheduleRuns.create({
          id: runId,
          idempotencyKey: `${schedule.id}@${due.runSlot}`,
          owner,
          channelId,
          detail: detailOf(schedule, { slotAt: due.runSlot }),
          status: 'received',
          simulated: settings.simulated,
          now,
        });
      }
    })();
    if (due.missed) deps.logger.warn({ scheduleId: schedule.id, missed: due.missed.count }, 'schedule slots missed');
  }

  /** May this person start or preview this schedule? Its owner and the bot's admins may. */
  async function mayManage(actor: Actor, schedule: ScheduleRecord): Promise<boolean> {
    if (actor.userId === schedule.ownerId) return true;
    return (await deps.permissions.scope(actor, 'backup')).unrestricted;
  }

  return {
    /** The runner's sweep: every active schedule whose next slot has come. Never throws for one bad schedule. */
    takeDueSlots(): void {
      const now = clock.now();
      for (const schedule of repos.schedules.due(now)) {
        try {
          take(schedule, now);
        } catch (error) {
          deps.logger.error({ scheduleId: schedule.id, err: error }, 'could not take a schedule slot');
        }
      }
    },

    /**
     * `schedule run <name>`: a run now, outside the cadence (the owner's permission is re-checked by the run, as for
     * every run). `key` makes a doubly delivered command start one run.
     */
    async runNow(input: {
      actor: Actor;
      name: string;
      key: string;
    }): Promise<
      { ok: true; runId: string; channelId: string } | { ok: false; reason: 'not-found' | 'not-allowed' | 'held' }
    > {
      const schedule = repos.schedules.byName(input.actor.teamId, input.name);
      if (!schedule) return { ok: false, reason: 'not-found' };
      // A run prunes without asking: a schedule its approvers have not let through never runs, not even now.
      if (schedule.state === 'awaiting-approval' || schedule.state === 'not-approved')
        return { ok: false, reason: 'held' };
      const allowed = await mayManage(input.actor, schedule);
      deps.audit.recordDecision({
        actor: input.actor,
        action: 'backup',
        params: { step: 'schedule run now', scheduleId: schedule.id, scheduleName: schedule.name },
        decision: allowed
          ? { allowed: true, rule: 'schedule owner or admin' }
          : {
              allowed: false,
              rule: 'schedule owner or admin',
              reason: `only <@${schedule.ownerId}> (the schedule's owner) and the bot's admins may run it`,
            },
      });
      if (!allowed) return { ok: false, reason: 'not-allowed' };
      const channelId = reportChannelOf(schedule, settings.opsChannel);
      const run = repos.scheduleRuns.create({
        id: newRunId(),
        idempotencyKey: `${schedule.id}@now@${input.key}`,
        owner: { userId: schedule.ownerId, teamId: schedule.teamId },
        channelId,
        detail: detailOf(schedule, { startedBy: input.actor.userId }),
        status: 'received',
        simulated: settings.simulated,
        now: clock.now(),
      });
      if (run.created) deps.runner.kick();
      return { ok: true, runId: run.id, channelId };
    },

    /** `schedule prune-preview <name>`: what retention would delete today. Deletes nothing. */
    async prunePreview(input: {
      actor: Actor;
      name: string;
    }): Promise<
      | { ok: true; schedule: ScheduleRecord; plan: RetentionPlan; hasRetention: boolean }
      | { ok: false; reason: 'not-found' | 'not-allowed' }
    > {
      const schedule = repos.schedules.byName(input.actor.teamId, input.name);
      if (!schedule) return { ok: false, reason: 'not-found' };
      if (!(await mayManage(input.actor, schedule))) return { ok: false, reason: 'not-allowed' };
      const plan = retentionPlanFor(repos, schedule.id, schedule.spec.retention, clock.now());
      return { ok: true, schedule, plan, hasRetention: hasRetention(schedule.spec) };
    },
  };
}

export type ScheduleRuns = ReturnType<typeof createScheduleRuns>;
