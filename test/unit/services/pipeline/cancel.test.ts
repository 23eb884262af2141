/**
 * The one Cancel of the pipeline on a real SQLite database with the real guard and audit trail: who may cancel, what
 * is counted, that only an unfinished request can be cancelled and only once, and that a kind without cancel terms
 * refuses. What each kind then skips is exercised end to end (backup, restore and approvals e2e tests).
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cancelAnswer } from '../../../../src/blocks/cancel-messages.js';
import { migrations } from '../../../../src/db/migrations/index.js';
import { createAuditTrail } from '../../../../src/services/access/audit.js';
import { createAccessGuard } from '../../../../src/services/access/guard.js';
import { createAdminListPermissions } from '../../../../src/services/access/permissions.js';
import { backupCancelTerms } from '../../../../src/services/backup/steps.js';
import { createCanceller } from '../../../../src/services/pipeline/cancel.js';
import { useMemoryDatabase } from '../../../support/memory-db.js';

const ADMIN = { userId: 'U0ADMIN', teamId: 'T1' };
const OTHER = { userId: 'U0OTHER', teamId: 'T1' };
const SECOND_ADMIN = { userId: 'U0ADMIN2', teamId: 'T1' };
const spec = {
  instanceIds: ['acp-a', 'acp-b', 'acp-c'],
  apps: ['com.example.app'],
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  backupPath: 'oss://bucket-x/dir/',
  stopBeforeBackup: true,
  startAfterBackup: true,
};

describe('cancelling a request', () => {
  const memory = useMemoryDatabase();
  const now = 1_000_000;

  function setup() {
    const { repos } = memory;
    const audit = createAuditTrail({ repo: repos.audit, clock: { now: () => now } });
    const guard = createAccessGuard({
      permissions: createAdminListPermissions([ADMIN.userId, SECOND_ADMIN.userId]),
      audit,
    });
    let kicks = 0;
    const canceller = createCanceller({
      repos,
      guard,
      audit,
      runner: { kick: () => void kicks++ },
      clock: { now: () => now },
      terms: { backup: backupCancelTerms(repos) },
    });
    const { id } = repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'k1',
      actor: ADMIN,
      channelId: 'C1',
      spec,
      simulated: true,
      now: now - 5_000,
    });
    return { repos, audit, canceller, id, kicks: () => kicks };
  }

  it('records who cancelled, counts what was sent and what was not, and wakes the request at once', async () => {
    const { repos, canceller, id, kicks, audit } = setup();
    repos.requests.setStep(id, 'stop', now + 60_000, now - 1_000);
    repos.backups.updateInstance(id, 'acp-a', { state: 'submitted', callId: 1, taskId: 't-1' });
    repos.backups.updateInstance(id, 'acp-b', { state: 'stopping' });
    const result = await canceller.cancel({ actor: ADMIN, channelId: 'C1', requestId: id });
    expect(result).toEqual({ ok: true, kind: 'backup', awaitingApproval: false, notSent: 2, inCloud: 1 });
    expect(repos.backups.get(id)?.cancelled).toEqual({ userId: ADMIN.userId, at: now });
    expect(repos.requests.dueIds(now, 10)).toContain(id);
    expect(kicks()).toBe(1);
    expect(audit.recent({})[0]?.outcome).toMatchObject({ status: 'cancelled', requestId: id, notSent: 2, inCloud: 1 });
  });

  it('keeps the first person who cancelled when a second presses Cancel', async () => {
    const { repos, canceller, id } = setup();
    repos.requests.setStep(id, 'stop', now, now);
    await canceller.cancel({ actor: ADMIN, channelId: 'C1', requestId: id });
    const again = await canceller.cancel({ actor: SECOND_ADMIN, channelId: 'C1', requestId: id });
    expect(again).toEqual({ ok: false, reason: 'already-cancelled', by: { userId: ADMIN.userId, at: now } });
    expect(repos.backups.get(id)?.cancelled?.userId).toBe(ADMIN.userId);
  });

  it('refuses someone without the permission the request needed, and records nothing', async () => {
    const { repos, canceller, id } = setup();
    repos.requests.setStep(id, 'stop', now, now);
    const result = await canceller.cancel({ actor: OTHER, channelId: 'C1', requestId: id });
    expect(result).toMatchObject({ ok: false, reason: 'denied' });
    expect(repos.backups.get(id)?.cancelled).toBeUndefined();
  });

  it('refuses a request whose work has ended, a draft, an unknown id, and a kind that has no Cancel', async () => {
    const { repos, canceller, id } = setup();
    repos.requests.finish(id, 'succeeded', now);
    expect(await canceller.cancel({ actor: ADMIN, channelId: 'C1', requestId: id })).toEqual({
      ok: false,
      reason: 'finished',
    });
    expect(repos.backups.get(id)?.cancelled).toBeUndefined();
    expect(await canceller.cancel({ actor: ADMIN, channelId: 'C1', requestId: 'req-none' })).toMatchObject({
      reason: 'not-found',
    });
    repos.requests.create({
      id: 'req-run',
      kind: 'schedule-run',
      idempotencyKey: 'schedule-run:s1:1',
      actor: ADMIN,
      channelId: 'C1',
      detail: {},
      status: 'received',
      step: 'resolve',
      simulated: true,
      now,
    });
    expect(await canceller.cancel({ actor: ADMIN, channelId: 'C1', requestId: 'req-run' })).toMatchObject({
      reason: 'not-cancellable',
    });
  });
});

describe('the answer to the person who pressed Cancel', () => {
  it('says what is skipped and what the cloud already has, in the words of the kind', () => {
    expect(cancelAnswer({ kind: 'backup', awaitingApproval: false, notSent: 2, inCloud: 0 })).toBe(
      '🛑 Cancelled. 2 instances not yet sent will be skipped. Nothing had reached the cloud yet.',
    );
    expect(cancelAnswer({ kind: 'restore', awaitingApproval: false, notSent: 0, inCloud: 3 })).toContain(
      'Every target had already been sent, so nothing is left to skip. 3 restores had already reached the cloud and cannot be called back',
    );
    expect(cancelAnswer({ kind: 'delete', awaitingApproval: true, notSent: 1, inCloud: 0 })).toContain(
      'while it waited for approval: nothing was sent to the cloud',
    );
    // A run cancelled before its first wave has neither: it says so, not that everything had been sent.
    expect(cancelAnswer({ kind: 'schedule-run', awaitingApproval: false, notSent: 0, inCloud: 0 })).toBe(
      '🛑 Cancelled before it had sent anything to the cloud: it stops at its next step.',
    );
  });
});

describe('migration 013', () => {
  it("moves a backup's cancel out of its spec into the request's own columns", () => {
    const db = new Database(':memory:');
    for (const migration of migrations.filter((m) => m.version < 13)) db.exec(migration.sql);
    const insert = db.prepare(`INSERT INTO requests (id, kind, idempotency_key, team_id, user_id, channel_id,
      detail_json, status, step, next_run_at, step_started_at, created_at, updated_at)
      VALUES (?, 'backup', ?, 'T1', 'U1', 'C1', ?, 'running', 'stop', 0, 0, 0, 0)`);
    insert.run('req-c', 'k-c', JSON.stringify({ ...spec, cancel: { userId: 'U0BOB', at: 42 } }));
    insert.run('req-n', 'k-n', JSON.stringify(spec));
    db.exec(migrations.find((m) => m.version === 13)!.sql);
    const rows = db.prepare('SELECT id, cancelled_by, cancelled_at, detail_json FROM requests ORDER BY id').all() as {
      id: string;
      cancelled_by: string | null;
      cancelled_at: number | null;
      detail_json: string;
    }[];
    expect(rows.map((r) => [r.id, r.cancelled_by, r.cancelled_at])).toEqual([
      ['req-c', 'U0BOB', 42],
      ['req-n', null, null],
    ]);
    expect(JSON.parse(rows[0]!.detail_json)).toEqual(spec);
    db.close();
  });
});
