/**
 * A fleet in several regions: one simulator per region (one endpoint each), the bot's regional client in front. Calls
 * go to the region that listed the instance, a call over several regions is split, DescribeTasks is batched per region,
 * and a restore across regions is refused with the reason.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegionalCloudPhoneClient, type RegionalCloudPhoneApi } from '../../src/cloud-phone/index.js';
import { openDatabase } from '../../src/db/database.js';
import { createRepositories } from '../../src/db/index.js';
import { CloudApiError } from '../../src/errors.js';
import { type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';
import { createBatch, markProcessing } from '../../src/sandbox/simulator/tasks.js';
import { createTaskPoller } from '../../src/services/pipeline/task-poller.js';

const FAST = { taskWaitMs: 1, taskProcessMs: 1, stopMs: 5, startMs: 5, backupMs: 5, recoverMs: 5, deleteMs: 5 };
const BUCKET = 'oss://cloudphone-saved-bucket-regions/backups/';

let shanghai: Simulator;
let singapore: Simulator;
let client: RegionalCloudPhoneApi;

beforeEach(async () => {
  shanghai = await startSimulator({ timing: FAST, region: 'cn-shanghai' });
  singapore = await startSimulator({
    timing: FAST,
    region: 'ap-southeast-1',
    // Ids differ across regions, as the service's do.
    seed: 'ap-southeast-1',
    credentials: shanghai.credentials[0],
    fleet: [
      { id: 'acp-sg01', name: 'sg-01', status: 'STOPPED', packages: ['com.tencent.mm'] },
      { id: 'acp-sg02', name: 'sg-02', status: 'RUNNING', packages: ['com.tencent.mm'] },
    ],
  });
  client = createRegionalCloudPhoneClient({
    regions: [
      { region: 'cn-shanghai', endpoint: shanghai.url },
      { region: 'ap-southeast-1', endpoint: singapore.url },
    ],
    credentials: { get: async () => shanghai.credentials[0]! },
    retry: { maxAttempts: 1 },
  });
});

afterEach(async () => {
  await client.close();
  await shanghai.close();
  await singapore.close();
});

const actionsAt = (sim: Simulator, action: string) => sim.requests.filter((r) => r.action === action);

async function waitUntil<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a fleet in several regions', () => {
  it('lists every region, each instance with the region that listed it', async () => {
    const instances = await client.describeInstances();
    expect(instances.filter((i) => i.region === 'ap-southeast-1').map((i) => i.instanceId)).toEqual([
      'acp-sg02',
      'acp-sg01',
    ]);
    expect(instances.filter((i) => i.region === 'cn-shanghai')).toHaveLength(8);
    expect(client.regionOf('acp-sg01')).toBe('ap-southeast-1');
  });

  it('splits a backup over two regions into one BackupApp per region, and polls tasks per region', async () => {
    const stoppedInShanghai = (await client.describeInstances({ status: 'STOPPED' })).find(
      (i) => i.region === 'cn-shanghai',
    )!;
    const ids = [stoppedInShanghai.instanceId, 'acp-sg01'];
    const answer = await client.backupApp({
      instanceIds: ids,
      apps: ['com.tencent.mm'],
      backupFilePath: BUCKET,
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
    });
    expect(answer.items.map((item) => item.instanceId).sort()).toEqual([...ids].sort());
    expect(actionsAt(shanghai, 'BackupApp')).toHaveLength(1);
    expect(actionsAt(singapore, 'BackupApp')).toHaveLength(1);

    const taskIds = answer.items.map((item) => item.taskId);
    const before = [actionsAt(shanghai, 'DescribeTasks').length, actionsAt(singapore, 'DescribeTasks').length];
    const tasks = await client.describeTasks({ taskIds });
    expect(tasks.map((t) => t.taskId).sort()).toEqual([...taskIds].sort());
    // One DescribeTasks per region, each asking only for its own tasks.
    expect(actionsAt(shanghai, 'DescribeTasks').length - before[0]!).toBe(1);
    expect(actionsAt(singapore, 'DescribeTasks').length - before[1]!).toBe(1);
    const singaporeTask = answer.items.find((item) => item.instanceId === 'acp-sg01')!.taskId;
    expect(tasks.find((t) => t.taskId === singaporeTask)?.region).toBe('ap-southeast-1');
  });

  it('refuses a restore onto a phone in another region than the backup, saying why', async () => {
    const made = await client.backupApp({
      instanceIds: ['acp-sg01'],
      apps: ['com.tencent.mm'],
      backupFilePath: BUCKET,
      uploadEndpoint: 'oss-ap-southeast-1-internal.aliyuncs.com',
    });
    const fileId = made.items[0]!.backupFileId!;
    const file = await waitUntil(async () =>
      (await client.describeBackupFiles({ backupFileId: fileId })).find((f) => f.status === 'AVAILABLE'),
    );
    expect(file.region).toBe('ap-southeast-1');
    const runningInShanghai = (await client.describeInstances({ status: 'RUNNING' })).find(
      (i) => i.region === 'cn-shanghai',
    )!;
    const refusal = await client
      .recoverApp({
        instanceIds: [runningInShanghai.instanceId],
        backupFileId: fileId,
        backupFilePath: file.backupFilePath!,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refusal).toBeInstanceOf(CloudApiError);
    expect(refusal).toMatchObject({ apiCode: 'CrossRegionRestore' });
    expect((refusal as CloudApiError).apiMessage).toContain(`backup ${fileId} is in ap-southeast-1`);
    expect(actionsAt(shanghai, 'RecoverApp')).toHaveLength(0);
    expect(actionsAt(singapore, 'RecoverApp')).toHaveLength(0);
    // Within the region it goes through.
    const restored = await client.recoverApp({
      instanceIds: ['acp-sg02'],
      backupFileId: fileId,
      backupFilePath: file.backupFilePath!,
    });
    expect(restored.items.map((item) => item.instanceId)).toEqual(['acp-sg02']);
    expect(actionsAt(singapore, 'RecoverApp')).toHaveLength(1);
  });
});

/** `count` stopped phones in `sim` with a BackupApp task each in flight (as BackupApp leaves them); their task ids. */
function backupsInFlight(sim: Simulator, count: number): { instanceId: string; taskId: string }[] {
  const instances = Array.from({ length: count }, () => sim.addInstance({ status: 'STOPPED', packages: ['com.a.b'] }));
  const now = sim.now();
  const { children } = createBatch(sim.state, now, 'BackupFile', sim.state.ids.requestId(), instances, '{}');
  return instances.map((instance) => {
    const task = children.get(instance.id)!;
    markProcessing(sim.state, task, now);
    return { instanceId: instance.id, taskId: task.id };
  });
}

