import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, openDatabase } from '../../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../../src/db/index.js';
import type { BackupRequestView } from '../../../../src/services/backup/model.js';
import { backupSteps } from '../../../../src/services/backup/steps.js';
import { createBackupWorkflow, isBackupRunning } from '../../../../src/services/backup/workflow.js';
import type { BackupCloud, RequestNotifier } from '../../../../src/services/pipeline/ports.js';
import { createPowerKeeper } from '../../../../src/services/pipeline/power-keeper.js';
import { createRunner, type Runner } from '../../../../src/services/pipeline/runner.js';
import { createTaskPoller } from '../../../../src/services/pipeline/task-poller.js';
import { allDone, gates, kickAFewTimes, pause, settlesWithin } from '../../../support/work-loop.js';

const logger = pino({ level: 'silent' });
const clock = { now: () => Date.now() };

/** A cloud where instances are stopped and tasks finished; a lookup of an instance in `waits` waits for it. */
function fakeCloud() {
  const waits = new Map<string, Promise<void>>();
  const lookups: string[] = [];
  let tasksHeld: Promise<void> | undefined;
  const cloud: BackupCloud = {
    describeInstances: async ({ instanceIds }) => {
      lookups.push(...instanceIds);
      for (const id of instanceIds) await waits.get(id);
      return instanceIds.map((instanceId) => ({ instanceId, status: 'STOPPED' }));
    },
    stopInstances: async () => ({ requestId: 'R-stop' }),
    startInstances: async () => ({ requestId: 'R-start' }),
    backupApp: async ({ instanceIds }) => ({
      requestId: 'R-backup',
      taskId: 't-batch',
      items: instanceIds.map((instanceId) => ({
        instanceId,
        backupFileId: `bf-${instanceId}`,
        backupFileName: `${instanceId}.ab`,
        taskId: `t-${instanceId}`,
      })),
    }),
    describeTasks: async ({ taskIds = [] }) => {
      await tasksHeld;
      return taskIds.map((taskId) => ({ taskId, status: 'Finished' }));
    },
    describeBackupFiles: async () => [],
    // The phones here run no command: the probe before a backup finds nothing, which must not hold the backup up.
    runSyncCommand: async ({ instanceIds }) =>
      instanceIds.map((instanceId) => ({ instanceId, invocationStatus: 'FAILED', output: '' })),
  };
  return {
    cloud,
    waits,
    lookups,
    holdTasks: (wait: Promise<void>) => {
      tasksHeld = wait;
    },
  };
}

const notifier: RequestNotifier<BackupRequestView> = {
  announce: async () => ({ channel: 'C1', ts: '1.1' }),
  findAnnounced: async () => undefined,
  progress: async () => undefined,
  complete: async () => ({ channel: 'C1', ts: '1.2' }),
};

