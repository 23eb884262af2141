import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../../src/db/index.js';
import type { TrackedTask } from '../../../../src/db/tasks.js';
import type { CloudTask } from '../../../../src/services/pipeline/ports.js';
import type { TaskOutcome } from '../../../../src/services/pipeline/task-outcome.js';
import { createTaskPoller } from '../../../../src/services/pipeline/task-poller.js';

const NOW = 10_000_000;
const settings = { pollIntervalMs: 5_000, maxPollIntervalMs: 60_000 };

/** `due` tasks whose next poll has come (oldest first) and `later` tasks due over the next minutes. */
function seed(repos: Repositories, due: number, later: number): void {
  const total = due + later;
  const instanceIds = Array.from({ length: total }, (_, i) => `acp-${i}`);
  repos.backups.create({
    id: 'req-1',
    idempotencyKey: 'k1',
    actor: { userId: 'U1', teamId: 'T1' },
    channelId: 'C1',
    spec: {
      instanceIds,
      apps: ['com.example.app'],
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      backupPath: 'oss://cloudphone-saved-bucket-x/dir/',
      stopBeforeBackup: true,
      startAfterBackup: true,
    },
    simulated: false,
    now: 0,
  });
  repos.db.transaction(() => {
    instanceIds.forEach((instanceId, i) => {
      const firstPollAt = i < due ? NOW - (due - i) * 10 : NOW + (i - due + 1) * 1_000;
      repos.tasks.add({ taskId: `t-${i}`, requestId: 'req-1', instanceId }, firstPollAt, 0);
    });
  })();
}

/** A cloud whose tasks all run on; `fail(n)` makes the n-th call (1-based) throw. */
function fakeCloud() {
  const calls: string[][] = [];
  const failing = new Set<number>();
  return {
    calls,
    fail(n: number) {
      failing.add(n);
    },
    /** Status per task id; tasks not in it run on. */
    statuses: new Map<string, string>(),
    async describeTasks(query: { taskIds?: string[] }): Promise<CloudTask[]> {
      const taskIds = query.taskIds ?? [];
      calls.push(taskIds);
      if (failing.has(calls.length)) throw new Error('connection reset');
      return taskIds.map((taskId) => ({ taskId, status: this.statuses.get(taskId) ?? 'Running' }));
    },
  };
}

/** The task repository with the size of the largest `due()` answer recorded: what the poller holds at once. */
function countingRepos(repos: Repositories) {
  const seen = { largestDue: 0 };
  const tasks = {
    ...repos.tasks,
    due(now: number, limit: number) {
      const rows = repos.tasks.due(now, limit);
      seen.largestDue = Math.max(seen.largestDue, rows.length);
      return rows;
    },
  };
  return { repos: { ...repos, tasks }, seen };
}

