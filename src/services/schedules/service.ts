/**
 * Schedules as people define them: create, change, pause, resume, delete, list and show (issue 15). Runs are not here
 * (the `schedule-run` request kind takes a slot and runs it); this service keeps what a schedule is and who may touch it.
 *
 * Who may do what:
 * - Creating or changing a schedule needs, for its owner, `backup` on every instance its targets match now (with its
 *   path and endpoint), and `delete` on them too when it has retention: the same policy and guard as a manual request.
 *   Targets are resolved against the fleet's cached listing; a target that matches nothing is refused, never skipped.
 * - The owner and the bot's admins may change, pause, resume and delete it.
 * - With a policy rule for `schedule` (approvals:), a schedule with retention whose instances the rule covers is saved
 *   but held (`awaiting-approval`) until someone else approves it (approval.ts); pausing or resuming it then is refused.
 * - Others see (list, show) only schedules whose instances are all in their `list` scope.
 * Create, change, pause, resume and delete each go to the audit trail, allowed or denied.
 *
 * No Slack markup here: messages are the checks' own (mrkdwn-safe backticks), and blocks/ renders the rest.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduleRecord, ScheduleRepository } from '../../db/schedules.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard } from '../access/guard.js';
import type { AccessDecision, AccessDenial, Action } from '../access/permissions.js';
import { splitList } from '../backup/input.js';
import type { Actor } from '../backup/model.js';
import type { InstanceSummary } from '../fleet/instance-directory.js';
import type { HomeSchedule } from '../home/service.js';
import type { Clock } from '../pipeline/ports.js';
import type { ScheduleApprovalGate } from './approval.js';
import { cadenceInWords, nextRun, nextRuns } from './cadence.js';
import {
  hasRetention,
  type ScheduleFieldErrors,
  type ScheduleRawInput,
  type ScheduleSpec,
  validateScheduleInput,
} from './spec.js';
import { parseTargets, resolveTargets, type Target } from './targets.js';

/** Audit actions of a schedule's definition (its runs and prunings are recorded by the run). */
export const SCHEDULE_AUDIT_ACTIONS = [
  'schedule-create',
  'schedule-change',
  'schedule-pause',
  'schedule-resume',
  'schedule-delete',
] as const;
type ScheduleAuditAction = (typeof SCHEDULE_AUDIT_ACTIONS)[number];

/** Why a schedule operation did nothing. */
export type ScheduleRefusal =
  | { kind: 'errors'; errors: ScheduleFieldErrors }
  | { kind: 'denied'; denial: AccessDenial }
  | { kind: 'not-found'; name: string };

export type ScheduleResult = { ok: true; schedule: ScheduleRecord } | ({ ok: false } & ScheduleRefusal);

/** What the form shows while a person types: next runs and how many instances the targets match now. */
export interface SchedulePreview {
  /** The next three runs (epoch ms); undefined while the cadence or zone does not check. */
  nextRuns?: number[] | undefined;
  /** Instances the (valid) targets match in the cached listing; undefined with no listing or no valid targets. */
  matched?: number | undefined;
  /** Targets (as typed) that match nothing in the listing. */
  unmatched: string[];
}

/** A schedule as `list` and `show` give it. */
export interface ScheduleView extends ScheduleRecord {
  /** The last run's result (its request's status), when it has run. */
  lastResult?: string | undefined;
}

export interface ScheduleServiceDeps {
  repo: ScheduleRepository;
  guard: AccessGuard;
  audit: AuditTrail;
  clock: Clock;
  /** The fleet's listing (cached; stale is fine): `undefined` when none could be had within `waitMs`. */
  listInstances(waitMs: number): Promise<readonly InstanceSummary[] | undefined>;
  /** The status of a run (a request id), for "last result"; undefined when unknown. */
  runResult?: ((runId: string) => string | undefined) | undefined;
  /** Two-person approval of schedules with retention; without it (or without `schedule` rules) nothing waits. */
  approvals?: ScheduleApprovalGate | undefined;
  newId?: () => string;
}

