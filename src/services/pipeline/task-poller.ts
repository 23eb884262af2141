/**
 * Tracks every open cloud task, of every kind of request, with as few calls as possible: all due tasks are polled
 * together in DescribeTasks batches of 100 (never one call per task, never one batch per kind), read from the database
 * one batch at a time; the one partial batch is topped up with tasks that are nearly due, and each task is polled less
 * often the longer it runs. An ended task's outcome goes to its request's kind (`taskEnded`).
 *
 * Over several regions (CLOUDPHONE_REGIONS) a DescribeTasks call goes to one region's endpoint, so a batch mixing
 * regions would become one call per region. There the due tasks are grouped by region first (as the client knows
 * it) and each region gets its own batches of 100: one call per 100 due tasks of a region. Tasks of no known region
 * yet (after a restart, before any answer named them) batch together, and the client asks every region once.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { TrackedTask } from '../../db/tasks.js';
import { failureOf } from './cloud-failure.js';
import type { Clock, CloudPhone } from './ports.js';
import { endedTaskOutcome, lostTaskOutcome, MAX_MISSES, type TaskOutcome } from './task-outcome.js';

export const TASK_IDS_PER_CALL = 100;

export interface PollerSettings {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
}

export interface PollResult {
  calls: number;
  polled: number;
  finished: number;
  /** Requests with at least one task that changed state. */
  touched: Set<string>;
  /** Requests whose last open task just ended. */
  drained: Set<string>;
}

/** Poll interval after `polls` polls: grows by half each time, capped. */
export function pollInterval(polls: number, settings: PollerSettings): number {
  return Math.min(settings.maxPollIntervalMs, Math.round(settings.pollIntervalMs * 1.5 ** Math.min(polls, 40)));
}

export function createTaskPoller(deps: {
  repos: Repositories;
  cloud: Pick<CloudPhone, 'describeTasks' | 'regionOfTask'>;
  clock: Clock;
  settings: PollerSettings;
  logger: Logger;
  /** Records an ended task's outcome with its request (each kind on its own instances); runs in the poll's transaction. */
  taskEnded(task: TrackedTask, outcome: TaskOutcome): void;
}) {
  const { repos, cloud, clock, settings, logger, taskEnded } = deps;
  const { tasks, requests } = repos;

  /** One DescribeTasks call for `batch` (at most 100 tasks) and, in one transaction, what it says about each. */
  async function pollBatch(batch: readonly TrackedTask[], result: PollResult, region?: string): Promise<void> {
    result.calls++;
    let states: Awaited<ReturnType<CloudPhone['describeTasks']>>;
    try {
      const taskIds = batch.map((task) => task.taskId);
      states = await cloud.describeTasks(region === undefined ? { taskIds } : { taskIds, region });
    } catch (error) {
      const failure = failureOf(error);
      logger.warn({ code: failure.code, requestId: failure.requestId }, 'DescribeTasks failed; polling later');
      repos.db.transaction(() => {
        for (const task of batch) {
          tasks.markPolled(task.taskId, task.status, task.misses, clock.now() + pollInterval(task.polls, settings));
        }
      })();
      return;
    }
    const byId = new Map(states.map((state) => [state.taskId, state]));
    repos.db.transaction(() => {
      for (const task of batch) {
        result.polled++;
        const state = byId.get(task.taskId);
        if (!state) {
          const missed = task.misses + 1;
          if (missed < MAX_MISSES) {
            tasks.markPolled(task.taskId, task.status, missed, clock.now() + pollInterval(task.polls, settings));
            continue;
          }
          tasks.markFinished(task.taskId, 'Lost', clock.now());
          taskEnded(task, lostTaskOutcome(task.taskId));
          result.finished++;
          result.touched.add(task.requestId);
          continue;
        }
        const outcome = endedTaskOutcome(state, task.kind);
        if (outcome) {
          tasks.markFinished(task.taskId, state.status, clock.now());
          taskEnded(task, outcome);
          result.finished++;
          result.touched.add(task.requestId);
        } else {
          if (state.status !== task.status) result.touched.add(task.requestId);
          tasks.markPolled(task.taskId, state.status, 0, clock.now() + pollInterval(task.polls + 1, settings));
        }
      }
    })();
  }

  /**
   * Several regions: every due task read at once (a row is about 300 bytes; 10,000 are a few MB for the cycle),
   * grouped by region, polled in batches of 100 per region. No free riders: a partial batch per region is the cost.
   */
  async function pollByRegion(
    now: number,
    dueCount: number,
    regionOf: (task: TrackedTask) => string | undefined,
    result: PollResult,
  ): Promise<void> {
    const byRegion = new Map<string, TrackedTask[]>();
    for (const task of tasks.due(now, dueCount)) {
      const region = regionOf(task) ?? '';
      const group = byRegion.get(region);
      if (group) group.push(task);
      else byRegion.set(region, [task]);
    }
    for (const [region, group] of byRegion) {
      for (let start = 0; start < group.length; start += TASK_IDS_PER_CALL) {
        await pollBatch(group.slice(start, start + TASK_IDS_PER_CALL), result, region || undefined);
      }
    }
  }

  async function pollOnce(): Promise<PollResult> {
    const now = clock.now();
    const result: PollResult = { calls: 0, polled: 0, finished: 0, touched: new Set(), drained: new Set() };
    const dueCount = tasks.dueCount(now);
    if (dueCount === 0) return result;
    if (cloud.regionOfTask) {
      await pollByRegion(now, dueCount, (task) => cloud.regionOfTask?.(task), result);
      return drain(result);
    }
    // As many calls as the tasks due now need, and no more: a task that falls due during the cycle waits for the next.
    const calls = Math.ceil(dueCount / TASK_IDS_PER_CALL);
    // The one partial batch is the first, topped up with the tasks due soonest: they are picked before this cycle has
    // re-scheduled anything, so a task polled a moment ago can never ride along again.
    const room = calls * TASK_IDS_PER_CALL - dueCount;
    for (let call = 0; call < calls; call++) {
      // Only one page of tasks in memory at a time (10,000 open tasks are 100 pages). Every task polled gets its next
      // poll after `now`, failed calls included, so the most overdue tasks left are the next page.
      const page = tasks.due(now, TASK_IDS_PER_CALL - (call === 0 ? room : 0));
      if (page.length === 0) break;
      await pollBatch(call === 0 && room > 0 ? page.concat(tasks.soonestNotDue(now, room)) : page, result);
    }
    return drain(result);
  }

  /** Wakes each touched request whose last open task just ended. */
  function drain(result: PollResult): PollResult {
    for (const requestId of result.touched) {
      if (tasks.openCount(requestId) === 0) {
        result.drained.add(requestId);
        requests.wakeAt(requestId, clock.now(), clock.now());
      }
    }
    return result;
  }

  return { pollOnce };
}

export type TaskPoller = ReturnType<typeof createTaskPoller>;
