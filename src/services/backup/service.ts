/**
 * The entry point for backups from any surface (modal, inline command): permission check, then a durable record,
 * then the runner takes over. Never calls the cloud itself, so it is safe to run before Slack's 3-second deadline.
 */

import { randomUUID } from 'node:crypto';
import type { CommitBatcher } from '../../db/commit-batcher.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, PendingDecision } from '../access/guard.js';
import type { AccessDenial } from '../access/permissions.js';
import type { Clock } from '../pipeline/ports.js';
import type { Runner } from '../pipeline/runner.js';
import type { Actor, BackupSpec, Origin } from './model.js';

/**
 * 48 random bits. randomUUID draws from a cached batch of random bytes; randomBytes(6) asked the system every time,
 * about 2% of a modal submission's CPU in the bench.
 */
export function newRequestId(): string {
  const uuid = randomUUID(); // xxxxxxxx-xxxx-4xxx-…: the first 12 hex digits are random
  return `req-${uuid.slice(0, 8)}${uuid.slice(9, 13)}`;
}

export function createBackupService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  runner: Pick<Runner, 'kick'>;
  clock: Clock;
  simulated: boolean;
  /** Group commit for the writes made while Slack waits (see db/commit-batcher.ts). */
  commits: CommitBatcher;
}) {
  const { repos, guard, audit, runner, clock } = deps;
  return {
    /**
     * May this person back up these instances to this place, from this channel? Not yet recorded: pass an allowed
     * decision to `submit`, which records it with the request; record a denial before answering it.
     */
    authorize(actor: Actor, spec: BackupSpec, channelId: string): Promise<PendingDecision> {
      return guard.decide(
        {
          actor,
          action: 'backup',
          channelId,
          instanceIds: spec.instanceIds,
          backupPath: spec.backupPath,
          uploadEndpoint: spec.uploadEndpoint,
        },
        { ...spec },
      );
    },

    /**
     * Records the allowed decision and the request (once per idempotency key: a doubly delivered submission starts
     * one backup) in one commit, and wakes the runner. Resolves once committed.
     */
    async submit(input: {
      spec: BackupSpec;
      actor: Actor;
      origin: Origin;
      idempotencyKey: string;
      decision: PendingDecision;
    }): Promise<{
      requestId: string;
      created: boolean;
    }> {
      if (!input.decision.decision.allowed) throw new Error('submit() needs an allowed decision');
      let recorded: { id: string; created: boolean };
      try {
        // One commit for the decision, the request and their link (shared with the other submissions that arrived
        // with it): this runs while Slack waits for the ack.
        recorded = await deps.commits.run(() => {
          const auditId = input.decision.record();
          const request = repos.backups.create({
            id: newRequestId(),
            idempotencyKey: input.idempotencyKey,
            actor: input.actor,
            channelId: input.origin.channelId,
            spec: input.spec,
            simulated: deps.simulated,
            now: clock.now(),
          });
          audit.linkRequest(auditId, request.id);
          return request;
        });
      } catch (error) {
        // The decision went with the rolled-back request; it is still a decision the log must show.
        try {
          input.decision.record();
        } catch {
          // The database refuses writes: the first error says why.
        }
        throw error;
      }
      if (recorded.created) runner.kick();
      return { requestId: recorded.id, created: recorded.created };
    },

    get(requestId: string) {
      return repos.backups.get(requestId);
    },

    /**
     * What "Retry failed" would ask for: the same backup of the instances that failed, as a new request. Undefined
     * when the request is unknown, unfinished, or nothing in it failed.
     */
    retrySpec(requestId: string): BackupSpec | undefined {
      const request = repos.backups.get(requestId);
      if (request?.step !== 'done') return undefined;
      const failed = request.instances.filter((i) => i.state === 'failed').map((i) => i.instanceId);
      if (failed.length === 0) return undefined;
      const { instanceNames: _names, cancel: _cancel, ...asked } = request.spec;
      return { ...asked, instanceIds: failed };
    },

    /**
     * Cancel: needs the backup permission for the request's instances. Only records the wish and wakes the runner;
     * the workflow skips, at its next step, every instance whose backup it has not sent. A backup the cloud already
     * has cannot be called back: the answer counts those, so the person is told plainly.
     */
    async cancel(input: { actor: Actor; channelId: string; requestId: string }): Promise<CancelResult> {
      const request = repos.backups.get(input.requestId);
      if (!request) return { ok: false, reason: 'not-found' };
      const { decision, auditId } = await guard.check(
        { actor: input.actor, action: 'backup', channelId: input.channelId, instanceIds: request.spec.instanceIds },
        { step: 'cancel', backupRequestId: request.id },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', denial: decision };
      // Read again: the check may have waited, and the runner moves on meanwhile.
      const current = repos.backups.get(input.requestId) ?? request;
      if (current.step === 'done') {
        audit.recordOutcome(auditId, { status: 'refused', reason: 'already finished' });
        return { ok: false, reason: 'finished' };
      }
      const inCloud = current.instances.filter((i) => i.callId !== undefined || i.taskId !== undefined).length;
      const open = current.instances.filter((i) => ['pending', 'stopping'].includes(i.state) && i.callId === undefined);
      if (!current.spec.cancel) {
        const now = clock.now();
        repos.requests.setDetail(current.id, { ...current.spec, cancel: { userId: input.actor.userId, at: now } }, now);
        repos.requests.wakeAt(current.id, now, now);
        runner.kick();
      }
      audit.recordOutcome(auditId, { status: 'cancelled', backupRequestId: current.id, notSent: open.length, inCloud });
      return { ok: true, notSent: open.length, inCloud };
    },
  };
}

export type CancelResult =
  | { ok: true; notSent: number; inCloud: number }
  | { ok: false; reason: 'not-found' | 'finished' }
  | { ok: false; reason: 'denied'; denial: AccessDenial };

export type BackupService = ReturnType<typeof createBackupService>;
