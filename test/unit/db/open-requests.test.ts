import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../src/db/index.js';
import type { BackupSpec } from '../../../src/services/backup/model.js';
import { checkAdmission } from '../../../src/services/pipeline/admission.js';
import type { RestoreSource } from '../../../src/services/restore/model.js';

const alex = { userId: 'U1', teamId: 'T1' };
const sam = { userId: 'U2', teamId: 'T1' };
const spec = (instanceIds: string[]): BackupSpec => ({
  instanceIds,
  apps: ['com.example.app'],
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  backupPath: 'oss://cloudphone-saved-bucket-x/dir/',
  stopBeforeBackup: true,
  startAfterBackup: true,
});
const backup: RestoreSource = {
  backupFileId: 'bf-1',
  path: 'oss://cloudphone-saved-bucket-x/b/acp-src_1.ab',
  status: 'AVAILABLE',
  apps: ['com.example.app'],
  facts: { imageVersion: '1', imageKind: 'public', serverType: 'gx7', instanceType: 'small' },
  factsOrigin: 'recorded',
};

describe('open requests: who holds an instance, how many a person has open', () => {
  let db: Db;
  let repos: Repositories;
  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
  });
  afterEach(() => db.close());

  const backUp = (id: string, actor: typeof alex, instanceIds: string[], now = 1000) =>
    repos.backups.create({
      id,
      idempotencyKey: id,
      actor,
      channelId: 'C1',
      spec: spec(instanceIds),
      simulated: false,
      now,
    });

  function planRestore(id: string, actor: typeof alex) {
    repos.restores.createPlan({
      id,
      planKey: id,
      actor,
      channelId: 'C1',
      backup,
      targets: [
        { instanceId: 'acp-r1', verdict: 'ready', facts: { status: 'RUNNING' } },
        { instanceId: 'acp-r2', verdict: 'refused', errorCode: 'ImageVersionMismatch', errorMessage: 'differs' },
      ],
      simulated: false,
      now: 2000,
    });
  }
  const confirmRestore = (id: string) =>
    repos.restores.confirm(id, {
      confirmKey: `c-${id}`,
      startStopped: false,
      targets: [
        { instanceId: 'acp-r1', patch: { state: 'pending' } },
        { instanceId: 'acp-r2', patch: { state: 'skipped' } },
      ],
      now: 3000,
    });

  it('names the open backup holding an instance, and only the instances asked about', () => {
    backUp('req-1', alex, ['acp-a', 'acp-b']);
    expect(repos.requests.openHoldersOf(['acp-b', 'acp-z'])).toEqual([
      { instanceId: 'acp-b', requestId: 'req-1', kind: 'backup', userId: 'U1' },
    ]);
    expect(repos.requests.openHoldersOf(['acp-z'])).toEqual([]);
    expect(repos.requests.openHoldersOf([])).toEqual([]);
  });

  it('lets go of an instance once its request has finished (its reply may still be unposted)', () => {
    backUp('req-1', alex, ['acp-a']);
    repos.requests.finish('req-1', 'succeeded', 5000);
    expect(repos.requests.row('req-1')?.step).toBe('report');
    expect(repos.requests.openHoldersOf(['acp-a'])).toEqual([]);
    expect(repos.requests.openCountOf('U1')).toBe(0);
  });

  it('a restore plan holds nothing until confirmed; then its included targets are held, its skipped ones not', () => {
    planRestore('req-r', sam);
    expect(repos.requests.openHoldersOf(['acp-r1', 'acp-r2'])).toEqual([]);
    expect(repos.requests.openCountOf('U2')).toBe(0);
    expect(confirmRestore('req-r')).toBe(true);
    expect(repos.requests.openHoldersOf(['acp-r1', 'acp-r2'])).toEqual([
      { instanceId: 'acp-r1', requestId: 'req-r', kind: 'restore', userId: 'U2' },
    ]);
    expect(repos.requests.openCountOf('U2')).toBe(1);
  });

  it("counts one person's open backups and restores, not other people's", () => {
    backUp('req-1', alex, ['acp-a']);
    backUp('req-2', alex, ['acp-b']);
    backUp('req-3', sam, ['acp-c']);
    expect(repos.requests.openCountOf('U1')).toBe(2);
    expect(repos.requests.openCountOf('U2')).toBe(1);
    expect(repos.requests.openCountOf('U3')).toBe(0);
  });

  it('admission: a busy instance is refused naming its oldest holder; then the per-person cap', () => {
    backUp('req-1', sam, ['acp-a', 'acp-b'], 1000);
    backUp('req-2', sam, ['acp-c'], 2000);
    const busy = checkAdmission(repos.requests, {
      userId: 'U1',
      instanceIds: ['acp-x', 'acp-b', 'acp-a'],
      maxOpenPerPerson: 5,
    });
    expect(busy).toEqual({
      reason: 'instance-busy',
      holder: { instanceId: 'acp-a', requestId: 'req-1', kind: 'backup', userId: 'U2' },
      otherBusy: 1,
    });
    expect(checkAdmission(repos.requests, { userId: 'U1', instanceIds: ['acp-x'], maxOpenPerPerson: 5 })).toBe(
      undefined,
    );
    expect(checkAdmission(repos.requests, { userId: 'U2', instanceIds: ['acp-x'], maxOpenPerPerson: 2 })).toEqual({
      reason: 'too-many-open',
      open: 2,
      limit: 2,
    });
    repos.requests.finish('req-2', 'succeeded', 3000);
    expect(checkAdmission(repos.requests, { userId: 'U2', instanceIds: ['acp-x'], maxOpenPerPerson: 2 })).toBe(
      undefined,
    );
  });
});
