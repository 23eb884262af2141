import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, openDatabase } from '../../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../../src/db/index.js';
import { CloudApiError } from '../../../../src/errors.js';
import type { Clock, CloudInstance, CloudTask, RequestNotifier } from '../../../../src/services/pipeline/ports.js';
import { createRunner, type Runner } from '../../../../src/services/pipeline/runner.js';
import { createTaskPoller } from '../../../../src/services/pipeline/task-poller.js';
import type { RestoreRequestView, RestoreSource } from '../../../../src/services/restore/model.js';
import { restoreSteps } from '../../../../src/services/restore/steps.js';
import { createRestoreWorkflow } from '../../../../src/services/restore/workflow.js';
import { allDone, gates, kickAFewTimes, pause, settlesWithin } from '../../../support/work-loop.js';

const facts = { imageVersion: '1', imageKind: 'public', serverType: 'gx7', instanceType: 'small' };
const backup: RestoreSource = {
  backupFileId: 'bf-1',
  path: 'oss://cloudphone-saved-bucket-x/b/acp-src_1.ab',
  status: 'AVAILABLE',
  apps: ['com.example.app'],
  facts,
  factsOrigin: 'recorded',
};

/** A cloud that answers from tables the test sets, and records every call. */
function fakeCloud() {
  const calls: { action: string; args: unknown }[] = [];
  const cloud = {
    instances: new Map<string, CloudInstance>(),
    tasks: new Map<string, CloudTask>(),
    recoverApp: async (input: { instanceIds: string[] }) => {
      calls.push({ action: 'RecoverApp', args: input });
      return {
        requestId: 'R-ok',
        taskId: 't-batch',
        items: input.instanceIds.map((id) => ({ instanceId: id, taskId: `t-${id}` })),
      };
    },
    calls,
  };
  return {
    cloud,
    port: {
      describeInstances: async ({ instanceIds }: { instanceIds: string[] }) =>
        instanceIds.flatMap((id) => (cloud.instances.has(id) ? [cloud.instances.get(id)!] : [])),
      startInstances: async (ids: string[]) => {
        calls.push({ action: 'StartAndroidInstance', args: ids });
        return { requestId: 'R-start' };
      },
      recoverApp: (input: { instanceIds: string[]; backupFileId: string; backupFilePath: string }) =>
        cloud.recoverApp(input),
      describeTasks: async (query: {
        taskIds?: string[];
        invokeId?: string;
        resourceIds?: string[];
        taskTypes?: string[];
      }) => {
        calls.push({ action: 'DescribeTasks', args: query });
        if (query.invokeId) return [...cloud.tasks.values()].filter((t) => t.invokeId === query.invokeId);
        if (query.resourceIds) {
          return [...cloud.tasks.values()].filter(
            (t) =>
              query.resourceIds?.includes(t.instanceId ?? '') &&
              (query.taskTypes === undefined || query.taskTypes.includes(t.type ?? '')),
          );
        }
        return (query.taskIds ?? []).flatMap((id) => (cloud.tasks.has(id) ? [cloud.tasks.get(id)!] : []));
      },
      // These phones run no command: the check after a restore cannot look, and says so (e2e covers the checks).
      runSyncCommand: async (request: { instanceIds: string[] }) => {
        calls.push({ action: 'RunSyncCommand', args: request });
        return request.instanceIds.map((instanceId) => ({ instanceId, invocationStatus: 'FAILED', output: '' }));
      },
    },
  };
}

const notifier: RequestNotifier<RestoreRequestView> = {
  announce: async () => ({ channel: 'C1', ts: '1.1' }),
  findAnnounced: async () => undefined,
  progress: async () => undefined,
  complete: async () => ({ channel: 'C1', ts: '1.2' }),
};

const settings = {
  pollIntervalMs: 10,
  maxPollIntervalMs: 100,
  startTimeoutMs: 1_000,
  taskTimeoutMs: 10_000,
  maxInstancesPerCall: 100,
  transientRetryMs: 1_000,
  verifySizeTolerance: 0.2,
};

