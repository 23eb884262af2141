/**
 * The entry point for backups from any surface (modal, inline command): permission check, then a durable record,
 * then the engine takes over. Never calls the cloud itself, so it is safe to run before Slack's 3-second deadline.
 */
import { randomBytes } from 'node:crypto';
import type { Repositories } from '../db/index.js';
import type { AccessGuard, GuardResult } from './access.js';
import type { AuditTrail } from './audit.js';
import type { Engine } from './engine.js';
import type { Actor, BackupSpec, Origin } from './model.js';
import type { Clock } from './ports.js';

export function newRequestId(): string {
  return `req-${randomBytes(6).toString('hex')}`;
}

export function createBackupService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  engine: Pick<Engine, 'kick'>;
  clock: Clock;
  simulated: boolean;
}) {
  const { repos, guard, audit, engine, clock } = deps;
  return {
    /** May this person back up these instances to this place, from this channel? Recorded in the audit log. */
    authorize(actor: Actor, spec: BackupSpec, channelId: string): Promise<GuardResult> {
      return guard.check(
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
     * Records the request (once per idempotency key: a doubly delivered submission starts one backup) and wakes the
     * engine. Call only after `authorize` allowed it.
     */
    submit(input: { spec: BackupSpec; actor: Actor; origin: Origin; idempotencyKey: string; auditId: number }): {
      requestId: string;
      created: boolean;
    } {
      // One commit for the request and its audit link: this runs while Slack waits for the ack.
      const { id, created } = repos.db.transaction(() => {
        const recorded = repos.requests.create({
          id: newRequestId(),
          idempotencyKey: input.idempotencyKey,
          actor: input.actor,
          channelId: input.origin.channelId,
          spec: input.spec,
          simulated: deps.simulated,
          now: clock.now(),
        });
        audit.linkRequest(input.auditId, recorded.id);
        return recorded;
      })();
      if (created) engine.kick();
      return { requestId: id, created };
    },

    get(requestId: string) {
      return repos.requests.get(requestId);
    },
  };
}

export type BackupService = ReturnType<typeof createBackupService>;
