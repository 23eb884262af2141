/**
 * The entry point for restores from Slack: the form's choices, the plan (every target checked against the backup's
 * source and its status, what would be overwritten), the confirmation (a durable record the runner takes), and the
 * "Mark restore verified" button. Permission checks are local and fast, so listeners run them before their ack;
 * `formChoices` and `plan` call the cloud and run after it.
 */
import type { Repositories } from '../../db/index.js';
import type { RestoreRecord, TargetPatch } from '../../db/restore-requests.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, GuardResult } from '../access/guard.js';
import type { AccessTarget } from '../access/permissions.js';
import type { ApprovalService } from '../approval/service.js';
import { splitList } from '../backup/input.js';
import type { Actor, CloudFailure } from '../backup/model.js';
import { newRequestId } from '../backup/service.js';
import {
  type Catalog,
  type CatalogEntry,
  type CatalogService,
  STATUS_UNKNOWN,
  type Viewer,
} from '../catalog/service.js';
import { factsOf } from '../fleet/instance-facts.js';
import { type AdmissionRefusal, checkAdmission } from '../pipeline/admission.js';
import { failureOf } from '../pipeline/cloud-failure.js';
import type { Clock, CloudInstance, CloudPhone } from '../pipeline/ports.js';
import { assessTarget, crossRegionRefusal, includedTargets, RESTORABLE_FILE_STATUSES } from './compat.js';
import type { ImageFacts, RestoreSource, Verification } from './model.js';
import { restoreView } from './view.js';

/** Targets per restore: one RecoverApp call, and a confirmation that fits one modal. */
export const MAX_RESTORE_TARGETS = 100;

const BACKUP_FILE_ID = /^bf-[A-Za-z0-9]{1,64}$/;

export interface RestoreForm {
  backupFileId: string;
  targetIds: string[];
}

export type RestoreFormErrors = Partial<Record<'backup' | 'targets', string>>;

/**
 * What the form gave, checked for shape only: the backup, the typed target entries (ids or instance names, resolved by
 * `RestoreTargets` against the fleet listing) and the picked instance ids.
 */
export interface RestoreFormInput {
  backupFileId: string;
  typed: string[];
  picked: string[];
}

/** Typed targets are one per line or comma separated (the fullwidth forms too, as `splitList` reads them). */
const TARGET_SEPARATOR = /[\r\n,;，、；]+/u;

/** Longer than any instance name or id the cloud gives; a pasted paragraph is not a name. */
const MAX_TARGET_ENTRY = 128;

/**
 * Checks the form: a backup picked, one to 100 targets typed or picked in all. Typed entries may be ids or names, so
 * only their length is checked here. Messages are mrkdwn-safe plain text.
 */
