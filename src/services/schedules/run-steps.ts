/**
 * A scheduled run's steps, as the runner takes them: resolve → announce → waves → prune, then the runner's report.
 *
 * - resolve: re-checks the owner's permission (as for a manual backup: `backup` on every matched instance, and
 *   `delete` when the schedule keeps a retention), lists the fleet, resolves the targets, and queues the instances
 *   (an instance a person's open request holds is skipped and reported). A denied run stops nothing.
 * - waves: rolling. At most `waveCount` instances are stopped or being backed up at once; as child backups end, the
 *   freed slots are filled with new child backups (the `backup` kind's own steps, quiet: this run's message shows
 *   the progress), each of at most `maxInstancesPerCall` instances (100, what one Stop/BackupApp/Start call takes).
 *   Children of one call each go through their steps out of step with each other: while one child's phones stop or
 *   back up, another's calls use the account's call quota, and slots free 100 at a time rather than when the slowest
 *   of a whole wave ends. The calls are the same ones a single child of the whole wave would make (it splits them
 *   into calls of 100 anyway). Taking a batch and recording it happen in one transaction, so a crash never sends one
 *   twice.
 * - prune: after the backups end, retention (retention.ts) hands what it deletes to one child deletion (the durable
 *   `delete` kind) and waits for its outcome.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { RunCounts, RunDetail, RunInstance, RunRecord, RunStatus } from '../../db/schedule-runs.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard } from '../access/guard.js';
import type { BackupSpec } from '../backup/model.js';
import type { InstanceSummary } from '../fleet/instance-directory.js';
import { createAnnounceStep } from '../pipeline/announce.js';
import { CANCELLED, type CancelTerms } from '../pipeline/cancel.js';
import { chunk, failureOf, isTransient } from '../pipeline/cloud-failure.js';
import type { Clock, RequestNotifier } from '../pipeline/ports.js';
import { type KindSteps, kindSteps } from '../pipeline/runner.js';
import { retentionPlanFor } from './retention-plan.js';
import { hasRetention, waveCount } from './spec.js';
import { parseTargets, resolveTargets } from './targets.js';

/** A run as its messages show it. `instances` only once it has ended (a 10,000-phone run is not read every step). */
export interface ScheduleRunView extends RunRecord {
  counts: RunCounts;
  instances?: RunInstance[] | undefined;
}

export interface RunSettings {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  transientRetryMs: number;
  progressUpdateMs: number;
  /** The upload endpoint when the schedule names none (as a manual backup's form defaults to). */
  defaultUploadEndpoint: string;
  /** Most instances in one child backup: the largest instance list one Stop / BackupApp / Start call takes. */
  maxInstancesPerCall: number;
}

/** The idempotency key of a run's n-th child backup (and the prefix the per-person cap leaves out). */
export function childBackupKey(runId: string, n: number): string {
  return `schedule-run:${runId}#${n}`;
}

export function newRunId(): string {
  const uuid = randomUUID();
  return `run-${uuid.slice(0, 8)}${uuid.slice(9, 13)}`;
}

