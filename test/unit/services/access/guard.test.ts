import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/db/database.js';
import { createRepositories } from '../../../../src/db/index.js';
import { withAnswerDeadline } from '../../../../src/services/access/answer-deadline.js';
import { createAuditTrail } from '../../../../src/services/access/audit.js';
import { createAccessGuard } from '../../../../src/services/access/guard.js';
import type { AccessDecision, PermissionService } from '../../../../src/services/access/permissions.js';

const ALICE = { userId: 'U0ALICE', teamId: 'T1' };

/** Permissions that allow everything, answering when `release` is called (as a slow Slack lookup would). */
function slowAllow() {
  let release: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => {
    release = resolve;
  });
  const permissions: PermissionService = {
    async check(): Promise<AccessDecision> {
      await answered;
      return { allowed: true, rule: 'role:support' };
    },
    scope: async () => ({ instancePatterns: [], unrestricted: false, locations: [], endpoints: [], roles: [] }),
    visible: async (_actor, _action, _channel, items) => items.map(() => true),
  };
  return { permissions, release: () => release() };
}

function guardWith(permissions: PermissionService) {
  const repos = createRepositories(openDatabase(join(mkdtempSync(join(tmpdir(), 'guard-')), 'bot.db')));
  const audit = createAuditTrail({ repo: repos.audit, clock: { now: () => Date.now() } });
  return { guard: createAccessGuard({ permissions, audit }), audit };
}

describe('the access guard and the answer deadline', () => {
  it('withdraws an allowance that arrives after the deadline, saying nothing was started, and records the denial', async () => {
    const slow = slowAllow();
    const { guard, audit } = guardWith(slow.permissions);
    const request = { actor: ALICE, action: 'backup' as const, channelId: 'C1' };
    // The deadline has passed by the time the (slow) answer arrives.
    const checked = withAnswerDeadline(Date.now() - 1, () => guard.check(request));
    slow.release();
    const { decision } = await checked;
    expect(decision).toMatchObject({ allowed: false, rule: 'role:support' });
    expect(decision.allowed ? '' : decision.reason).toMatch(/longer than Slack waits.*nothing was started.*try again/);
    expect(audit.recent({})[0]).toMatchObject({ decision: 'denied' });
  });

  it('lets an allowance in time, and any allowance outside a Slack request, through', async () => {
    const quick = slowAllow();
    quick.release();
    const { guard } = guardWith(quick.permissions);
    const request = { actor: ALICE, action: 'backup' as const, channelId: 'C1' };
    const inTime = await withAnswerDeadline(Date.now() + 60_000, () => guard.check(request));
    expect(inTime.decision.allowed).toBe(true);
    expect((await guard.check(request)).decision.allowed).toBe(true);
  });
});