export function validateRestoreForm(raw: {
  backupFileId?: string | undefined;
  targets?: string | undefined;
  picked?: readonly string[] | undefined;
}): { ok: true; value: RestoreFormInput } | { ok: false; errors: RestoreFormErrors } {
  const errors: RestoreFormErrors = {};
  const backupFileId = raw.backupFileId?.trim() ?? '';
  if (backupFileId === '') errors.backup = 'Pick the backup to restore.';
  else if (!BACKUP_FILE_ID.test(backupFileId)) errors.backup = 'That is not a backup file id (they look like bf-…).';
  // Lines (or comma-separated parts) are kept whole: an instance name may hold spaces. Ids are counted word by word,
  // as `RestoreTargets` reads a part that is not a name.
  const typed = [
    ...new Set(
      (raw.targets ?? '')
        .split(TARGET_SEPARATOR)
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ];
  const words = splitList(raw.targets ?? '');
  const picked = [...new Set(raw.picked ?? [])].filter((id) => !words.includes(id));
  // Counted by entry, so a name with spaces is one target; ids typed on one line are counted again once resolved
  // (`tooManyTargets`).
  const count = typed.length + picked.length;
  if (count === 0) errors.targets = 'Pick or type at least one instance to restore onto, by name or id.';
  else if (count > MAX_RESTORE_TARGETS) {
    errors.targets = tooManyTargets(count);
  } else if (words.some((word) => word.length > MAX_TARGET_ENTRY)) {
    errors.targets = `Instance names and ids are at most ${MAX_TARGET_ENTRY} characters; put one per line.`;
  }
  if (errors.backup || errors.targets) return { ok: false, errors };
  return { ok: true, value: { backupFileId, typed, picked } };
}

/** The refusal when `count` targets are more than a restore takes; undefined when they are not. */
export function tooManyTargets(count: number): string | undefined {
  return count > MAX_RESTORE_TARGETS
    ? `That is ${count} instances; restore onto at most ${MAX_RESTORE_TARGETS} at a time.`
    : undefined;
}

/** What the form offers: restorable backups, newest first (at most 100, Slack's select limit). */
export interface FormChoices {
  backups: CatalogEntry[];
  cloudError?: CloudFailure | undefined;
  /** The backup asked for is not one that can be restored (unknown, or its status forbids it). */
  selectedMissing: boolean;
}

export type PlanResult = { ok: true; plan: RestoreRecord } | { ok: false; failure: CloudFailure };

export type ConfirmResult =
  | { ok: true; requestId: string; created: boolean }
  | {
      ok: false;
      reason: 'not-found' | 'not-yours' | 'denied' | 'nothing-to-restore' | 'choose-stopped';
      message?: string | undefined;
    }
  | { ok: false; reason: 'refused'; refusal: AdmissionRefusal };

export type VerifyResult =
  | { ok: true; created: boolean; verification: Verification; request: RestoreRecord }
  | { ok: false; reason: 'not-found' | 'denied' | 'not-restored'; message?: string | undefined };

/** A backup as the policy sees it: where it came from and where it is stored. */
function backupTarget(backup: Pick<CatalogEntry, 'backupFileId' | 'sourceInstanceId' | 'path'>): AccessTarget {
  return { label: backup.backupFileId, instanceId: backup.sourceInstanceId, path: backup.path };
}

const COMPLETE: readonly (keyof ImageFacts)[] = ['imageVersion', 'imageKind', 'serverType', 'instanceType'];
const isComplete = (facts: ImageFacts): boolean => COMPLETE.every((key) => (facts[key] ?? '').trim() !== '');

export function createRestoreService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  catalog: CatalogService;
  cloud: Pick<CloudPhone, 'describeInstances' | 'listInstalledPackages'>;
  runner: { kick(): void };
  clock: Clock;
  simulated: boolean;
  /** Two-person approval (the policy's `approvals:`); without it no restore waits. */
  approvals?: Pick<ApprovalService, 'requirementFor' | 'open'> | undefined;
  /** Backups and restores one person may have open at once. */
  maxOpenPerPerson: number;
}) {
  const { repos, guard, audit, catalog, cloud, runner, clock } = deps;
  const admission = (actor: Actor, instanceIds: readonly string[]) =>
    checkAdmission(repos.requests, {
      userId: actor.userId,
      instanceIds,
      maxOpenPerPerson: deps.maxOpenPerPerson,
    });

  /**
   * The backup and the facts its targets must match: recorded by the bot at backup time, else read from the source
   * instance now; when neither is available, `facts` is undefined and every target will be refused.
   */
  async function resolveSource(
    entry: CatalogEntry,
  ): Promise<{ source: RestoreSource; unknownReason?: string | undefined }> {
    const bot = repos.backupRecords.byBackupFile(entry.backupFileId);
    const base: RestoreSource = { ...entry };
    delete (base as Partial<CatalogEntry>).verifications;
    delete (base as Partial<CatalogEntry>).listedByCloud;
    if (bot && isComplete(bot.facts)) return { source: { ...base, facts: bot.facts, factsOrigin: 'recorded' } };
    const sourceId = entry.sourceInstanceId;
    if (!sourceId) {
      return { source: base, unknownReason: 'the backup does not say which instance it was made from' };
    }
    try {
      const [found] = await cloud.describeInstances({ instanceIds: [sourceId] });
      if (found) {
        const live = factsOf(found);
        const facts: ImageFacts = {
          imageId: live.imageId,
          imageVersion: live.imageVersion,
          instanceType: live.instanceType,
          imageKind: live.imageKind,
          serverType: live.serverType,
        };
        return {
          source: {
            ...base,
            sourceInstanceName: base.sourceInstanceName ?? live.name,
            facts,
            factsOrigin: 'source-now',
          },
        };
      }
    } catch (error) {
      const failure = failureOf(error);
      return {
        source: base,
        unknownReason: `the bot did not record this backup's image and architecture, and looking up its source instance ${sourceId} failed (${failure.code})`,
      };
    }
    return {
      source: base,
      unknownReason: `the bot did not make this backup, and its source instance ${sourceId} no longer exists, so nobody can tell which image version, image kind and architecture a target needs`,
    };
  }

  /**
   * Why this person may not restore from this backup onto these targets (its source instance and location, and the
   * targets, covered by one of their restore roles), or undefined when they may. Checked before the plan asks the
   * cloud anything more; a denial is recorded in the audit log.
   */
  async function outsideScope(
    input: { actor: Actor; channelId: string; form: RestoreForm },
    entry: CatalogEntry,
  ): Promise<string | undefined> {
    const pending = await guard.decide(
      {
        actor: input.actor,
        action: 'restore',
        channelId: input.channelId,
        instanceIds: input.form.targetIds,
        targets: [backupTarget(entry)],
      },
      { step: 'check backup', backupFileId: entry.backupFileId, backupPath: entry.path },
    );
    if (pending.decision.allowed) return undefined;
    pending.record();
    return pending.decision.reason;
  }

  return {
    /** May this person restore (open the form, from this channel)? Recorded in the audit log. */
    authorizeOpen(actor: Actor, channelId: string, backupFileId?: string): Promise<GuardResult> {
      return guard.check({ actor, action: 'restore', channelId }, { step: 'open form', backupFileId });
    },

    /** May this person restore onto these instances? Checked again, with the backup's location, at confirmation. */
    authorizePlan(actor: Actor, channelId: string, form: RestoreForm): Promise<GuardResult> {
      return guard.check(
        { actor, action: 'restore', channelId, instanceIds: form.targetIds },
        { step: 'check targets', backupFileId: form.backupFileId, instanceIds: form.targetIds },
      );
    },

    /**
     * Backups the form offers: restorable ones from the catalog that the person may restore from (source instance
     * and location in their scope), newest first (the cloud is asked). Records what was offered on the audit entry of
     * the check that opened the form.
     */
    async formChoices(viewer: Viewer, auditId?: number, selected?: string): Promise<FormChoices> {
      const result: Catalog = await catalog.list({}, viewer, 'restore');
      const usable = result.entries.filter(
        (entry) => RESTORABLE_FILE_STATUSES.has(entry.status) || entry.status === STATUS_UNKNOWN,
      );
      // The one asked for comes first, so it is offered even when it is older than the newest 100.
      const chosen = usable.find((entry) => entry.backupFileId === selected);
      const backups = chosen
        ? [chosen, ...usable.filter((entry) => entry !== chosen)].slice(0, 100)
        : usable.slice(0, 100);
      const selectedMissing = selected !== undefined && chosen === undefined && result.cloudError === undefined;
      if (auditId !== undefined) {
        audit.recordOutcome(auditId, {
          status: 'form-opened',
          offered: backups.length,
          ...(result.cloudError ? { errors: [result.cloudError] } : {}),
        });
      }
      return { backups, cloudError: result.cloudError, selectedMissing };
    },

    /**
     * What "Retry failed…" on a restore's reply asks for: its backup onto the targets that failed. Undefined when the
     * restore is unknown, unfinished, or none of its targets failed.
     */
    retryForm(requestId: string): RestoreForm | undefined {
      const request = repos.restores.get(requestId);
      if (request?.step !== 'done') return undefined;
      const failed = request.targets.filter((t) => t.state === 'failed').map((t) => t.instanceId);
      return failed.length > 0 ? { backupFileId: request.backup.backupFileId, targetIds: failed } : undefined;
    },

    /**
     * Checks every target against the backup's source and its status, finds which of the backup's apps each running
     * target already has (they will be uninstalled first), and records the plan. Asks the cloud; call after the ack.
     */
    async plan(input: {
      actor: Actor;
      channelId: string;
      form: RestoreForm;
      planKey: string;
      auditId: number;
      /** The restore whose failed targets this plan retries. */
      retryOf?: string | undefined;
    }): Promise<PlanResult> {
      const { form } = input;
      const lookup = await catalog.lookup([form.backupFileId]);
      if (lookup.cloudError) return { ok: false, failure: lookup.cloudError };
      const entry = lookup.found.get(form.backupFileId);

      let backupProblem: { code: string; reason: string } | undefined;
      let resolved: { source: RestoreSource; unknownReason?: string | undefined };
      const denied = entry ? await outsideScope(input, entry) : undefined;
      if (!entry) {
        backupProblem = { code: 'BackupNotFound', reason: 'the cloud lists no backup file with this id' };
        resolved = { source: { backupFileId: form.backupFileId, status: 'NOT_FOUND', apps: [] } };
      } else if (denied) {
        // Nothing more about it is looked up or shown: not its apps, not its source's facts, not the targets' apps.
        backupProblem = { code: 'OutsideYourScope', reason: `not allowed: ${denied}` };
        resolved = { source: { backupFileId: form.backupFileId, status: entry.status, apps: [] } };
      } else {
        resolved = await resolveSource(entry);
        if (!RESTORABLE_FILE_STATUSES.has(entry.status)) {
          backupProblem = {
            code: 'BackupUnavailable',
            reason: `the backup is ${entry.status}; only an AVAILABLE backup can be restored`,
          };
        } else if (!entry.path) {
          backupProblem = { code: 'BackupPathUnknown', reason: 'the cloud did not say where the backup file is' };
        }
      }

      let instances: CloudInstance[] = [];
      try {
        if (!denied) instances = await cloud.describeInstances({ instanceIds: form.targetIds });
      } catch (error) {
        return { ok: false, failure: failureOf(error) };
      }
      const byId = new Map(instances.map((instance) => [instance.instanceId, factsOf(instance)]));
      const regionOf = new Map(instances.map((instance) => [instance.instanceId, instance.region]));
      const targets = form.targetIds.map((instanceId) => {
        const facts = byId.get(instanceId);
        const assessment = backupProblem
          ? { verdict: 'refused' as const, code: backupProblem.code, reason: backupProblem.reason }
          : (crossRegionRefusal(resolved.source.region, regionOf.get(instanceId)) ??
            assessTarget({ facts: resolved.source.facts, unknownReason: resolved.unknownReason }, facts));
        return {
          instanceId,
          verdict: assessment.verdict,
          facts,
          errorCode: assessment.code,
          errorMessage: assessment.reason,
          overwrites: undefined as string[] | undefined,
        };
      });

      // What a restore would overwrite: the backup's apps already installed on each running target.
      const running = targets.filter((target) => target.verdict === 'ready').map((target) => target.instanceId);
      if (running.length > 0 && resolved.source.apps.length > 0) {
        try {
          const installed = await cloud.listInstalledPackages(running);
          const apps = new Set(resolved.source.apps);
          for (const target of targets) {
            const packages = installed.get(target.instanceId);
            if (packages) target.overwrites = packages.filter((name) => apps.has(name));
          }
        } catch {
          // Unknown is shown as "any installed copy is replaced"; the restore itself does not depend on it.
        }
      }

      const { id } = repos.restores.createPlan({
        id: newRequestId(),
        planKey: input.planKey,
        actor: input.actor,
        channelId: input.channelId,
        backup: resolved.source,
        targets,
        retryOf: input.retryOf,
        simulated: deps.simulated,
        now: clock.now(),
      });
      const plan = repos.restores.get(id);
      if (!plan) throw new Error(`restore plan ${id} vanished`);
      audit.recordOutcome(input.auditId, {
        status: 'checked',
        planId: id,
        backupFileIds: [form.backupFileId],
        ready: plan.targets.filter((t) => t.verdict === 'ready').map((t) => t.instanceId),
        needsStart: plan.targets.filter((t) => t.verdict === 'needs-start').map((t) => t.instanceId),
        refused: plan.targets
          .filter((t) => t.verdict === 'refused')
          .map((t) => ({ instanceId: t.instanceId, code: t.errorCode ?? 'Refused' })),
      });
      return { ok: true, plan };
    },

    /**
     * May this person start a restore onto these targets now? Refused when one is already being backed up or
     * restored, or the person has too many requests open. The form asks before checking the targets in the cloud;
     * the confirmation asks again.
     */
    admission(actor: Actor, targetIds: readonly string[]): AdmissionRefusal | undefined {
      return admission(actor, targetIds);
    },

    /**
     * Confirms a plan: the permission check with the backup's location (recorded), then the durable record the
     * runner takes, in one step before the ack. A plan is confirmed once; a second confirmation returns the first.
     */
    async confirm(input: {
      actor: Actor;
      planId: string;
      startStopped: boolean | undefined;
      confirmKey: string;
    }): Promise<ConfirmResult> {
      const plan = repos.restores.get(input.planId);
      if (!plan) return { ok: false, reason: 'not-found' };
      if (plan.actor.userId !== input.actor.userId) return { ok: false, reason: 'not-yours' };
      if (plan.step !== 'draft') return { ok: true, requestId: plan.id, created: false };
      const needsStart = plan.targets.filter((target) => target.verdict === 'needs-start');
      if (needsStart.length > 0 && input.startStopped === undefined) return { ok: false, reason: 'choose-stopped' };
      const startStopped = input.startStopped === true;
      const included = includedTargets({ targets: plan.targets, startStopped });
      if (included.length === 0) return { ok: false, reason: 'nothing-to-restore' };

      const { decision, auditId } = await guard.check(
        {
          actor: input.actor,
          action: 'restore',
          channelId: plan.channelId,
          instanceIds: included.map((target) => target.instanceId),
          targets: [backupTarget(plan.backup)],
          ...(plan.backup.path ? { backupPath: plan.backup.path } : {}),
          ...(plan.backup.uploadEndpoint ? { uploadEndpoint: plan.backup.uploadEndpoint } : {}),
        },
        {
          step: 'confirm',
          backupFileId: plan.backup.backupFileId,
          backupPath: plan.backup.path,
          instanceIds: included.map((target) => target.instanceId),
          startFirst: startStopped ? needsStart.map((target) => target.instanceId) : [],
          leftOut: startStopped ? [] : needsStart.map((target) => target.instanceId),
        },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', message: decision.reason };

      const patches = plan.targets.map((target): { instanceId: string; patch: TargetPatch } => {
        if (target.verdict === 'ready') return { instanceId: target.instanceId, patch: { state: 'pending' } };
        if (target.verdict === 'needs-start') {
          return startStopped
            ? { instanceId: target.instanceId, patch: { state: 'starting' } }
            : {
                instanceId: target.instanceId,
                patch: {
                  state: 'skipped',
                  errorCode: 'LeftOut',
                  errorMessage: `it was ${target.facts?.status ?? 'not running'} and you chose not to start it`,
                },
              };
        }
        return { instanceId: target.instanceId, patch: { state: 'skipped' } };
      });
      const changed = included.map((target) => target.instanceId);
      const requirement = await deps.approvals?.requirementFor({ action: 'restore', instanceIds: changed });
      // The restore and what it must collect first are recorded together: it never runs unapproved.
      const recorded = repos.db.transaction((): { refusal: AdmissionRefusal } | { confirmed: boolean } => {
        // Checked again here (the form checked too): another request may have taken a target since the plan. In the
        // same transaction as the record, so nothing slips in between.
        const refusal = admission(input.actor, changed);
        if (refusal) return { refusal };
        const confirmed = repos.restores.confirm(plan.id, {
          confirmKey: input.confirmKey,
          startStopped,
          targets: patches,
          now: clock.now(),
        });
        if (confirmed && requirement) deps.approvals?.open(plan.id, requirement, changed);
        return { confirmed };
      })();
      if ('refusal' in recorded) {
        audit.recordOutcome(auditId, { status: 'refused', reason: recorded.refusal.reason });
        return { ok: false, reason: 'refused', refusal: recorded.refusal };
      }
      const created = recorded.confirmed;
      audit.linkRequest(auditId, plan.id);
      if (created) runner.kick();
      return { ok: true, requestId: plan.id, created };
    },

    /**
     * "Mark restore verified": the person says they opened the apps and they work. Needs the restore permission for
     * the restored instances; recorded once per restore (a second click returns the first verification).
     */
    async verify(input: { actor: Actor; channelId: string; requestId: string }): Promise<VerifyResult> {
      const request = repos.restores.get(input.requestId);
      if (!request || request.step === 'draft') return { ok: false, reason: 'not-found' };
      const restored = request.targets.filter((target) => target.state === 'succeeded').map((t) => t.instanceId);
      const { decision, auditId } = await guard.check(
        { actor: input.actor, action: 'restore', channelId: input.channelId, instanceIds: restored },
        { step: 'mark verified', restoreRequestId: request.id, backupFileId: request.backup.backupFileId },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', message: decision.reason };
      if (restored.length === 0) {
        audit.recordOutcome(auditId, { status: 'refused', reason: 'nothing was restored' });
        return { ok: false, reason: 'not-restored' };
      }
      const { created, verification } = repos.verifications.add({
        backupFileId: request.backup.backupFileId,
        restoreRequestId: request.id,
        actor: input.actor,
        instanceIds: restored,
        now: clock.now(),
      });
      audit.recordOutcome(auditId, {
        status: created ? 'verified' : 'already-verified',
        backupFileIds: [request.backup.backupFileId],
        verifiedBy: verification.userId,
        restoreRequestId: request.id,
      });
      return { ok: true, created, verification, request: restoreView(repos, request.id) ?? request };
    },

    /** A restore with its checks and verifications (for messages). */
    get(requestId: string): RestoreRecord | undefined {
      return restoreView(repos, requestId);
    },
  };
}

export type RestoreService = ReturnType<typeof createRestoreService>;