export function scheduleRunSteps(deps: {
  repos: Repositories;
  guard: Pick<AccessGuard, 'check'>;
  audit: AuditTrail;
  /** The whole fleet, paged DescribeAndroidInstances (the cloud client pages it). */
  listFleet(): Promise<readonly InstanceSummary[]>;
  notifier: RequestNotifier<ScheduleRunView>;
  clock: Clock;
  logger: Logger;
  settings: RunSettings;
  /** Told when a run ends (metrics, log). */
  onFinished?: ((run: ScheduleRunView) => void) | undefined;
}): KindSteps<never> {
  const { repos, guard, audit, clock, logger, settings } = deps;
  const { requests, scheduleRuns: runs } = repos;

  function load(id: string): RunRecord {
    const run = runs.get(id);
    if (!run) throw new Error(`schedule run ${id} vanished`);
    return run;
  }

  function view(id: string): ScheduleRunView | undefined {
    const run = runs.get(id);
    if (!run) return undefined;
    const ended = run.step === 'report' || run.step === 'done';
    return { ...run, counts: runs.counts(id), instances: ended ? runs.instances(id) : undefined };
  }

  function patchDetail(id: string, patch: Partial<RunDetail>): RunDetail {
    const detail = { ...load(id).detail, ...patch };
    runs.setDetail(id, detail, clock.now());
    return detail;
  }

  function finish(id: string, status: RunStatus): void {
    const now = clock.now();
    const run = load(id);
    const counts = runs.counts(id);
    repos.db.transaction(() => {
      requests.finish(id, status, now);
      if (run.detail.auditId !== undefined) {
        audit.recordOutcome(run.detail.auditId, {
          status,
          runId: id,
          scheduleId: run.detail.scheduleId,
          instances: counts.total,
          succeeded: counts.succeeded,
          failed: counts.failed,
          skipped: counts.skipped,
          unmatched: run.detail.unmatched ?? [],
          pruned: run.detail.prune?.files.map((file) => file.backupFileId) ?? [],
          ...(run.detail.denied ? { denied: run.detail.denied } : {}),
        });
      }
    })();
    const ended = view(id);
    if (ended) deps.onFinished?.(ended);
  }

  async function resolve(id: string): Promise<void> {
    const run = load(id);
    const { spec } = run.detail;
    let listing: readonly InstanceSummary[];
    try {
      listing = await deps.listFleet();
    } catch (error) {
      if (isTransient(error) && clock.now() - run.stepStartedAt < settings.transientRetryMs) {
        logger.warn({ requestId: id, err: error }, 'listing the fleet for a scheduled run failed; will try again');
        return void requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
      }
      const failure = failureOf(error);
      patchDetail(id, { listingError: { code: failure.code, message: failure.message } });
      requests.setFailure(id, { code: failure.code, message: failure.message }, clock.now());
      return finish(id, 'failed');
    }
    const resolved = resolveTargets(parseTargets(spec.targets), listing);
    const instanceIds = resolved.instances.map((instance) => instance.instanceId);
    const uploadEndpoint = spec.uploadEndpoint ?? settings.defaultUploadEndpoint;
    const asked = {
      step: 'schedule run',
      runId: id,
      scheduleId: run.detail.scheduleId,
      scheduleName: run.detail.scheduleName,
      slotAt: run.detail.slotAt,
      startedBy: run.detail.startedBy,
      instances: instanceIds.length,
    };
    // The owner's rights today, with the same policy as a manual backup (and deletion, for retention).
    const backupCheck = await guard.check(
      {
        actor: run.owner,
        action: 'backup',
        channelId: run.channelId,
        instanceIds,
        backupPath: spec.backupPath,
        uploadEndpoint,
      },
      asked,
    );
    let denied = backupCheck.decision.allowed ? undefined : backupCheck.decision.reason;
    if (!denied && hasRetention(spec)) {
      const deleteCheck = await guard.check(
        {
          actor: run.owner,
          action: 'delete',
          channelId: run.channelId,
          instanceIds,
          targets: instanceIds.map((instanceId) => ({ label: instanceId, instanceId, path: spec.backupPath })),
        },
        { ...asked, step: 'schedule run retention' },
      );
      if (!deleteCheck.decision.allowed) denied = deleteCheck.decision.reason;
    }
    audit.linkRequest(backupCheck.auditId, id);
    if (denied) {
      patchDetail(id, { denied, auditId: backupCheck.auditId, unmatched: resolved.unmatched });
      return finish(id, 'denied');
    }
    const holders = new Map(requests.openHoldersOf(instanceIds).map((holder) => [holder.instanceId, holder]));
    repos.db.transaction(() => {
      runs.addInstances(
        id,
        run.detail.scheduleId,
        instanceIds.map((instanceId) => {
          const holder = holders.get(instanceId);
          return {
            instanceId,
            skip: holder
              ? {
                  code: 'InstanceBusy',
                  message: `<@${holder.userId}>'s ${holder.kind} \`${holder.requestId}\` is working on it`,
                }
              : undefined,
          };
        }),
      );
      patchDetail(id, {
        auditId: backupCheck.auditId,
        unmatched: resolved.unmatched,
        waveCount: waveCount(spec.wave, Math.max(1, instanceIds.length)),
        peakInFlight: 0,
      });
      requests.setStep(id, 'announce', clock.now(), clock.now());
    })();
  }

  const announce = createAnnounceStep<ScheduleRunView>({
    repos,
    notifier: deps.notifier,
    clock,
    logger,
    load: (id) => {
      const found = view(id);
      if (!found) throw new Error(`schedule run ${id} vanished`);
      return found;
    },
    retryMs: settings.pollIntervalMs,
    next: () => 'waves',
  });

  /**
   * After a cancel (pipeline/cancel.ts): the instances still queued are skipped, and the cancel is passed on to the
   * child backups not yet ended, which skip, at their next step, the instances whose backup they have not sent.
   */
  function passOnCancel(id: string): void {
    const cancelled = load(id).cancelled;
    if (!cancelled) return;
    repos.db.transaction(() => {
      runs.skipQueued(id, CANCELLED, 'the run was cancelled before this instance was backed up');
      for (const child of runs.openChildren(id)) requests.cancel(child, cancelled.userId, clock.now());
    })();
  }

  /** Fills the freed slots of the wave with child backups; on to prune when nothing is queued or in flight. */
  async function waves(id: string): Promise<void> {
    passOnCancel(id);
    const run = load(id);
    const { spec } = run.detail;
    const wave = run.detail.waveCount ?? 1;
    const now = clock.now();
    repos.db.transaction(() => {
      const inFlight = runs.inFlight(id);
      const free = wave - inFlight;
      if (free <= 0) return;
      const next = runs.nextQueued(id, free);
      if (next.length === 0) return;
      // A person's request may have taken an instance since the run resolved: skipped and reported, never doubled.
      const held = new Map(requests.openHoldersOf(next).map((holder) => [holder.instanceId, holder]));
      const send: string[] = [];
      for (const instanceId of next) {
        const holder = held.get(instanceId);
        if (!holder) {
          send.push(instanceId);
          continue;
        }
        runs.markSkipped(
          id,
          instanceId,
          'InstanceBusy',
          `<@${holder.userId}>'s ${holder.kind} \`${holder.requestId}\` is working on it`,
        );
      }
      if (send.length === 0) return;
      for (const instanceIds of chunk(send, settings.maxInstancesPerCall)) {
        const childSpec: BackupSpec = {
          instanceIds,
          apps: spec.apps,
          backupPath: spec.backupPath,
          uploadEndpoint: spec.uploadEndpoint ?? settings.defaultUploadEndpoint,
          description: `scheduled ${run.detail.scheduleName}`,
          stopBeforeBackup: true,
          startAfterBackup: true,
        };
        const child = repos.backups.create({
          id: `req-${randomUUID().replace(/-/g, '').slice(0, 12)}`,
          idempotencyKey: childBackupKey(id, runs.childCount(id) + 1),
          actor: run.owner,
          channelId: run.channelId,
          spec: childSpec,
          simulated: run.simulated,
          now,
          quiet: true,
        });
        runs.markSent(id, instanceIds, child.id);
      }
      const peak = Math.max(run.detail.peakInFlight ?? 0, inFlight + send.length);
      if (peak !== run.detail.peakInFlight) patchDetail(id, { peakInFlight: peak });
    })();
    if (runs.queuedCount(id) === 0 && runs.inFlight(id) === 0) {
      return requests.setStep(id, 'prune', clock.now(), clock.now());
    }
    // A child backup's end wakes the run (childEnded); this is only a safety net.
    requests.wakeAt(id, clock.now() + settings.maxPollIntervalMs, clock.now());
  }

  function endStatus(id: string): RunStatus {
    const counts = runs.counts(id);
    if (load(id).cancelled) return 'cancelled';
    const prune = load(id).detail.prune;
    const pruneFailed = prune?.deleteId !== undefined && prune.status !== undefined && prune.status !== 'deleted';
    if (counts.failed > 0) return counts.succeeded > 0 ? 'partial' : 'failed';
    return pruneFailed ? 'partial' : 'succeeded';
  }

  async function prune(id: string): Promise<void> {
    const run = load(id);
    const { spec } = run.detail;
    const recorded = run.detail.prune;
    if (recorded?.deleteId) {
      const deletion = repos.deletions.get(recorded.deleteId);
      // Cancelled while it prunes: the deletion is cancelled too (it deletes nothing if it was not sent yet).
      if (run.cancelled && deletion && deletion.finishedAt === undefined) {
        requests.cancel(recorded.deleteId, run.cancelled.userId, clock.now());
      }
      if (deletion && deletion.finishedAt === undefined) {
        return void requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
      }
      patchDetail(id, {
        prune: {
          ...recorded,
          status: deletion?.status ?? 'unknown',
          errorCode: deletion?.errorCode,
          errorMessage: deletion?.errorMessage,
        },
      });
      return finish(id, endStatus(id));
    }
    // A cancelled run keeps every backup: retention is for a run that went as planned.
    if (!hasRetention(spec) || recorded || run.cancelled) return finish(id, endStatus(id));
    const now = clock.now();
    const plan = retentionPlanFor(repos, run.detail.scheduleId, spec.retention, now);
    if (plan.delete.length === 0) {
      patchDetail(id, { prune: { deleteId: undefined, files: [] } });
      return finish(id, endStatus(id));
    }
    const deleteId = `del-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    repos.db.transaction(() => {
      repos.deletions.createPlan({
        id: deleteId,
        planKey: `schedule-prune:${id}`,
        actor: run.owner,
        channelId: run.channelId,
        files: plan.delete.map((file) => ({
          backupFileId: file.backupFileId,
          sourceInstanceId: file.instanceId,
          path: spec.backupPath,
          apps: spec.apps,
          status: 'AVAILABLE',
        })),
        simulated: run.simulated,
        now,
      });
      repos.deletions.confirm(deleteId, now, 'send');
      runs.recordPrunes({ scheduleId: run.detail.scheduleId, runId: id, deleteId, now }, plan.delete);
      // The pruning's own audit entry; the deletion records its outcome on it when it settles.
      audit.recordDecision({
        actor: run.owner,
        channelId: run.channelId,
        action: 'delete',
        params: {
          step: 'schedule prune',
          runId: id,
          scheduleId: run.detail.scheduleId,
          backupFileIds: plan.delete.map((file) => file.backupFileId),
        },
        decision: { allowed: true, rule: `schedule ${run.detail.scheduleName} retention` },
        requestId: deleteId,
      });
      patchDetail(id, { prune: { deleteId, files: plan.delete } });
    })();
    requests.wakeAt(id, clock.now() + settings.pollIntervalMs, clock.now());
  }

  const steps: KindSteps<ScheduleRunView> = {
    steps: { resolve, announce, waves, prune },
    view,
    notifier: deps.notifier,
    digest: (v) =>
      `${v.status}|${v.step}|${v.counts.queued},${v.counts.inFlight},${v.counts.succeeded},${v.counts.failed},${v.counts.skipped}`,
    progressThrottleMs: settings.progressUpdateMs,
  };
  return kindSteps(steps);
}

/** A child backup or retention deletion ended: its run fills the freed slots (or goes on) at once. */
export function wakeRunOf(repos: Repositories, clock: Clock, childId: string): void {
  const runId = repos.scheduleRuns.runOfChild(childId);
  if (runId) repos.requests.wakeAt(runId, clock.now(), clock.now());
}

/**
 * Cancel for a scheduled run: it needs the backup permission for the run's instances, as a manual backup of them
 * would. Instances not yet in a wave are skipped; the wave under way is cancelled like a backup.
 */
export function scheduleRunCancelTerms(repos: Repositories): CancelTerms {
  return {
    access(id) {
      if (!repos.scheduleRuns.get(id)) return undefined;
      const instanceIds = repos.scheduleRuns.instances(id).map((i) => i.instanceId);
      // Not resolved yet (or it matched nothing): no instances to check a person against, so no one may cancel it.
      return instanceIds.length > 0 ? { action: 'backup', instanceIds } : undefined;
    },
    tally(id) {
      const counts = repos.scheduleRuns.counts(id);
      return { notSent: counts.queued, inCloud: counts.inFlight };
    },
  };
}