describe('the runner with backups (fake cloud, real SQLite, real timers)', () => {
  let db: Db;
  let repos: Repositories;
  let engine: Runner | undefined;
  let held: ReturnType<typeof gates>;
  beforeEach(() => {
    held = gates();
    db = openDatabase(':memory:');
    repos = createRepositories(db);
  });
  afterEach(async () => {
    held.openAll();
    await engine?.stop();
    engine = undefined;
    db.close();
  });

  function engineWith(cloud: BackupCloud, idleTickMs: number): Runner {
    const settings = {
      pollIntervalMs: 5,
      maxPollIntervalMs: 20,
      stopTimeoutMs: 10_000,
      taskTimeoutMs: 10_000,
      progressUpdateMs: 0,
      maxInstancesPerCall: 100,
      transientRetryMs: 1_000,
    };
    const power = createPowerKeeper({
      repo: repos.stoppedPhones,
      cloud,
      clock,
      settings: { ...settings, startTimeoutMs: settings.stopTimeoutMs },
      logger,
      isRequestActive: (requestId) => isBackupRunning(repos.requests, requestId),
    });
    const workflow = createBackupWorkflow({ repos, cloud, notifier, clock, settings, logger, power });
    const backup = backupSteps({ repos, workflow, notifier, progressUpdateMs: 0 });
    const poller = createTaskPoller({
      repos,
      cloud,
      clock,
      settings,
      logger,
      taskEnded: (task, outcome) => backup.taskEnded?.(task.requestId, task.instanceId, outcome),
    });
    engine = createRunner({
      repos,
      kinds: { backup },
      poller,
      clock,
      logger,
      settings: { idleTickMs, concurrency: 2 },
    });
    return engine;
  }

  /** One request per instance, `r-<instance>`, due now. */
  function request(instanceId: string): string {
    const id = `r-${instanceId}`;
    repos.backups.create({
      id,
      idempotencyKey: id,
      actor: { userId: 'U1', teamId: 'T1' },
      channelId: 'C1',
      spec: {
        instanceIds: [instanceId],
        apps: ['com.example.app'],
        uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
        backupPath: 'oss://cloudphone-saved-bucket-x/dir/',
        stopBeforeBackup: false,
        startAfterBackup: false,
      },
      simulated: false,
      now: clock.now(),
    });
    return id;
  }

  const stepOf = (id: string) => repos.backups.get(id)?.step;
  const instances = ['acp-1', 'acp-2', 'acp-3', 'acp-4', 'acp-5'];

  it('finishes the other requests while one waits on a slow cloud call (concurrency 2, 5 due)', async () => {
    const { cloud, waits } = fakeCloud();
    const slow = held.hold();
    waits.set('acp-3', slow.wait);
    const ids = instances.map(request);
    engineWith(cloud, 5).start();
    const others = ids.filter((id) => id !== 'r-acp-3');
    await allDone(others, stepOf);
    expect(stepOf('r-acp-3')).toBe('lookup');
    slow.open();
    await allDone(['r-acp-3'], stepOf);
  });

  it('takes more due work as soon as a batch ends, not an idle tick (60 s) later', async () => {
    const { cloud } = fakeCloud();
    const loop = engineWith(cloud, 60_000);
    loop.start();
    // Let the first (empty) round pass, so the loop is asleep for an idle tick when the requests arrive.
    await pause(20);
    const ids = instances.map(request);
    loop.kick();
    await allDone(ids, stepOf);
  });

  it('never advances a request twice at once, and does not spin while its step is in flight', async () => {
    const { cloud, waits, lookups } = fakeCloud();
    const slow = held.hold();
    waits.set('acp-1', slow.wait);
    request('acp-1');
    const dueIds = vi.spyOn(repos.requests, 'dueIds');
    const loop = engineWith(cloud, 60_000);
    loop.start();
    await vi.waitFor(() => expect(lookups).toEqual(['acp-1']));
    await kickAFewTimes(loop);
    expect(lookups).toEqual(['acp-1']);
    // Roughly one look for work per kick; a loop spinning on the in-flight request would look thousands of times.
    expect(dueIds.mock.calls.length).toBeLessThan(20);
    slow.open();
    await allDone(['r-acp-1'], stepOf);
    expect(lookups).toEqual(['acp-1']);
  });

  it('stop() waits for the step in flight, records its outcome and starts nothing new', async () => {
    const { cloud, waits, lookups } = fakeCloud();
    const slow = held.hold();
    waits.set('acp-1', slow.wait);
    request('acp-1');
    const loop = engineWith(cloud, 5);
    loop.start();
    await vi.waitFor(() => expect(lookups).toEqual(['acp-1']));
    const stopping = loop.stop();
    expect(await settlesWithin(stopping, 50)).toBe(false);
    slow.open();
    await stopping;
    // The lookup's answer was recorded (on to submit), and no BackupApp was sent after the stop.
    expect(stepOf('r-acp-1')).toBe('submit');
    expect(repos.calls.list('r-acp-1', 'BackupApp')).toEqual([]);
  });

  it('stop() waits for the task poll in flight and records what it saw', async () => {
    const fake = fakeCloud();
    const slowPoll = held.hold();
    fake.holdTasks(slowPoll.wait);
    const polled = vi.spyOn(fake.cloud, 'describeTasks');
    request('acp-1');
    const loop = engineWith(fake.cloud, 5);
    loop.start();
    await vi.waitFor(() => expect(polled).toHaveBeenCalled(), { timeout: 5_000 });
    const stopping = loop.stop();
    expect(await settlesWithin(stopping, 50)).toBe(false);
    slowPoll.open();
    await stopping;
    expect(repos.tasks.openCount('r-acp-1')).toBe(0);
    expect(repos.backups.get('r-acp-1')?.instances[0]?.state).toBe('succeeded');
  });
});
