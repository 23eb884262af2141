import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommitBatcher } from '../../../../src/db/commit-batcher.js';
import { openDatabase } from '../../../../src/db/database.js';
import { createRepositories } from '../../../../src/db/index.js';
import { createAuditTrail } from '../../../../src/services/access/audit.js';
import { createAccessGuard } from '../../../../src/services/access/guard.js';
import { createAdminListPermissions } from '../../../../src/services/access/permissions.js';
import type { BackupSpec } from '../../../../src/services/backup/model.js';
import { createBackupService } from '../../../../src/services/backup/service.js';

const ADMIN = { userId: 'U0ADMIN', teamId: 'T1' };
const SPEC: BackupSpec = {
  instanceIds: ['acp-0123456789abcdef0'],
  apps: ['com.tencent.mm'],
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  backupPath: 'oss://cloudphone-saved-bucket-unit/b/',
  stopBeforeBackup: true,
  startAfterBackup: true,
};

function setup() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'backup-service-')), 'bot.db'));
  const repos = createRepositories(db);
  const audit = createAuditTrail({ repo: repos.audit, clock: { now: () => Date.now() } });
  const guard = createAccessGuard({ permissions: createAdminListPermissions([ADMIN.userId]), audit });
  let kicks = 0;
  const backups = createBackupService({
    repos,
    guard,
    audit,
    runner: { kick: () => void kicks++ },
    clock: { now: () => Date.now() },
    simulated: false,
    commits: createCommitBatcher(db),
  });
  const requestCount = () =>
    (db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE kind = 'backup'`).get() as { n: number }).n;
  return { repos, audit, backups, requestCount, kicks: () => kicks };
}

const submitOnce = async (s: ReturnType<typeof setup>, key: string) =>
  s.backups.submit({
    spec: SPEC,
    actor: ADMIN,
    origin: { channelId: 'C1' },
    idempotencyKey: key,
    decision: await s.backups.authorize(ADMIN, SPEC, 'C1'),
  });

describe('backup service', () => {
  it('records the allowed decision with the request it allowed, linked, and wakes the engine', async () => {
    const s = setup();
    const decision = await s.backups.authorize(ADMIN, SPEC, 'C1');
    expect(s.audit.recent({})).toEqual([]); // deciding writes nothing yet
    const { requestId, created } = await s.backups.submit({
      spec: SPEC,
      actor: ADMIN,
      origin: { channelId: 'C1' },
      idempotencyKey: 'view:V1',
      decision,
    });
    expect(created).toBe(true);
    expect(s.audit.recent({}).map((e) => [e.decision, e.requestId])).toEqual([['allowed', requestId]]);
    expect(s.kicks()).toBe(1);
  });

  it('records a repeated submission as a second decision linked to the same single request', async () => {
    const s = setup();
    const first = await submitOnce(s, 'view:V1');
    const again = await submitOnce(s, 'view:V1');
    expect(again).toEqual({ requestId: first.requestId, created: false });
    expect(s.requestCount()).toBe(1);
    expect(s.audit.recent({}).map((e) => e.requestId)).toEqual([first.requestId, first.requestId]);
    expect(s.kicks()).toBe(1);
  });

  it('still records the decision when recording the request fails, and reports the failure', async () => {
    const s = setup();
    const failure = new Error('disk full');
    s.repos.backups.create = () => {
      throw failure;
    };
    await expect(submitOnce(s, 'view:V1')).rejects.toBe(failure);
    expect(s.requestCount()).toBe(0);
    expect(s.audit.recent({}).map((e) => [e.decision, e.requestId])).toEqual([['allowed', undefined]]);
    expect(s.kicks()).toBe(0);
  });

  it('refuses to submit with a denied decision', async () => {
    const s = setup();
    const stranger = { userId: 'U0STRANGER', teamId: 'T1' };
    const decision = await s.backups.authorize(stranger, SPEC, 'C1');
    expect(decision.decision.allowed).toBe(false);
    await expect(
      s.backups.submit({ spec: SPEC, actor: stranger, origin: { channelId: 'C1' }, idempotencyKey: 'k', decision }),
    ).rejects.toThrow(/allowed decision/);
    expect(s.requestCount()).toBe(0);
  });

  it('keeps submissions that arrive together apart in their shared commit', async () => {
    const s = setup();
    const [a, b] = await Promise.all([submitOnce(s, 'view:A'), submitOnce(s, 'view:B')]);
    expect(a.requestId).not.toBe(b.requestId);
    // A repeated key inside the same batch still starts one backup.
    const [c, d] = await Promise.all([submitOnce(s, 'view:C'), submitOnce(s, 'view:C')]);
    expect([c.created, d.created]).toEqual([true, false]);
    expect(d.requestId).toBe(c.requestId);
    expect(s.requestCount()).toBe(3);
    // One piece failing rolls back that piece alone.
    const create = s.repos.backups.create;
    let calls = 0;
    s.repos.backups.create = (input) => {
      calls++;
      if (calls === 1) throw new Error('disk full');
      return create(input);
    };
    const [failed, kept] = await Promise.allSettled([submitOnce(s, 'view:E'), submitOnce(s, 'view:F')]);
    expect(failed.status).toBe('rejected');
    expect(kept.status).toBe('fulfilled');
    expect(s.requestCount()).toBe(4);
  });
});
