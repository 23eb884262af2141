/**
 * The entry point for backups from any surface (modal, inline command): permission check, then a durable record,
 * then the runner takes over. Never calls the cloud itself, so it is safe to run before Slack's 3-second deadline.
 */

import { randomUUID } from 'node:crypto';
import type { CommitBatcher } from '../../db/commit-batcher.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, PendingDecision } from '../access/guard.js';
import { type AdmissionRefusal, checkAdmission } from '../pipeline/admission.js';
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
  /** Backups and restores one person may have open at once. */
  maxOpenPerPerson: number;
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
     * one backup) in one commit, and wakes the runner. Resolves once committed. Refused, and nothing recorded, when
     * an instance is already being worked on or the person has too many requests open (a repeated submission of a
     * recorded request is never refused).
     */
    async submit(input: {
      spec: BackupSpec;
      actor: Actor;
      origin: Origin;
      idempotencyKey: string;
      decision: PendingDecision;
    }): Promise<SubmitResult> {
      if (!input.decision.decision.allowed) throw new Error('submit() needs an allowed decision');
      let recorded: { id: string; created: boolean } | { refusal: AdmissionRefusal };
      try {
        // One commit for the decision, the request and their link (shared with the other submissions that arrived
        // with it): this runs while Slack waits for the ack.
        recorded = await deps.commits.run(() => {
          // A repeated submission of a recorded request is never refused: it joins the request it already made.
          const repeated = repos.requests.idForKey('backup', input.idempotencyKey) !== undefined;
          const refusal = repeated
            ? undefined
            : checkAdmission(repos.requests, {
                userId: input.actor.userId,
                instanceIds: input.spec.instanceIds,
                maxOpenPerPerson: deps.maxOpenPerPerson,
              });
          // Like a typo: a request not made records no decision.
          if (refusal) return { refusal };
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
      if ('refusal' in recorded) return { ok: false, refusal: recorded.refusal };
      if (recorded.created) runner.kick();
      return { ok: true, requestId: recorded.id, created: recorded.created };
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
      const { instanceNames: _names, ...asked } = request.spec;
      return { ...asked, instanceIds: failed };
    },
  };
}

export type SubmitResult = { ok: true; requestId: string; created: boolean } | { ok: false; refusal: AdmissionRefusal };

export type BackupService = ReturnType<typeof createBackupService>;
