import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../src/db/index.js';
import type { RestoreSource } from '../../../src/services/restore/model.js';

const actor = { userId: 'U1', teamId: 'T1' };
const backup: RestoreSource = {
  backupFileId: 'bf-1',
  path: 'oss://cloudphone-saved-bucket-x/b/acp-src_1.ab',
  status: 'AVAILABLE',
  apps: ['com.example.app'],
  facts: { imageVersion: '1', imageKind: 'public', serverType: 'gx7', instanceType: 'small' },
  factsOrigin: 'recorded',
};

function plan(repos: Repositories, planKey = 'view:V1', id = 'req-1') {
  return repos.restores.createPlan({
    id,
    planKey,
    actor,
    channelId: 'C1',
    backup,
    targets: [
      { instanceId: 'acp-a', verdict: 'ready', facts: { status: 'RUNNING' }, overwrites: ['com.example.app'] },
      { instanceId: 'acp-b', verdict: 'refused', errorCode: 'ImageVersionMismatch', errorMessage: 'differs' },
    ],
    simulated: false,
    now: 1000,
  });
}

describe('restore, verification and deletion repositories on a real SQLite database', () => {
  let db: Db;
  let repos: Repositories;
  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
  });
  afterEach(() => db.close());

  it('records a plan once per plan key, as a draft the runner does not see', () => {
    expect(plan(repos)).toEqual({ id: 'req-1', created: true });
    expect(plan(repos, 'view:V1', 'req-2')).toEqual({ id: 'req-1', created: false });
    const record = repos.restores.get('req-1');
    expect(record).toMatchObject({ step: 'draft', status: 'planned', backup });
    expect(record?.targets.map((t) => [t.instanceId, t.verdict, t.state, t.errorCode])).toEqual([
      ['acp-a', 'ready', 'planned', undefined],
      ['acp-b', 'refused', 'planned', 'ImageVersionMismatch'],
    ]);
    expect(record?.targets[0]?.overwrites).toEqual(['com.example.app']);
    expect(repos.requests.dueIds(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect(repos.requests.nextWakeAfter(0)).toBeUndefined();
    expect(repos.restores.recentIds(10)).toEqual([]);
  });

  it('confirms a plan once; the runner then sees it', () => {
    plan(repos);
    const confirm = () =>
      repos.restores.confirm('req-1', {
        confirmKey: 'view:V1',
        startStopped: false,
        targets: [
          { instanceId: 'acp-a', patch: { state: 'pending' } },
          { instanceId: 'acp-b', patch: { state: 'skipped' } },
        ],
        now: 2000,
      });
    expect(confirm()).toBe(true);
    expect(confirm()).toBe(false);
    expect(repos.restores.get('req-1')).toMatchObject({ step: 'announce', status: 'received', confirmedAt: 2000 });
    expect(repos.requests.dueIds(2000, 10)).toEqual(['req-1']);
    expect(repos.requests.nextWakeAfter(1999)).toBe(2000);
    expect(repos.requests.nextWakeAfter(2000)).toBeUndefined();
    expect(repos.restores.latestForInstance('acp-b')).toBe('req-1');
    expect(repos.restores.inFlightForFile('bf-1')).toEqual(['req-1']);
  });

  it('tracks tasks, finishes with the reply queued in the same step, and finds the reply by its message', () => {
    plan(repos);
    repos.tasks.add({ taskId: 't-1', requestId: 'req-1', instanceId: 'acp-a' }, 100, 50);
    expect(repos.tasks.due(100, 10).map((t) => t.taskId)).toEqual(['t-1']);
    repos.tasks.markPolled('t-1', 'Processing', 0, 500);
    expect(repos.tasks.due(100, 10)).toEqual([]);
    expect(repos.tasks.soonestNotDue(100, 10).map((t) => t.status)).toEqual(['Processing']);
    expect(repos.tasks.nextPollAt()).toBe(500);
    repos.tasks.markFinished('t-1', 'Finished', 600);
    expect(repos.tasks.openCount('req-1')).toBe(0);
    expect(repos.tasks.nextPollAt()).toBeUndefined();

    repos.requests.finish('req-1', 'succeeded', 700);
    expect(repos.restores.get('req-1')).toMatchObject({ step: 'report', status: 'succeeded' });
    const entry = repos.outbox.pendingFor('req-1', 'completion');
    expect(entry).toMatchObject({ requestId: 'req-1', attempts: 0 });
    repos.outbox.markSent(entry!.id, { channel: 'C1', ts: '1.2' }, 800);
    expect(repos.restores.requestForMessage('C1', '1.2')).toBe('req-1');
  });

  it('keeps the first verification of a restore and reports the latest per backup', () => {
    plan(repos);
    plan(repos, 'view:V2', 'req-2');
    const first = repos.verifications.add({
      backupFileId: 'bf-1',
      restoreRequestId: 'req-1',
      actor,
      instanceIds: ['acp-a'],
      now: 1000,
    });
    const again = repos.verifications.add({
      backupFileId: 'bf-1',
      restoreRequestId: 'req-1',
      actor: { userId: 'U2', teamId: 'T1' },
      instanceIds: ['acp-a'],
      now: 2000,
    });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, verification: { userId: 'U1' } });
    repos.verifications.add({ backupFileId: 'bf-1', restoreRequestId: 'req-2', actor, instanceIds: [], now: 3000 });
    expect(repos.verifications.latestByFile(['bf-1', 'bf-2']).get('bf-1')?.manual?.restoreRequestId).toBe('req-2');
    expect(repos.verifications.latestByFile(['bf-2']).size).toBe(0);
  });

  it('confirms a deletion once, settles it with its result queued, and knows which files the bot deleted', () => {
    const files = [
      { backupFileId: 'bf-1', apps: [], status: 'AVAILABLE' },
      { backupFileId: 'bf-2', apps: [], status: 'NOT_FOUND', refused: { code: 'BackupNotFound', message: 'gone' } },
    ];
    expect(
      repos.deletions.createPlan({
        id: 'del-1',
        planKey: 'view:V9',
        actor,
        channelId: 'C1',
        files,
        simulated: false,
        now: 1,
      }),
    ).toEqual({ id: 'del-1', created: true });
    expect(repos.requests.dueIds(10, 10)).toEqual([]);
    expect(repos.deletions.confirm('del-1', 2)).toBe(true);
    expect(repos.deletions.confirm('del-1', 3)).toBe(false);
    expect(repos.deletions.get('del-1')).toMatchObject({ step: 'send', status: 'sent', confirmedAt: 2 });
    expect(repos.requests.dueIds(10, 10)).toEqual(['del-1']);
    repos.deletions.settle('del-1', { status: 'deleted', cloudRequestId: 'R-1' }, 4);
    expect(repos.deletions.get('del-1')).toMatchObject({
      step: 'report',
      status: 'deleted',
      cloudRequestId: 'R-1',
      finishedAt: 4,
    });
    expect(repos.outbox.pendingFor('del-1', 'completion')).toBeDefined();
    expect([...repos.deletions.deletedFileIds()]).toEqual(['bf-1']);
  });

  it('reads the backup files the bot made, with the source facts it recorded', () => {
    repos.backups.create({
      id: 'req-b',
      idempotencyKey: 'k',
      actor,
      channelId: 'C1',
      spec: {
        instanceIds: ['acp-src'],
        apps: ['com.example.app'],
        uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
        backupPath: 'oss://cloudphone-saved-bucket-x/b/',
        stopBeforeBackup: true,
        startAfterBackup: true,
      },
      simulated: false,
      now: 5,
    });
    repos.backups.updateInstance('req-b', 'acp-src', {
      state: 'succeeded',
      backupFileId: 'bf-9',
      imageVersion: '3.5.3.867',
      imageKind: 'public',
      serverType: 'cpm.gx7.10xlarge',
      instanceType: 'acp.basic.small',
      taskId: 't-9',
    });
    expect(repos.backupRecords.byBackupFile('bf-9')).toMatchObject({
      requestId: 'req-b',
      userId: 'U1',
      apps: ['com.example.app'],
      facts: { imageVersion: '3.5.3.867', imageKind: 'public' },
    });
    expect(repos.backupRecords.list({ instanceId: 'acp-src' }).map((b) => b.backupFileId)).toEqual(['bf-9']);
    expect(repos.backupRecords.list({ instanceId: 'acp-other' })).toEqual([]);
    expect(repos.backupRecords.latestRequestForInstance('acp-src')).toBe('req-b');
    expect(repos.backupRecords.taskIdsOf('req-b')).toEqual(['t-9']);
  });
});