/** A create or change that must wait for approval: its request's id, the rule, and how to record the wait. */
interface HeldForApproval {
  requestId: string;
  rule: string;
  /** Records the request the saved schedule waits on (inside the transaction that saves it). */
  hold(schedule: ScheduleRecord, change: 'create' | 'change'): void;
}

/** What a held schedule's state means, for a refused pause or resume. */
const HELD: Partial<Record<ScheduleRecord['state'], string>> = {
  'awaiting-approval': 'waits for its approval, and takes no runs until someone approves it',
  'not-approved': 'was not approved (denied or expired) and takes no runs; change it to ask for approval again',
};

/** How long a create or change waits for a first listing of the fleet (it answers before Slack's 3 s). */
const LISTING_WAIT_MS = 1_500;
/** The form's preview waits less: a keystroke's answer is not worth a long wait. */
const PREVIEW_WAIT_MS = 500;

const newScheduleId = () => `sch-${randomUUID().slice(0, 8)}`;

export function createScheduleService(deps: ScheduleServiceDeps) {
  const { repo, guard, audit, clock } = deps;
  const newId = deps.newId ?? newScheduleId;

  function record(
    actor: Actor,
    channelId: string,
    action: ScheduleAuditAction,
    decision: AccessDecision,
    params: Record<string, unknown>,
    requestId?: string,
  ): void {
    audit.recordDecision({ actor, channelId, action, params, decision, ...(requestId ? { requestId } : {}) });
  }

  /**
   * The approval an allowed create or change must wait for, with the id its request will have (the audit entry of the
   * change carries it, so the approval's outcome lands there too); undefined when it need not wait.
   */
  async function approvalFor(
    actor: Actor,
    channelId: string,
    spec: ScheduleSpec,
    instances: readonly InstanceSummary[],
  ): Promise<HeldForApproval | undefined> {
    const gate = deps.approvals;
    if (!gate) return undefined;
    const instanceIds = instances.map((i) => i.instanceId);
    const requirement = await gate.requirementFor(spec, instanceIds);
    if (!requirement) return undefined;
    const requestId = gate.newRequestId();
    return {
      requestId,
      rule: requirement.rule,
      hold: (schedule, change) =>
        gate.hold({ requestId, schedule, requester: actor, channelId, requirement, instanceIds, change }),
    };
  }

  /** A pause or resume of a held schedule: refused, saying why and what to do. */
  function heldRefusal(schedule: ScheduleRecord): ScheduleResult | undefined {
    const why = HELD[schedule.state];
    if (!why) return undefined;
    return {
      ok: false,
      kind: 'denied',
      denial: { allowed: false, rule: 'approval', reason: `schedule \`${schedule.name}\` ${why}` },
    };
  }

  /** The bot's admins: the only people the policy lets read the audit trail. */
  async function isAdmin(actor: Actor, channelId: string): Promise<boolean> {
    const { decision } = await guard.decide({ actor, action: 'audit', channelId });
    return decision.allowed && decision.rule === 'admins';
  }

  /** The owner or an admin; else a denial that says who may. */
  async function mayManage(actor: Actor, channelId: string, schedule: ScheduleRecord): Promise<AccessDecision> {
    if (schedule.ownerId === actor.userId) return { allowed: true, rule: 'owner' };
    if (await isAdmin(actor, channelId)) return { allowed: true, rule: 'admins' };
    return {
      allowed: false,
      rule: 'owner',
      reason: `only the schedule's owner (<@${schedule.ownerId}>) and the bot's admins may change, pause, resume or delete \`${schedule.name}\``,
    };
  }

  /**
   * The instances `spec`'s targets match now, or the field error that says which target matches nothing (or that the
   * fleet could not be listed).
   */
  async function resolve(
    spec: ScheduleSpec,
  ): Promise<{ ok: true; instances: InstanceSummary[] } | { ok: false; errors: ScheduleFieldErrors }> {
    const listing = await deps.listInstances(LISTING_WAIT_MS);
    if (listing === undefined) {
      return {
        ok: false,
        errors: { targets: 'The fleet could not be listed just now, so the targets cannot be checked; try again.' },
      };
    }
    const resolved = resolveTargets(parseTargets(spec.targets), listing);
    if (resolved.unmatched.length > 0) {
      const shown = resolved.unmatched
        .slice(0, 5)
        .map((t) => `\`${t}\``)
        .join(', ');
      const verb = resolved.unmatched.length === 1 ? 'matches' : 'match';
      return {
        ok: false,
        errors: {
          targets: `${shown} ${verb} no instance in the fleet now: check the id, pattern or group, or remove it.`,
        },
      };
    }
    return { ok: true, instances: resolved.instances };
  }

  /** `backup` on every instance (and `delete` with retention), for the owner, as a manual request is checked. */
  async function decideRights(
    owner: Actor,
    channelId: string,
    spec: ScheduleSpec,
    instances: readonly InstanceSummary[],
  ): Promise<AccessDecision> {
    const instanceIds = instances.map((i) => i.instanceId);
    const placements = {
      instanceGroups: Object.fromEntries(
        instances.flatMap((i) => (i.instanceGroupId ? [[i.instanceId, i.instanceGroupId]] : [])),
      ),
      instanceRegions: Object.fromEntries(instances.flatMap((i) => (i.region ? [[i.instanceId, i.region]] : []))),
    };
    const actions: Action[] = hasRetention(spec) ? ['backup', 'delete'] : ['backup'];
    const rules: string[] = [];
    for (const action of actions) {
      const { decision } = await guard.decide({
        actor: owner,
        action,
        channelId,
        instanceIds,
        backupPath: spec.backupPath,
        ...(action === 'backup' && spec.uploadEndpoint ? { uploadEndpoint: spec.uploadEndpoint } : {}),
        ...placements,
      });
      if (!decision.allowed) {
        const why =
          action === 'delete'
            ? `a schedule with retention deletes old backups, so its owner needs \`delete\` on its instances too: ${decision.reason}`
            : decision.reason;
        return { ...decision, reason: why };
      }
      rules.push(decision.rule);
    }
    return { allowed: true, rule: [...new Set(rules)].join(', ') };
  }

  function auditParams(
    spec: ScheduleSpec,
    instances?: readonly InstanceSummary[],
    held?: HeldForApproval,
  ): Record<string, unknown> {
    return {
      ...spec,
      ...(instances ? { instanceIds: instances.slice(0, 200).map((i) => i.instanceId) } : {}),
      ...(held ? { approvalRule: held.rule } : {}),
    };
  }

  const nextSlot = (spec: ScheduleSpec) => nextRun(spec, clock.now());

  async function findManaged(
    actor: Actor,
    channelId: string,
    name: string,
    action: ScheduleAuditAction,
  ): Promise<{ ok: true; schedule: ScheduleRecord } | ({ ok: false } & ScheduleRefusal)> {
    const schedule = repo.byName(actor.teamId, name);
    if (!schedule) return { ok: false, kind: 'not-found', name };
    const decision = await mayManage(actor, channelId, schedule);
    if (!decision.allowed) {
      record(actor, channelId, action, decision, { name, scheduleId: schedule.id });
      return { ok: false, kind: 'denied', denial: decision };
    }
    return { ok: true, schedule };
  }

  /** Which of these schedules the person may see: their own, all for admins, else all instances in their scope. */
  async function visibleOf(actor: Actor, channelId: string, schedules: ScheduleRecord[]): Promise<ScheduleRecord[]> {
    if (schedules.every((s) => s.ownerId === actor.userId)) return schedules;
    if (await isAdmin(actor, channelId)) return schedules;
    const listing = (await deps.listInstances(LISTING_WAIT_MS)) ?? [];
    const idsOf = new Map<string, string[]>();
    for (const schedule of schedules) {
      if (schedule.ownerId === actor.userId) continue;
      const targets: Target[] = parseTargets(schedule.spec.targets);
      const matched = resolveTargets(targets, listing).instances.map((i) => i.instanceId);
      const named = targets.filter((t) => t.kind === 'instance').map((t) => t.text);
      idsOf.set(schedule.id, [...new Set([...matched, ...named])]);
    }
    const allIds = [...new Set([...idsOf.values()].flat())];
    const shown = await guard.visible(
      actor,
      'list',
      channelId,
      allIds.map((instanceId) => ({ instanceId })),
    );
    const inScope = new Set(allIds.filter((_, index) => shown[index]));
    return schedules.filter((s) => {
      if (s.ownerId === actor.userId) return true;
      const ids = idsOf.get(s.id) ?? [];
      return ids.length > 0 && ids.every((id) => inScope.has(id));
    });
  }

  const withResult = (schedule: ScheduleRecord): ScheduleView => ({
    ...schedule,
    lastResult: schedule.lastRunId ? deps.runResult?.(schedule.lastRunId) : undefined,
  });

  return {
    /** The form's live preview. Never throws; what cannot be worked out yet is left undefined. */
    async preview(raw: Pick<ScheduleRawInput, 'cron' | 'timeZone' | 'targets'>): Promise<SchedulePreview> {
      const checked = validateScheduleInput({ ...raw, name: 'preview', apps: 'com.preview', backupPath: '' });
      const errors = checked.ok ? {} : checked.errors;
      let runs: number[] | undefined;
      if (!errors.cron && !errors.timeZone && raw.cron) {
        const timeZone = raw.timeZone?.trim() ? raw.timeZone.trim() : 'UTC';
        try {
          runs = nextRuns({ cron: raw.cron.trim().replace(/\s+/g, ' '), timeZone }, clock.now(), 3);
        } catch {
          runs = undefined;
        }
      }
      if (errors.targets || !raw.targets?.trim()) return { nextRuns: runs, unmatched: [] };
      const texts = splitList(raw.targets);
      const listing = await deps.listInstances(PREVIEW_WAIT_MS).catch(() => undefined);
      if (!listing) return { nextRuns: runs, unmatched: [] };
      const resolved = resolveTargets(parseTargets(texts), listing);
      return { nextRuns: runs, matched: resolved.instances.length, unmatched: resolved.unmatched };
    },

    /** Checks the typed schedule, its targets and its owner's rights, then saves it with its first slot. */
    async create(input: { actor: Actor; channelId: string; raw: ScheduleRawInput }): Promise<ScheduleResult> {
      const { actor, channelId } = input;
      const checked = validateScheduleInput(input.raw);
      if (!checked.ok) return { ok: false, kind: 'errors', errors: checked.errors };
      const { spec } = checked;
      if (repo.byName(actor.teamId, spec.name)) return { ok: false, ...nameTaken(spec.name) };
      const resolved = await resolve(spec);
      if (!resolved.ok) return { ok: false, kind: 'errors', errors: resolved.errors };
      const decision = await decideRights(actor, channelId, spec, resolved.instances);
      const held = decision.allowed ? await approvalFor(actor, channelId, spec, resolved.instances) : undefined;
      record(
        actor,
        channelId,
        'schedule-create',
        decision,
        auditParams(spec, resolved.instances, held),
        held?.requestId,
      );
      if (!decision.allowed) return { ok: false, kind: 'denied', denial: decision };
      const created = repo.transaction(() => {
        const saved = repo.create({
          id: newId(),
          teamId: actor.teamId,
          ownerId: actor.userId,
          spec,
          nextSlotAt: held ? undefined : nextSlot(spec),
          state: held ? 'awaiting-approval' : 'active',
          now: clock.now(),
        });
        if (saved !== 'name-taken') held?.hold(saved, 'create');
        return saved;
      });
      if (created === 'name-taken') return { ok: false, ...nameTaken(spec.name) };
      deps.approvals?.kick();
      return { ok: true, schedule: created };
    },

    /**
     * Replaces a schedule's definition (owner or admin). The rights are checked again for the owner (not the person
     * changing it: the runs act as the owner). Renaming is not a change: the name stays; so does the description when
     * the change gives none.
     */
    async change(input: {
      actor: Actor;
      channelId: string;
      name: string;
      raw: ScheduleRawInput;
    }): Promise<ScheduleResult> {
      const { actor, channelId } = input;
      const found = await findManaged(actor, channelId, input.name, 'schedule-change');
      if (!found.ok) return found;
      const { schedule } = found;
      // The form has no description field: a change that gives none keeps the one the schedule has.
      const description = input.raw.description ?? schedule.spec.description;
      const checked = validateScheduleInput({ ...input.raw, name: schedule.name, description });
      if (!checked.ok) return { ok: false, kind: 'errors', errors: checked.errors };
      const { spec } = checked;
      const resolved = await resolve(spec);
      if (!resolved.ok) return { ok: false, kind: 'errors', errors: resolved.errors };
      const owner: Actor = { userId: schedule.ownerId, teamId: schedule.teamId };
      const decision = await decideRights(owner, channelId, spec, resolved.instances);
      // Whoever made the change asked for it, so they may not approve it; the owner, if someone else, may.
      const held = decision.allowed ? await approvalFor(actor, channelId, spec, resolved.instances) : undefined;
      record(
        actor,
        channelId,
        'schedule-change',
        decision,
        { ...auditParams(spec, resolved.instances, held), scheduleId: schedule.id },
        held?.requestId,
      );
      if (!decision.allowed) return { ok: false, kind: 'denied', denial: decision };
      repo.transaction(() => {
        // A change made while an earlier one waits replaces it: only the newest change can be approved.
        deps.approvals?.supersede(schedule.id);
        if (held) {
          repo.hold(schedule.id, spec, clock.now());
          held.hold({ ...schedule, spec }, 'change');
        } else if (HELD[schedule.state]) {
          // It no longer needs an approval (no retention, or no rule covers it now): active from now.
          repo.update(schedule.id, spec, undefined, clock.now());
          repo.setState(schedule.id, 'active', nextSlot(spec), clock.now());
        } else {
          repo.update(schedule.id, spec, schedule.state === 'active' ? nextSlot(spec) : undefined, clock.now());
        }
      });
      deps.approvals?.kick();
      return { ok: true, schedule: repo.get(schedule.id) ?? schedule };
    },

    /** Stops taking slots (owner or admin): no next slot is kept. */
    async pause(input: { actor: Actor; channelId: string; name: string }): Promise<ScheduleResult> {
      const found = await findManaged(input.actor, input.channelId, input.name, 'schedule-pause');
      if (!found.ok) return found;
      const { schedule } = found;
      const held = heldRefusal(schedule);
      if (held) return held;
      repo.setState(schedule.id, 'paused', undefined, clock.now());
      record(
        input.actor,
        input.channelId,
        'schedule-pause',
        { allowed: true, rule: 'owner or admin' },
        {
          name: schedule.name,
          scheduleId: schedule.id,
        },
      );
      return { ok: true, schedule: repo.get(schedule.id) ?? schedule };
    },

    /** Takes slots again from now on (owner or admin): slots missed while paused are not run. */
    async resume(input: { actor: Actor; channelId: string; name: string }): Promise<ScheduleResult> {
      const found = await findManaged(input.actor, input.channelId, input.name, 'schedule-resume');
      if (!found.ok) return found;
      const { schedule } = found;
      // Resuming must never activate a schedule its approvers have not let through.
      const held = heldRefusal(schedule);
      if (held) return held;
      repo.setState(schedule.id, 'active', nextSlot(schedule.spec), clock.now());
      record(
        input.actor,
        input.channelId,
        'schedule-resume',
        { allowed: true, rule: 'owner or admin' },
        {
          name: schedule.name,
          scheduleId: schedule.id,
        },
      );
      return { ok: true, schedule: repo.get(schedule.id) ?? schedule };
    },

    /**
     * Whether this person may change or delete the schedule (to open its form, or the delete confirmation); nothing
     * recorded, nothing changed. Saving the form calls `change`, the confirmation's button `delete`: both check again.
     */
    async checkManage(input: { actor: Actor; channelId: string; name: string }): Promise<ScheduleResult> {
      const schedule = input.actor.teamId ? repo.byName(input.actor.teamId, input.name) : undefined;
      if (!schedule) return { ok: false, kind: 'not-found', name: input.name };
      const decision = await mayManage(input.actor, input.channelId, schedule);
      if (!decision.allowed) return { ok: false, kind: 'denied', denial: decision };
      return { ok: true, schedule };
    },

    /** Deletes the schedule (owner or admin, checked now): no more runs; its backups stay. */
    async delete(input: { actor: Actor; channelId: string; scheduleId: string }): Promise<ScheduleResult> {
      const schedule = repo.get(input.scheduleId);
      if (!schedule || schedule.state === 'deleted' || schedule.teamId !== input.actor.teamId) {
        return { ok: false, kind: 'not-found', name: schedule?.name ?? input.scheduleId };
      }
      const decision = await mayManage(input.actor, input.channelId, schedule);
      record(input.actor, input.channelId, 'schedule-delete', decision, {
        name: schedule.name,
        scheduleId: schedule.id,
      });
      if (!decision.allowed) return { ok: false, kind: 'denied', denial: decision };
      repo.transaction(() => {
        deps.approvals?.supersede(schedule.id);
        repo.delete(schedule.id, clock.now());
      });
      deps.approvals?.kick();
      return { ok: true, schedule: repo.get(schedule.id) ?? schedule };
    },

    /** The team's schedules this person may see, by name. */
    async list(actor: Actor, channelId: string): Promise<ScheduleView[]> {
      return (await visibleOf(actor, channelId, repo.list(actor.teamId))).map(withResult);
    },

    /** The schedules this person owns, for their App Home: what each backs up, in words, and its next run. */
    owned(actor: Actor): HomeSchedule[] {
      return repo
        .list(actor.teamId)
        .filter((schedule) => schedule.ownerId === actor.userId)
        .map((schedule) => ({
          id: schedule.id,
          description: `${schedule.name}${STATE_NOTE[schedule.state] ?? ''}: ${cadenceInWords(schedule.spec)}, ${schedule.spec.targets.join(', ')}`,
          nextRunAt:
            schedule.state !== 'active' || schedule.nextSlotAt === undefined
              ? undefined
              : new Date(schedule.nextSlotAt),
        }));
    },

    /** One schedule, when it exists and this person may see it. */
    async show(actor: Actor, channelId: string, name: string): Promise<ScheduleView | undefined> {
      const schedule = repo.byName(actor.teamId, name);
      if (!schedule) return undefined;
      const [visible] = await visibleOf(actor, channelId, [schedule]);
      return visible && withResult(visible);
    },
  };
}

/** How the App Home marks a schedule that takes no runs. */
const STATE_NOTE: Partial<Record<ScheduleRecord['state'], string>> = {
  paused: ' (paused)',
  'awaiting-approval': ' (waiting for approval)',
  'not-approved': ' (not approved)',
};

function nameTaken(name: string): ScheduleRefusal {
  return {
    kind: 'errors',
    errors: {
      name: `A schedule named \`${name}\` already exists: choose another name, change that one (\`/cloudphone schedule edit ${name}\`), or delete it first (\`/cloudphone schedule delete ${name}\`).`,
    },
  };
}

export type ScheduleService = ReturnType<typeof createScheduleService>;
