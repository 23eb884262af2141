/**
 * DescribeTasks (§3.7). Quirks reproduced: `TaskStatus` is CamelCase and there is no `Status`; `Result` is a
 * Python-repr string (`{"Success": True}`), not JSON; errors are `ErrorCode`/`ErrorMsg`; times are ISO 8601 UTC.
 * Fields that do not apply yet (StartTime while Waiting, ErrorCode on success, …) are left out.
 */
import { isoTime } from '../format.js';
import { paginate } from '../pagination.js';
import { type SimState, type SimTask, TASK_STATUSES } from '../state.js';
import { isTerminal } from '../tasks.js';
import { fuzzyMatch, type Operation } from './operation.js';

function counts(task: SimTask, state: SimState) {
  const children = task.childIds.map((id) => state.tasks.get(id)).filter((child) => child !== undefined);
  const success = children.filter((child) => child.status === 'Finished').length;
  const failed = children.filter((child) => child.status === 'Failed').length;
  return {
    TotalChildCount: children.length,
    SuccessChildCount: success,
    FailedChildCount: failed,
    RunningChildCount: children.filter((child) => !isTerminal(child)).length,
  };
}

export function taskModel(task: SimTask, state: SimState) {
  const instance = task.instanceId ? state.instances.get(task.instanceId) : undefined;
  const batch = task.level === 1;
  return {
    TaskId: task.id,
    TaskType: task.type,
    TaskStatus: task.status,
    Level: task.level,
    ParentTaskId: task.parentId,
    ...(batch ? counts(task, state) : {}),
    InstanceId: task.instanceId,
    InstanceName: instance?.name,
    InstanceStatus: instance?.status,
    ResourceId: task.instanceId,
    InvokeId: task.invokeId,
    Result: !batch && isTerminal(task) ? `{"Success": ${task.status === 'Finished' ? 'True' : 'False'}}` : undefined,
    ErrorCode: task.errorCode || undefined,
    ErrorMsg: task.errorMsg || undefined,
    StartTime: task.startedAt === undefined ? undefined : isoTime(task.startedAt),
    FinishTime: task.finishedAt === undefined ? undefined : isoTime(task.finishedAt),
    Param: task.param,
    RegionId: task.regionId,
  };
}

export const describeTasks: Operation = {
  mutating: false,
  run({ params, state }) {
    const taskIds = params.list('TaskIds', { max: 100 });
    const resourceIds = params.list('ResourceIds', { max: 100 });
    const taskTypes = params.list('TaskTypes', { max: 100 });
    const taskStatuses = params.listOf('TaskStatuses', TASK_STATUSES, { max: 100 });
    const taskType = params.string('TaskType');
    const taskStatus = params.oneOf('TaskStatus', TASK_STATUSES);
    const parentId = params.string('ParentTaskId');
    const invokeId = params.string('InvokeId');
    const instanceId = params.string('InstanceId');
    const instanceName = params.string('InstanceName');
    const level =
      params.string('Level') === undefined ? undefined : params.int('Level', { min: 1, max: 2, default: 1 });
    // The metadata allows 0–100 (the docs say 1–100); 0 is taken as "no preference", i.e. the default.
    const maxResults = params.int('MaxResults', { min: 0, max: 100, default: 10 }) || 10;

    const matches = [...state.tasks.values()].filter((task) => {
      const name = task.instanceId ? (state.instances.get(task.instanceId)?.name ?? '') : '';
      return (
        (taskIds.length === 0 || taskIds.includes(task.id)) &&
        (resourceIds.length === 0 || (task.instanceId !== undefined && resourceIds.includes(task.instanceId))) &&
        (taskTypes.length === 0 || taskTypes.includes(task.type)) &&
        (taskStatuses.length === 0 || taskStatuses.includes(task.status)) &&
        (taskType === undefined || task.type === taskType) &&
        (taskStatus === undefined || task.status === taskStatus) &&
        (parentId === undefined || task.parentId === parentId) &&
        (invokeId === undefined || task.invokeId === invokeId) &&
        (instanceId === undefined || task.instanceId === instanceId) &&
        (instanceName === undefined || (name !== '' && fuzzyMatch(name, instanceName))) &&
        (level === undefined || task.level === level)
      );
    });
    const page = paginate(matches, (task) => task.seq, {
      scope: 'DescribeTasks',
      direction: 'desc',
      maxResults,
      nextToken: params.string('NextToken'),
    });
    return {
      TotalCount: page.totalCount,
      NextToken: page.nextToken,
      Data: page.items.map((task) => taskModel(task, state)),
    };
  },
};
