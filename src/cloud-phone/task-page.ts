/**
 * A zod-free reader for DescribeTasks pages, the bot's hottest response: one page per 100 tracked tasks, every poll
 * cycle. zod's field-by-field parse allocates about 6 KB per task (640 KB per 100-task page, against 47 KB for the
 * JSON.parse before it), and with 10,000 tasks polled V8 starts allocating that short-lived garbage straight into the
 * old generation (allocation-site pretenuring): `npm run bench` saw the bot's peak RSS ~60 MB higher with zod here.
 *
 * The reader only takes what it is sure of, exactly as the schema would: a well-formed page, numbers given as numbers
 * or decimal strings. Anything else (a wrong type, a missing id) goes to the zod schema, which stays the one
 * definition of what is accepted, reads the odd items one by one and says which fields it could not use. A property test holds the two to the same output.
 */
import { DescribeTasksResponse, type ResponseParser, type Task, tidy } from './schema.js';

type Kind = 'string' | 'number';

/** The optional Task fields in the schema's output order (so logs and JSON look the same either way). */
const TASK_FIELDS: readonly (readonly [wire: string, key: string, kind: Kind])[] = [
  ['TaskType', 'type', 'string'],
  ['Level', 'level', 'number'],
  ['ParentTaskId', 'parentTaskId', 'string'],
  ['InstanceId', 'instanceId', 'string'],
  ['InstanceStatus', 'instanceStatus', 'string'],
  ['ErrorCode', 'errorCode', 'string'],
  ['ErrorMsg', 'errorMsg', 'string'],
  ['Result', 'result', 'string'],
  ['StartTime', 'startTime', 'string'],
  ['FinishTime', 'finishTime', 'string'],
  ['TotalChildCount', 'totalChildCount', 'number'],
  ['SuccessChildCount', 'successChildCount', 'number'],
  ['FailedChildCount', 'failedChildCount', 'number'],
  ['RunningChildCount', 'runningChildCount', 'number'],
  ['InvokeId', 'invokeId', 'string'],
];

/** Left for zod to judge. */
const UNSURE = Symbol('unsure');
const DECIMAL = /^-?\d+(\.\d+)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** schema.ts's OptString / OptNumber: absent, null and '' are "not given". */
function optional(value: unknown, kind: Kind): string | number | undefined | typeof UNSURE {
  if (value === undefined || value === null || value === '') return undefined;
  if (kind === 'string') return typeof value === 'string' ? value : UNSURE;
  if (typeof value === 'number') return Number.isFinite(value) ? value : UNSURE;
  if (typeof value !== 'string') return UNSURE;
  const trimmed = value.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : UNSURE;
}

/** schema.ts's Id: a non-empty string. */
function id(value: unknown): string | typeof UNSURE {
  return typeof value === 'string' && value !== '' ? value : UNSURE;
}

function readTask(raw: unknown): Task | typeof UNSURE {
  if (!isRecord(raw)) return UNSURE;
  const taskId = id(raw.TaskId);
  const status = id(raw.TaskStatus);
  if (taskId === UNSURE || status === UNSURE) return UNSURE;
  const task: Record<string, string | number> = { taskId, status };
  for (const [wire, key, kind] of TASK_FIELDS) {
    const value = optional(raw[wire], kind);
    if (value === UNSURE) return UNSURE;
    if (value !== undefined) task[key] = value;
  }
  return task as Task;
}

/** The page as DescribeTasksResponse would parse it, or undefined when zod should look at it. */
export function readTasksPage(json: unknown): DescribeTasksResponse | undefined {
  if (!isRecord(json)) return undefined;
  const requestId = id(json.RequestId);
  const totalCount = optional(json.TotalCount, 'number');
  const nextToken = optional(json.NextToken, 'string');
  // Read and checked like the schema does, though the page does not keep it.
  const maxResults = optional(json.MaxResults, 'number');
  if (requestId === UNSURE || totalCount === UNSURE || nextToken === UNSURE || maxResults === UNSURE) return undefined;
  const data = json.Data ?? [];
  if (!Array.isArray(data)) return undefined;
  const tasks: Task[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const task = readTask(data[i]);
    if (task === UNSURE) return undefined;
    tasks[i] = task;
  }
  return tidy({
    requestId,
    totalCount: totalCount as number | undefined,
    nextToken: nextToken as string | undefined,
    tasks,
    unusable: [],
  });
}

/** DescribeTasksResponse for the client: the reader first, zod for whatever the reader leaves. */
export const describeTasksParser: ResponseParser<DescribeTasksResponse> = {
  safeParse(json) {
    const page = readTasksPage(json);
    return page === undefined ? DescribeTasksResponse.safeParse(json) : { success: true, data: page };
  },
};
