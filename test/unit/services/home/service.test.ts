import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../../src/db/index.js';
import type { BackupSpec } from '../../../../src/services/backup/model.js';
import type { InstanceSummary } from '../../../../src/services/fleet/instance-directory.js';
import { createHomeService, type HomeService } from '../../../../src/services/home/service.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-05T12:00:00Z');
const actor = { userId: 'U1', teamId: 'T1' };

function fleet(n: number): InstanceSummary[] {
  return Array.from({ length: n }, (_, i) => ({ instanceId: `acp-${i}`, name: `phone-${i}`, status: 'RUNNING' }));
}

const spec = (instanceIds: string[]): BackupSpec => ({
  instanceIds,
  apps: ['com.example.app'],
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  backupPath: 'oss://cloudphone-saved-bucket-x/dir/',
  stopBeforeBackup: false,
  startAfterBackup: false,
});

describe('the Home service’s shared backup ages', () => {
  let db: Db;
  let repos: Repositories;
  let now: number;
  let listing: InstanceSummary[];
  let newestReads: number;
  let home: HomeService;

  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
    now = NOW;
    listing = fleet(4);
    newestReads = 0;
    home = createHomeService({
      queries: {
        ...repos.home,
        newestGoodBackups: (deleted) => {
          newestReads += 1;
          return repos.home.newestGoodBackups(deleted);
        },
      },
      deletedFileIds: () => repos.deletions.deletedFileIds(),
      instancesInScope: async () => ({ instances: listing, listed: true }),
      clock: { now: () => now },
      staleAfterDays: 7,
    });
  });
  afterEach(() => db.close());

  /** A backup of `instanceIds` created at `at`, each succeeded with file `f-<id>`, finished at `at`. */
  function backedUp(id: string, instanceIds: string[], at: number): void {
    repos.backups.create({
      id,
      idempotencyKey: id,
      actor,
      channelId: 'C1',
      spec: spec(instanceIds),
      simulated: false,
      now: at,
    });
    for (const instanceId of instanceIds) {
      repos.backups.updateInstance(id, instanceId, { state: 'succeeded', backupFileId: `f-${instanceId}` });
    }
    repos.requests.finish(id, 'succeeded', at);
  }

  const ids = (list: readonly { instanceId: string }[]) => list.map((i) => i.instanceId);

  it('reads the newest good backups once for many Homes, opened at once or one after another', async () => {
    backedUp('req-1', ['acp-0', 'acp-2'], NOW - DAY);
    await Promise.all(Array.from({ length: 20 }, () => home.overview(actor, 'D1')));
    await home.overview({ userId: 'U2', teamId: 'T1' }, 'D2');
    expect(newestReads).toBe(1);
    const overview = await home.overview(actor, 'D1');
    expect(ids(overview.instances.fresh)).toEqual(['acp-0', 'acp-2']);
    expect(ids(overview.instances.stale)).toEqual(['acp-1', 'acp-3']);
  });

  it('shows a backup that finishes at the next open', async () => {
    expect((await home.overview(actor, 'D1')).instances.fresh).toEqual([]);
    backedUp('req-1', ['acp-1'], NOW - DAY);
    const after = await home.overview(actor, 'D1');
    expect(ids(after.instances.fresh)).toEqual(['acp-1']);
    expect(after.instances.staleCount).toBe(3);
    expect(after.instances.fresh[0]?.lastGoodBackupAt).toEqual(new Date(NOW - DAY));
  });

  it('counts an instance that succeeds in a request still running, then its finish time when the request ends', async () => {
    repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'k',
      actor,
      channelId: 'C1',
      spec: spec(['acp-3']),
      simulated: false,
      now: NOW - 9 * DAY,
    });
    await home.overview(actor, 'D1');
    repos.backups.updateInstance('req-1', 'acp-3', { state: 'succeeded', backupFileId: 'f-3' });
    const running = await home.overview(actor, 'D1');
    expect(running.instances.stale.find((i) => i.instanceId === 'acp-3')?.lastGoodBackupAt).toEqual(
      new Date(NOW - 9 * DAY),
    );
    repos.requests.finish('req-1', 'succeeded', NOW - DAY);
    expect(ids((await home.overview(actor, 'D1')).instances.fresh)).toEqual(['acp-3']);
  });

  it('drops a backup whose file the bot deleted', async () => {
    backedUp('req-1', ['acp-0'], NOW - DAY);
    expect(ids((await home.overview(actor, 'D1')).instances.fresh)).toEqual(['acp-0']);
    repos.requests.create({
      id: 'del-1',
      kind: 'delete',
      idempotencyKey: 'del-1',
      actor,
      channelId: 'C1',
      detail: { files: [{ backupFileId: 'f-acp-0' }] },
      status: 'running',
      step: 'delete',
      simulated: false,
      now: NOW,
    });
    repos.requests.setStatus('del-1', 'deleted', NOW);
    const after = await home.overview(actor, 'D1');
    expect(after.instances.fresh).toEqual([]);
    expect(after.instances.neverCount).toBe(4);
  });

  it('builds the ages again for a refreshed listing', async () => {
    backedUp('req-1', ['acp-0'], NOW - DAY);
    expect((await home.overview(actor, 'D1')).instances.total).toBe(4);
    listing = [...fleet(5)].map((i) => (i.instanceId === 'acp-0' ? { ...i, name: 'renamed' } : i));
    const after = await home.overview(actor, 'D1');
    expect(after.instances.total).toBe(5);
    expect(after.instances.fresh[0]?.name).toBe('renamed');
    expect(newestReads).toBe(1);
  });

  it('judges staleness at the time of each open, not when the ages were built', async () => {
    backedUp('req-1', ['acp-0'], NOW - 6 * DAY);
    expect(ids((await home.overview(actor, 'D1')).instances.fresh)).toEqual(['acp-0']);
    now = NOW + 2 * DAY;
    const later = await home.overview(actor, 'D1');
    expect(later.instances.fresh).toEqual([]);
    expect(later.instances.staleCount).toBe(4);
    expect(ids(later.instances.stale)).toEqual(['acp-1', 'acp-2', 'acp-3', 'acp-0']);
    expect(newestReads).toBe(1);
  });

  it('answers one person’s concurrent opens with one build', async () => {
    let scopes = 0;
    const service = createHomeService({
      queries: repos.home,
      deletedFileIds: () => [],
      instancesInScope: async () => {
        scopes += 1;
        return { instances: listing, listed: true };
      },
      clock: { now: () => now },
      staleAfterDays: 7,
    });
    const [a, b] = await Promise.all([service.overview(actor, 'D1'), service.overview(actor, 'D1')]);
    expect(a).toBe(b);
    await service.overview({ userId: 'U2', teamId: 'T1' }, 'D2');
    await service.overview(actor, 'D1');
    expect(scopes).toBe(3);
  });
});
