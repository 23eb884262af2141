/**
 * Tracks every open cloud task with as few calls as possible: all due tasks are polled together in DescribeTasks
 * batches of 100 (never one call per task), the last batch is topped up with tasks that are nearly due, and each
 * task is polled less often the longer it runs.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../db/index.js';
import { failureOf } from './backup-workflow.js';
import type { BackupCloud, Clock } from './ports.js';

export const TASK_IDS_PER_CALL = 100;
/** A task the API does not return this many times in a row is given up as lost. */
const MAX_MISSES = 5;

const SUCCESS = new Set(['Finished']);
const FAILURE = new Set(['Failed', 'Skipped', 'PartFinished']);

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
  cloud: Pick<BackupCloud, 'describeTasks'>;
  clock: Clock;
  settings: PollerSettings;
  logger: Logger;
}) {
  const { repos, cloud, clock, settings, logger } = deps;
  const { tasks, requests } = repos;
  const misses = new Map<string, number>();

  async function pollOnce(): Promise<PollResult> {
    const now = clock.now();
    const result: PollResult = { calls: 0, polled: 0, finished: 0, touched: new Set(), drained: new Set() };
    const due = tasks.due(now, Number.MAX_SAFE_INTEGER);
    if (due.length === 0) return result;
    const room = (TASK_IDS_PER_CALL - (due.length % TASK_IDS_PER_CALL)) % TASK_IDS_PER_CALL;
    const batch = room > 0 ? [...due, ...tasks.soonestNotDue(now, room)] : due;

    for (let i = 0; i < batch.length; i += TASK_IDS_PER_CALL) {
      const slice = batch.slice(i, i + TASK_IDS_PER_CALL);
      result.calls++;
      let states: Awaited<ReturnType<BackupCloud['describeTasks']>>;
      try {
        states = await cloud.describeTasks({ taskIds: slice.map((task) => task.taskId) });
      } catch (error) {
        const failure = failureOf(error);
        logger.warn({ code: failure.code, requestId: failure.requestId }, 'DescribeTasks failed; polling later');
        for (const task of slice)
          tasks.markPolled(task.taskId, task.status, clock.now() + pollInterval(task.polls, settings));
        continue;
      }
      const byId = new Map(states.map((state) => [state.taskId, state]));
      repos.db.transaction(() => {
        for (const task of slice) {
          result.polled++;
          const state = byId.get(task.taskId);
          if (!state) {
            const missed = (misses.get(task.taskId) ?? 0) + 1;
            misses.set(task.taskId, missed);
            if (missed < MAX_MISSES) {
              tasks.markPolled(task.taskId, task.status, clock.now() + pollInterval(task.polls, settings));
              continue;
            }
            misses.delete(task.taskId);
            tasks.markFinished(task.taskId, 'Lost', clock.now());
            requests.updateInstance(task.requestId, task.instanceId, {
              state: 'failed',
              errorCode: 'TaskNotFound',
              errorMessage: `DescribeTasks no longer returns task ${task.taskId}`,
            });
            result.finished++;
            result.touched.add(task.requestId);
            continue;
          }
          misses.delete(task.taskId);
          if (SUCCESS.has(state.status) || FAILURE.has(state.status)) {
            tasks.markFinished(task.taskId, state.status, clock.now());
            requests.updateInstance(
              task.requestId,
              task.instanceId,
              SUCCESS.has(state.status)
                ? { state: 'succeeded' }
                : {
                    state: 'failed',
                    errorCode: state.errorCode || state.status,
                    errorMessage: state.errorMsg || `the backup task ended ${state.status}`,
                  },
            );
            result.finished++;
            result.touched.add(task.requestId);
          } else {
            if (state.status !== task.status) result.touched.add(task.requestId);
            tasks.markPolled(task.taskId, state.status, clock.now() + pollInterval(task.polls + 1, settings));
          }
        }
      })();
    }
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