describe('restore workflow (fake cloud, real SQLite)', () => {
  let db: Db;
  let repos: Repositories;
  let now: number;
  let clock: Clock;
  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
    now = 1_000_000;
    clock = { now: () => now };
  });
  afterEach(() => db.close());

  function confirmedRestore(targets: string[], id = 'req-1') {
    repos.restores.createPlan({
      id,
      planKey: `p-${id}`,
      actor: { userId: 'U1', teamId: 'T1' },
      channelId: 'C1',
      backup,
      targets: targets.map((instanceId) => ({ instanceId, verdict: 'ready' as const })),
      simulated: false,
      now,
    });
    repos.restores.confirm(id, {
      confirmKey: `c-${id}`,
      startStopped: false,
      targets: targets.map((instanceId) => ({ instanceId, patch: { state: 'pending' as const } })),
      now,
    });
    return id;
  }

  function workflowWith(port: ReturnType<typeof fakeCloud>['port']) {
    return createRestoreWorkflow({ repos, cloud: port, notifier, clock, settings, logger: pino({ level: 'silent' }) });
  }

  /** The runner with restores only, as the bot wires it. */
  function runnerWith(port: ReturnType<typeof fakeCloud>['port'], idleTickMs: number, concurrency: number): Runner {
    const logger = pino({ level: 'silent' });
    const restore = restoreSteps({ repos, workflow: workflowWith(port), notifier });
    const poller = createTaskPoller({
      repos,
      cloud: port,
      clock,
      settings,
      logger,
      taskEnded: (task, outcome) => restore.taskEnded?.(task.requestId, task.instanceId, outcome),
    });
    return createRunner({ repos, kinds: { restore }, poller, clock, logger, settings: { idleTickMs, concurrency } });
  }

  it('looks an unknown-outcome RecoverApp up by InvokeId and tracks what it finds, without resending', async () => {
    const { cloud, port } = fakeCloud();
    cloud.instances.set('acp-a', { instanceId: 'acp-a', status: 'RUNNING', ...facts, bizImageType: 'System' });
    cloud.recoverApp = async (input) => {
      cloud.calls.push({ action: 'RecoverApp', args: input });
      throw new CloudApiError({
        apiCode: 'OutcomeUnknown',
        apiMessage: 'timeout',
        requestId: 'R-lost',
        action: 'RecoverApp',
        outcomeUnknown: true,
      });
    };
    cloud.tasks.set('t-parent', { taskId: 't-parent', status: 'Processing', level: 1, invokeId: 'R-lost' });
    cloud.tasks.set('t-child', {
      taskId: 't-child',
      status: 'Processing',
      level: 2,
      instanceId: 'acp-a',
      invokeId: 'R-lost',
    });
    confirmedRestore(['acp-a']);
    const workflow = workflowWith(port);
    await workflow.submit('req-1');
    await workflow.submit('req-1');
    expect(cloud.calls.filter((c) => c.action === 'RecoverApp')).toHaveLength(1);
    expect(cloud.calls).toContainEqual({ action: 'DescribeTasks', args: { invokeId: 'R-lost' } });
    const record = repos.restores.get('req-1');
    expect(record?.targets[0]).toMatchObject({ state: 'submitted', taskId: 't-child' });
    expect(repos.tasks.get('t-child')?.requestId).toBe('req-1');
    expect(repos.calls.list('req-1', 'RecoverApp')[0]?.status).toBe('reconciled');
  });

  it('reports a RecoverApp left "sent" by a crash plainly when no task of it shows, and never sends it again', async () => {
    const { cloud, port } = fakeCloud();
    cloud.instances.set('acp-a', { instanceId: 'acp-a', status: 'RUNNING', ...facts, bizImageType: 'System' });
    // A restore of this target that ended before the call: not the lost call's.
    cloud.tasks.set('t-older', {
      taskId: 't-older',
      status: 'Finished',
      type: 'RecoverFile',
      level: 2,
      instanceId: 'acp-a',
      startTime: new Date(now - 3_600_000).toISOString(),
    });
    confirmedRestore(['acp-a']);
    const callId = repos.calls.begin('req-1', 'RecoverApp', ['acp-a'], now);
    repos.restores.updateTarget('req-1', 'acp-a', { callId });
    now += 5_000; // the restart: its tasks would be listed by now
    await workflowWith(port).submit('req-1');
    expect(cloud.calls).toContainEqual({
      action: 'DescribeTasks',
      args: { resourceIds: ['acp-a'], taskTypes: ['RecoverFile'], level: 2 },
    });
    expect(cloud.calls.filter((c) => c.action === 'RecoverApp')).toEqual([]);
    expect(repos.restores.get('req-1')?.targets[0]).toMatchObject({ state: 'failed', errorCode: 'OutcomeUnknown' });
  });

  it('looks a RecoverApp left "sent" by a crash up on its targets and tracks the task it made, without sending it again', async () => {
    const { cloud, port } = fakeCloud();
    cloud.instances.set('acp-a', { instanceId: 'acp-a', status: 'RECOVERING', ...facts, bizImageType: 'System' });
    confirmedRestore(['acp-a']);
    const callId = repos.calls.begin('req-1', 'RecoverApp', ['acp-a'], now);
    repos.restores.updateTarget('req-1', 'acp-a', { callId });
    // The call reached the cloud: its task is running on the target.
    cloud.tasks.set('t-lost', {
      taskId: 't-lost',
      status: 'Running',
      type: 'RecoverFile',
      level: 2,
      instanceId: 'acp-a',
      startTime: new Date(now + 500).toISOString(),
    });
    const workflow = workflowWith(port);
    // Too early to tell from the task list: nothing is decided yet.
    await expect(workflow.submit('req-1')).rejects.toThrow();
    expect(repos.restores.get('req-1')?.targets[0]).toMatchObject({ state: 'pending' });
    now += 5_000;
    await workflow.submit('req-1');
    expect(cloud.calls.filter((c) => c.action === 'RecoverApp')).toEqual([]);
    expect(repos.restores.get('req-1')?.targets[0]).toMatchObject({ state: 'submitted', taskId: 't-lost' });
    expect(repos.tasks.get('t-lost')?.requestId).toBe('req-1');
    expect(repos.calls.list('req-1', 'RecoverApp')[0]?.status).toBe('reconciled');
  });

  it('sends a start again after a refusal and after a crash left it unanswered, and only to a target still off', async () => {
    const { cloud, port } = fakeCloud();
    cloud.instances.set('acp-a', { instanceId: 'acp-a', status: 'STOPPED', ...facts, bizImageType: 'System' });
    confirmedRestore(['acp-a']);
    repos.restores.updateTarget('req-1', 'acp-a', { state: 'starting' });
    // A crash between recording the start and its answer; the start never reached the cloud.
    repos.calls.begin('req-1', 'StartAndroidInstance', ['acp-a'], now);
    let refuse = true;
    const starts: string[][] = [];
    const workflow = workflowWith({
      ...port,
      startInstances: async (ids: string[]) => {
        starts.push(ids);
        if (refuse) {
          refuse = false;
          throw new CloudApiError({ apiCode: 'Throttling.User', apiMessage: 't', action: 'S', retryable: true });
        }
        cloud.instances.set('acp-a', { ...cloud.instances.get('acp-a')!, status: 'STARTING' });
        return { requestId: 'R-start' };
      },
    });
    now += 100; // past the settle time of the lost start: the phone is still off, so it is sent again
    await workflow.start('req-1');
    expect(starts).toEqual([['acp-a']]);
    now += 5; // within the back-off: nothing sent
    await workflow.start('req-1');
    expect(starts).toHaveLength(1);
    now += 100;
    await workflow.start('req-1');
    expect(starts).toHaveLength(2);
    // Starting now: looked at, not sent again; then running, and on to the restore.
    now += 100;
    await workflow.start('req-1');
    expect(starts).toHaveLength(2);
    cloud.instances.set('acp-a', { ...cloud.instances.get('acp-a')!, status: 'RUNNING' });
    await workflow.start('req-1');
    expect(repos.restores.get('req-1')).toMatchObject({ step: 'submit' });
    expect(repos.restores.get('req-1')?.targets[0]).toMatchObject({ state: 'pending', startedByBot: true });
  });

  it('sends a RecoverApp the cloud refused before acting again after a back-off, and tracks it', async () => {
    const { cloud, port } = fakeCloud();
    cloud.instances.set('acp-a', { instanceId: 'acp-a', status: 'RUNNING', ...facts, bizImageType: 'System' });
    confirmedRestore(['acp-a']);
    const accept = cloud.recoverApp;
    let refusals = 1;
    cloud.recoverApp = async (input) => {
      if (refusals-- > 0) {
        cloud.calls.push({ action: 'RecoverApp', args: input });
        throw new CloudApiError({ apiCode: 'Throttling.User', apiMessage: 't', action: 'RecoverApp', retryable: true });
      }
      return accept(input);
    };
    const workflow = workflowWith(port);
    await workflow.submit('req-1');
    expect(repos.restores.get('req-1')?.targets[0]).toMatchObject({ state: 'pending' });
    expect(repos.restores.get('req-1')?.step).not.toBe('track');
    now += 5; // within the back-off
    await workflow.submit('req-1');
    expect(cloud.calls.filter((c) => c.action === 'RecoverApp')).toHaveLength(1);
    now += 100;
    await workflow.submit('req-1');
    expect(cloud.calls.filter((c) => c.action === 'RecoverApp')).toHaveLength(2);
    expect(repos.restores.get('req-1')?.targets[0]).toMatchObject({ state: 'submitted', taskId: 't-acp-a' });
  });

  it('skips a target that stopped or changed image since the plan: no RecoverApp reaches it', async () => {
    const { cloud, port } = fakeCloud();
    cloud.instances.set('acp-a', { instanceId: 'acp-a', status: 'STOPPED', ...facts, bizImageType: 'System' });
    cloud.instances.set('acp-b', {
      instanceId: 'acp-b',
      status: 'RUNNING',
      ...facts,
      imageVersion: '2',
      bizImageType: 'System',
    });
    cloud.instances.set('acp-c', { instanceId: 'acp-c', status: 'RUNNING', ...facts, bizImageType: 'System' });
    confirmedRestore(['acp-a', 'acp-b', 'acp-c']);
    await workflowWith(port).submit('req-1');
    expect(cloud.calls.filter((c) => c.action === 'RecoverApp').map((c) => c.args)).toEqual([
      { instanceIds: ['acp-c'], backupFileId: 'bf-1', backupFilePath: backup.path, uploadEndpoint: undefined },
    ]);
    const states = repos.restores.get('req-1')?.targets.map((t) => [t.instanceId, t.state, t.errorCode]);
    expect(states).toEqual([
      ['acp-a', 'skipped', 'NotRunning'],
      ['acp-b', 'skipped', 'ImageVersionMismatch'],
      ['acp-c', 'submitted', undefined],
    ]);
  });

  it('polls all open tasks in one DescribeTasks batch and finishes the restore once they end', async () => {
    const { cloud, port } = fakeCloud();
    const ids = ['acp-a', 'acp-b', 'acp-c'];
    for (const id of ids)
      cloud.instances.set(id, { instanceId: id, status: 'RUNNING', ...facts, bizImageType: 'System' });
    confirmedRestore(ids);
    const runner = runnerWith(port, 1, 4);
    await runner.tick(); // announce
    await runner.tick(); // submit
    expect(repos.restores.get('req-1')?.step).toBe('track');
    cloud.tasks.set('t-acp-a', { taskId: 't-acp-a', status: 'Finished' });
    cloud.tasks.set('t-acp-b', { taskId: 't-acp-b', status: 'Failed', errorCode: 'ImageTypeMismatch', errorMsg: 'no' });
    cloud.tasks.set('t-acp-c', { taskId: 't-acp-c', status: 'Finished' });
    now += 1_000;
    cloud.calls.length = 0;
    await runner.tick();
    const polls = cloud.calls.filter((c) => c.action === 'DescribeTasks');
    expect(polls).toEqual([{ action: 'DescribeTasks', args: { taskIds: ['t-acp-a', 't-acp-b', 't-acp-c'] } }]);
    const record = repos.restores.get('req-1');
    expect(record?.step).toBe('verify');
    expect(record?.targets[1]).toMatchObject({ state: 'failed', errorCode: 'ImageTypeMismatch' });
    await runner.tick(); // verify: only the targets it restored are checked, then it finishes
    expect(cloud.calls.filter((c) => c.action === 'RunSyncCommand').map((c) => c.args)).toMatchObject([
      { instanceIds: ['acp-a', 'acp-c'] },
    ]);
    expect(repos.restores.get('req-1')?.status).toBe('partial');
    expect(repos.appFacts.checksFor('req-1')?.targets.map((t) => t.outcome)).toEqual(['impossible', 'impossible']);
    expect(repos.verifications.automaticFor('req-1')).toBeUndefined();
    await runner.tick();
    expect(repos.restores.get('req-1')?.step).toBe('done');
    expect(repos.outbox.status('req-1', 'completion')).toBe('sent');
  });

  describe('runner loop (real timers)', () => {
    const targets = ['acp-1', 'acp-2', 'acp-3', 'acp-4', 'acp-5'];
    let runner: Runner | undefined;
    let held: ReturnType<typeof gates>;
    beforeEach(() => {
      now = Date.now();
      clock = { now: () => Date.now() };
      held = gates();
    });
    afterEach(async () => {
      held.openAll();
      await runner?.stop();
      runner = undefined;
    });

    /** A cloud where every target runs and every RecoverApp task has finished; lookups of `waits` ids wait. */
    function slowCloud(waits: Map<string, Promise<void>>) {
      const { cloud, port } = fakeCloud();
      const lookups: string[] = [];
      for (const id of targets) {
        cloud.instances.set(id, { instanceId: id, status: 'RUNNING', ...facts, bizImageType: 'System' });
        cloud.tasks.set(`t-${id}`, { taskId: `t-${id}`, status: 'Finished' });
      }
      const describeInstances = port.describeInstances;
      port.describeInstances = async (query) => {
        lookups.push(...query.instanceIds);
        for (const id of query.instanceIds) await waits.get(id);
        return describeInstances(query);
      };
      return { cloud, port, lookups };
    }

    function loopRunner(port: ReturnType<typeof fakeCloud>['port'], idleTickMs: number): Runner {
      runner = runnerWith(port, idleTickMs, 2);
      return runner;
    }

    /** One confirmed restore per target, `r-<target>`, due now. */
    const restoreEach = () => targets.map((target) => confirmedRestore([target], `r-${target}`));
    const stepOf = (id: string) => repos.restores.get(id)?.step;

    it('finishes the other restores while one waits on a slow cloud call (concurrency 2, 5 due)', async () => {
      const slow = held.hold();
      const { port } = slowCloud(new Map([['acp-3', slow.wait]]));
      const ids = restoreEach();
      loopRunner(port, 5).start();
      const others = ids.filter((id) => id !== 'r-acp-3');
      await allDone(others, stepOf);
      expect(stepOf('r-acp-3')).toBe('submit');
      slow.open();
      await allDone(['r-acp-3'], stepOf);
    });

    it('takes more due restores as soon as a batch ends, not an idle tick (60 s) later', async () => {
      const { port } = slowCloud(new Map());
      const loop = loopRunner(port, 60_000);
      loop.start();
      // Let the first (empty) round pass, so the loop is asleep for an idle tick when the restores are confirmed.
      await pause(20);
      const ids = restoreEach();
      loop.kick();
      await allDone(ids, stepOf);
    });

    it('never runs a restore step twice at once; stop() waits for the step in flight', async () => {
      const slow = held.hold();
      const { cloud, port, lookups } = slowCloud(new Map([['acp-1', slow.wait]]));
      confirmedRestore(['acp-1'], 'r-acp-1');
      const loop = loopRunner(port, 60_000);
      loop.start();
      await vi.waitFor(() => expect(lookups).toEqual(['acp-1']));
      await kickAFewTimes(loop);
      expect(lookups).toEqual(['acp-1']);
      const stopping = loop.stop();
      expect(await settlesWithin(stopping, 50)).toBe(false);
      slow.open();
      await stopping;
      // The step finished and was recorded (RecoverApp sent once, on to tracking); nothing ran after the stop.
      expect(cloud.calls.filter((c) => c.action === 'RecoverApp')).toHaveLength(1);
      expect(stepOf('r-acp-1')).toBe('track');
    });
  });
});
