/**
 * What a DescribeTasks answer means for the instance a task ran on, for backups and restores alike: whether the task
 * has ended, and the outcome to record when it has (or when the API stopped returning it).
 */

/** A task the API does not return this many times in a row is given up as lost. */
export const MAX_MISSES = 5;

const SUCCESS = new Set(['Finished']);
const FAILURE = new Set(['Failed', 'Skipped', 'PartFinished']);

export type TaskOutcome = { state: 'succeeded' } | { state: 'failed'; errorCode: string; errorMessage: string };

/** The outcome of an ended task, or undefined while it still runs. `work` names it in messages ("backup"). */
export function endedTaskOutcome(
  state: { status: string; errorCode?: string | undefined; errorMsg?: string | undefined },
  work: string,
): TaskOutcome | undefined {
  if (SUCCESS.has(state.status)) return { state: 'succeeded' };
  if (!FAILURE.has(state.status)) return undefined;
  return {
    state: 'failed',
    errorCode: state.errorCode || state.status,
    errorMessage: state.errorMsg || `the ${work} task ended ${state.status}`,
  };
}

/** The outcome recorded for a task the API no longer returns (after MAX_MISSES polls in a row). */
export function lostTaskOutcome(taskId: string): TaskOutcome {
  return {
    state: 'failed',
    errorCode: 'TaskNotFound',
    errorMessage: `DescribeTasks no longer returns task ${taskId}`,
  };
}