describe('task poller', () => {
  let db: Db;
  let repos: Repositories;
  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
  });
  afterEach(() => {
    db.close();
    ended.length = 0;
  });

  const ended: { task: TrackedTask; outcome: TaskOutcome }[] = [];
  const pollerFor = (r: Repositories, cloud: ReturnType<typeof fakeCloud>) =>
    createTaskPoller({
      repos: r,
      cloud,
      clock: { now: () => NOW },
      settings,
      logger: pino({ level: 'silent' }),
      taskEnded: (task, outcome) => ended.push({ task, outcome }),
    });

  it('polls 250 due tasks in 3 calls, each task once, the partial batch topped up with the 50 due soonest', async () => {
    seed(repos, 250, 80);
    const cloud = fakeCloud();
    const result = await pollerFor(repos, cloud).pollOnce();

    expect(result.calls).toBe(3);
    expect(cloud.calls.map((ids) => ids.length)).toEqual([100, 100, 100]);
    const polled = cloud.calls.flat();
    expect(new Set(polled).size).toBe(300);
    const expected = Array.from({ length: 300 }, (_, i) => `t-${i}`);
    expect([...polled].sort()).toEqual([...expected].sort());
    // Every task polled now waits for its next turn; the 30 not polled keep theirs.
    expect(repos.tasks.dueCount(NOW)).toBe(0);
    const untouched = db.prepare('SELECT task_id AS id FROM tasks WHERE polls = 0 ORDER BY next_poll_at').all();
    expect(untouched.map((row) => (row as { id: string }).id)).toEqual(
      Array.from({ length: 30 }, (_, i) => `t-${300 + i}`),
    );
  });

  it('never reads more than one page of tasks at a time: 1,000 due tasks, 10 calls, no due() answer over 100', async () => {
    seed(repos, 1_000, 0);
    const cloud = fakeCloud();
    const { repos: counted, seen } = countingRepos(repos);
    const result = await pollerFor(counted, cloud).pollOnce();

    expect(result.calls).toBe(10);
    expect(result.polled).toBe(1_000);
    expect(new Set(cloud.calls.flat()).size).toBe(1_000);
    expect(seen.largestDue).toBe(100);
  });

  it('a failed call re-schedules its batch and the cycle goes on without polling anything twice', async () => {
    seed(repos, 250, 0);
    const cloud = fakeCloud();
    cloud.fail(2);
    const result = await pollerFor(repos, cloud).pollOnce();

    expect(result.calls).toBe(3);
    expect(result.polled).toBe(150);
    expect(new Set(cloud.calls.flat()).size).toBe(250);
    expect(repos.tasks.dueCount(NOW)).toBe(0);
  });

  it('polls backups and restores open together in shared calls, and tells each kind of its own ended tasks', async () => {
    seed(repos, 60, 0);
    repos.restores.createPlan({
      id: 'req-r',
      planKey: 'view:V1',
      actor: { userId: 'U1', teamId: 'T1' },
      channelId: 'C1',
      backup: { backupFileId: 'bf-1', status: 'AVAILABLE', apps: [] },
      targets: [],
      simulated: false,
      now: 0,
    });
    repos.db.transaction(() => {
      for (let i = 0; i < 60; i++) {
        repos.tasks.add({ taskId: `rt-${i}`, requestId: 'req-r', instanceId: `acp-r${i}` }, NOW - 1, 0);
      }
    })();
    const cloud = fakeCloud();
    cloud.statuses.set('t-0', 'Finished');
    cloud.statuses.set('rt-0', 'Failed');
    const result = await pollerFor(repos, cloud).pollOnce();

    // 120 open tasks of two kinds: two calls of at most 100 ids, not one batch per kind.
    expect(cloud.calls.map((ids) => ids.length)).toEqual([20, 100]);
    expect(result.calls).toBe(2);
    expect(new Set(cloud.calls.flat()).size).toBe(120);
    expect(ended.map(({ task, outcome }) => [task.kind, task.taskId, outcome.state]).sort()).toEqual([
      ['backup', 't-0', 'succeeded'],
      ['restore', 'rt-0', 'failed'],
    ]);
  });

  it('counts a task the API stops returning across restarts, and gives it up as lost after five', async () => {
    seed(repos, 1, 0);
    let now = NOW;
    const cloud = {
      calls: 0,
      async describeTasks(): Promise<CloudTask[]> {
        cloud.calls++;
        return [];
      },
    };
    for (let poll = 0; poll < 5; poll++) {
      // A new poller each time, as after a restart: the count of misses is in the database.
      const poller = createTaskPoller({
        repos,
        cloud,
        clock: { now: () => now },
        settings,
        logger: pino({ level: 'silent' }),
        taskEnded: (task, outcome) => ended.push({ task, outcome }),
      });
      expect(ended).toEqual([]);
      await poller.pollOnce();
      now += 10 * 60_000;
    }
    expect(cloud.calls).toBe(5);
    expect(ended.map(({ outcome }) => outcome)).toEqual([
      { state: 'failed', errorCode: 'TaskNotFound', errorMessage: 'DescribeTasks no longer returns task t-0' },
    ]);
  });
});
