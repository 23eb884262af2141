import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../src/db/index.js';
import { migrate } from '../../../src/db/migrate.js';
import type { BackupSpec } from '../../../src/services/backup/model.js';

const spec: BackupSpec = {
  instanceIds: ['acp-a', 'acp-b'],
  apps: ['com.example.app'],
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  backupPath: 'oss://cloudphone-saved-bucket-x/dir/',
  stopBeforeBackup: true,
  startAfterBackup: true,
};
const actor = { userId: 'U1', teamId: 'T1' };

describe('repositories on a real SQLite database', () => {
  let db: Db;
  let repos: Repositories;
  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
  });
  afterEach(() => db.close());

  it('runs migrations once; running them again changes nothing', () => {
    const before = db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get();
    migrate(db);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual(before);
  });

  it('records a request with its instances, and the same idempotency key yields the same request', () => {
    const first = repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'view:V1',
      actor,
      channelId: 'C1',
      spec,
      simulated: false,
      now: 1000,
    });
    const again = repos.backups.create({
      id: 'req-2',
      idempotencyKey: 'view:V1',
      actor,
      channelId: 'C1',
      spec,
      simulated: false,
      now: 2000,
    });
    expect(first).toEqual({ id: 'req-1', created: true });
    expect(again).toEqual({ id: 'req-1', created: false });
    const record = repos.backups.get('req-1');
    expect(record?.instances.map((i) => [i.instanceId, i.state])).toEqual([
      ['acp-a', 'pending'],
      ['acp-b', 'pending'],
    ]);
    expect(record?.spec).toEqual(spec);
    expect(record?.step).toBe('announce');
    expect(repos.backups.get('req-2')).toBeUndefined();
  });

  it('stores SQL-looking text verbatim', () => {
    const hostile = { ...spec, description: "x'); DROP TABLE backup_requests; --" };
    repos.backups.create({
      id: 'req-h',
      idempotencyKey: 'k',
      actor,
      channelId: 'C1',
      spec: hostile,
      simulated: false,
      now: 1,
    });
    expect(repos.backups.get('req-h')?.spec.description).toBe(hostile.description);
  });

  it('patches instance fields, including booleans and restart outcomes', () => {
    repos.backups.create({ id: 'req-1', idempotencyKey: 'k', actor, channelId: 'C1', spec, simulated: true, now: 1 });
    repos.backups.updateInstance('req-1', 'acp-a', {
      state: 'submitted',
      taskId: 't-1',
      stoppedByBot: true,
      restart: { ok: true },
    });
    const a = repos.backups.get('req-1')?.instances[0];
    expect(a).toMatchObject({ state: 'submitted', taskId: 't-1', stoppedByBot: true, restart: { ok: true } });
  });

  it('lists due requests by next run time, knows the next wake after now, and hides finished ones', () => {
    repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'k1',
      actor,
      channelId: 'C1',
      spec,
      simulated: false,
      now: 100,
    });
    repos.backups.create({
      id: 'req-2',
      idempotencyKey: 'k2',
      actor,
      channelId: 'C1',
      spec,
      simulated: false,
      now: 200,
    });
    expect(repos.requests.dueIds(150, 10)).toEqual(['req-1']);
    expect(repos.requests.nextWakeAfter(150)).toBe(200);
    repos.requests.setStep('req-1', 'done', 500, 300);
    expect(repos.requests.dueIds(1_000, 10)).toEqual(['req-2']);
    expect(repos.requests.nextWakeAfter(200)).toBeUndefined();
  });

  it('lists due requests that are past their announcement before the ones still to announce', () => {
    for (const [index, id] of ['req-a', 'req-b', 'req-c'].entries()) {
      repos.backups.create({
        id,
        idempotencyKey: id,
        actor,
        channelId: 'C1',
        spec,
        simulated: false,
        now: 100 + index,
      });
    }
    // req-c was due last but its backup is already being tracked: it goes before the two still to announce.
    repos.requests.setStep('req-c', 'track', 150, 150);
    expect(repos.requests.dueIds(1_000, 10)).toEqual(['req-c', 'req-a', 'req-b']);
    expect(repos.requests.dueIds(1_000, 1)).toEqual(['req-c']);
  });

  it('tracks tasks: due ones first, soonest free riders, finished ones drop out', () => {
    repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'k1',
      actor,
      channelId: 'C1',
      spec,
      simulated: false,
      now: 0,
    });
    repos.tasks.add({ taskId: 't-1', requestId: 'req-1', instanceId: 'acp-a' }, 100, 0);
    repos.tasks.add({ taskId: 't-2', requestId: 'req-1', instanceId: 'acp-b' }, 500, 0);
    expect(repos.tasks.due(200, 10).map((t) => t.taskId)).toEqual(['t-1']);
    expect(repos.tasks.soonestNotDue(200, 10).map((t) => t.taskId)).toEqual(['t-2']);
    repos.tasks.markFinished('t-1', 'Finished', 300);
    expect(repos.tasks.openCount('req-1')).toBe(1);
    expect(repos.tasks.nextPollAt()).toBe(500);
  });

  it('keeps one completion entry in the outbox per request, however often it finishes', () => {
    repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'k1',
      actor,
      channelId: 'C1',
      spec,
      simulated: false,
      now: 0,
    });
    repos.requests.finish('req-1', 'succeeded', 0);
    repos.requests.finish('req-1', 'succeeded', 5);
    expect(repos.outbox.pendingCount()).toBe(1);
  });
});
