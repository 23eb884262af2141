/**
 * "Start it now" on a backup reply that left phones off: checks the person may back up (and so stop and start) those
 * phones, records the decision, and gives each a fresh start through the power keeper.
 */

import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard } from '../access/guard.js';
import type { PowerKeeper } from '../pipeline/power-keeper.js';
import type { Actor } from './model.js';

export type StartNowResult =
  | { ok: false; reason: 'denied'; message: string }
  | { ok: false; reason: 'nothing-left' }
  | { ok: true; running: string[]; starting: string[]; left: { instanceId: string; errorCode: string }[] };

export function createStartNowService(deps: { guard: AccessGuard; audit: AuditTrail; power: PowerKeeper }) {
  return {
    async startLeftPhones(input: { actor: Actor; channelId: string; requestId: string }): Promise<StartNowResult> {
      const ids = deps.power
        .leftStopped()
        .filter((phone) => phone.requestId === input.requestId)
        .map((phone) => phone.instanceId);
      if (ids.length === 0) return { ok: false, reason: 'nothing-left' };
      const { decision, auditId } = await deps.guard.check(
        { actor: input.actor, action: 'backup', channelId: input.channelId, instanceIds: ids },
        { step: 'start it now', backupRequestId: input.requestId, instanceIds: ids },
      );
      if (!decision.allowed) return { ok: false, reason: 'denied', message: decision.reason };
      const outcomes = await deps.power.startNow(ids);
      const result: Extract<StartNowResult, { ok: true }> = { ok: true, running: [], starting: [], left: [] };
      for (const instanceId of ids) {
        const outcome = outcomes.get(instanceId) ?? { state: 'pending' as const, at: 0 };
        if (outcome.state === 'running') result.running.push(instanceId);
        else if (outcome.state === 'left') result.left.push({ instanceId, errorCode: outcome.errorCode });
        else result.starting.push(instanceId);
      }
      deps.audit.recordOutcome(auditId, {
        status: result.left.length > 0 ? 'refused' : 'started',
        instanceIds: ids,
        backupRequestId: input.requestId,
      });
      return result;
    },
  };
}

export type StartNowService = ReturnType<typeof createStartNowService>;