describe('the task poller over several regions', () => {
  it('polls one DescribeTasks per 100 due tasks of a region, however the regions interleave in due order', async () => {
    const inShanghai = backupsInFlight(shanghai, 90);
    const inSingapore = backupsInFlight(singapore, 90);
    // The client learns where each phone lives from a listing, as the bot's instance directory makes one.
    await client.describeInstances();
    const repos = createRepositories(openDatabase(':memory:'));
    const interleaved = inShanghai.flatMap((task, i) => [task, inSingapore[i]!]);
    repos.backups.create({
      id: 'req-1',
      idempotencyKey: 'k1',
      actor: { userId: 'U1', teamId: 'T1' },
      channelId: 'C1',
      spec: {
        instanceIds: interleaved.map((task) => task.instanceId),
        apps: ['com.a.b'],
        uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
        backupPath: BUCKET,
        stopBeforeBackup: false,
        startAfterBackup: false,
      },
      simulated: false,
      now: 0,
    });
    for (const [i, task] of interleaved.entries()) repos.tasks.add({ ...task, requestId: 'req-1' }, 1_000 + i, 0);
    const poller = createTaskPoller({
      repos,
      cloud: client,
      clock: { now: () => 1_000_000 },
      settings: { pollIntervalMs: 5_000, maxPollIntervalMs: 60_000 },
      logger: pino({ level: 'silent' }),
      taskEnded: () => undefined,
    });
    const before = [actionsAt(shanghai, 'DescribeTasks').length, actionsAt(singapore, 'DescribeTasks').length];
    const result = await poller.pollOnce();
    expect(result.polled).toBe(180);
    // Two batches of 100 in due order would have mixed both regions: four calls, two per region.
    expect(actionsAt(shanghai, 'DescribeTasks').length - before[0]!).toBe(1);
    expect(actionsAt(singapore, 'DescribeTasks').length - before[1]!).toBe(1);
    // Every task was found in its region: none counted as missed.
    expect(repos.tasks.get(inSingapore[0]!.taskId)).toMatchObject({ status: 'Processing', misses: 0 });
    expect(repos.tasks.get(inShanghai[89]!.taskId)).toMatchObject({ status: 'Processing', misses: 0 });
  });
});
