/**
 * Batch and instance tasks. Each accepted asynchronous call creates a batch task (Level 1) with one instance task
 * (Level 2, ParentTaskId) per instance, all carrying InvokeId = the call's RequestId (§3.7). Instance tasks go
 * Waiting → Processing → Finished | Failed; the batch follows as Finished, PartFinished or Failed a little after its
 * last child (Timing.taskProcessMs).
 */
import {
  type InjectedFailure,
  type SimInstance,
  type SimState,
  type SimTask,
  type TaskType,
  TERMINAL_TASK_STATUSES,
} from './state.js';

export type TaskOutcome = { ok: true } | { ok: false; code: string; message: string };

export function isTerminal(task: SimTask): boolean {
  return TERMINAL_TASK_STATUSES.includes(task.status);
}

interface Batch {
  parent: SimTask;
  children: Map<string, SimTask>;
}

function newTask(
  state: SimState,
  now: number,
  fields: Pick<SimTask, 'type' | 'level' | 'invokeId' | 'param' | 'regionId'>,
) {
  const task: SimTask = {
    ...fields,
    id: state.ids.task(),
    status: 'Waiting',
    childIds: [],
    createdAt: now,
    errorCode: '',
    errorMsg: '',
    seq: state.nextSeq(),
  };
  state.tasks.set(task.id, task);
  return task;
}

export function createBatch(
  state: SimState,
  now: number,
  type: TaskType,
  invokeId: string,
  instances: SimInstance[],
  param: string,
) {
  const regionId = instances[0]?.regionId ?? '';
  const parent = newTask(state, now, { type, level: 1, invokeId, param, regionId });
  const children = new Map<string, SimTask>();
  for (const instance of instances) {
    const child = newTask(state, now, { type, level: 2, invokeId, param, regionId: instance.regionId });
    child.parentId = parent.id;
    child.instanceId = instance.id;
    parent.childIds.push(child.id);
    children.set(instance.id, child);
  }
  return { parent, children } satisfies Batch;
}

export function markProcessing(state: SimState, child: SimTask, at: number): void {
  child.status = 'Processing';
  child.startedAt = at;
  const parent = child.parentId ? state.tasks.get(child.parentId) : undefined;
  if (parent?.status === 'Waiting') {
    parent.status = 'Processing';
    parent.startedAt = at;
  }
}

export function complete(state: SimState, child: SimTask, at: number, outcome: TaskOutcome): void {
  child.status = outcome.ok ? 'Finished' : 'Failed';
  child.finishedAt = at;
  if (!outcome.ok) {
    child.errorCode = outcome.code;
    child.errorMsg = outcome.message;
  }
  const parent = child.parentId ? state.tasks.get(child.parentId) : undefined;
  if (!parent) return;
  const siblings = parent.childIds.map((id) => state.tasks.get(id)).filter((task) => task !== undefined);
  if (!siblings.every(isTerminal)) return;
  state.timeline.schedule(at + state.config.timing.taskProcessMs, `aggregate ${parent.id}`, (end) => {
    const succeeded = siblings.filter((task) => task.status === 'Finished').length;
    const failed = siblings.length - succeeded;
    parent.status = failed === 0 ? 'Finished' : succeeded === 0 ? 'Failed' : 'PartFinished';
    parent.finishedAt = end;
  });
}

export function injected(failure: InjectedFailure): TaskOutcome {
  return { ok: false, code: failure.code, message: failure.message };
}
