import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DescribeTasksResponse, UNREADABLE_STATUS } from '../../../src/cloud-phone/schema.js';
import { describeTasksParser, readTasksPage } from '../../../src/cloud-phone/task-page.js';
import { taskModel } from '../../../src/sandbox/simulator/operations/describe-tasks.js';
import type { SimState, SimTask } from '../../../src/sandbox/simulator/state.js';

const STRING_FIELDS = ['TaskType', 'ParentTaskId', 'InstanceId', 'InstanceStatus', 'ErrorCode', 'ErrorMsg', 'Result'];
const MORE_STRINGS = ['StartTime', 'FinishTime', 'InvokeId'];
const NUMBER_FIELDS = ['Level', 'TotalChildCount', 'SuccessChildCount', 'FailedChildCount', 'RunningChildCount'];

/** Values the service sends, sloppy ones included, and some it should never send. */
const anyValue = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.constant('  '),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 500 }),
  fc.integer({ min: -5, max: 500 }).map((n) => ` ${n} `),
  fc.constantFrom('1.5', '-0', '1e3', '0x10', '12abc'),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
);
/** Mostly what a field should hold, sometimes anything: both the reader's own path and the fallback get exercised. */
const mostly = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: anyValue, weight: 1 });
const text = mostly(fc.oneof(fc.constant(null), fc.constant(''), fc.string({ maxLength: 6 })));
const count = mostly(
  fc.oneof(
    fc.constant(null),
    fc.integer({ min: 0, max: 500 }),
    fc.nat(500).map((n) => `${n}`),
  ),
);
const ident = mostly(fc.string({ minLength: 1, maxLength: 8 }));
const fields = (names: string[], value: fc.Arbitrary<unknown>) => Object.fromEntries(names.map((k) => [k, value]));
const wireTask = fc.record(
  {
    TaskId: ident,
    TaskStatus: ident,
    ...fields([...STRING_FIELDS, ...MORE_STRINGS], text),
    ...fields(NUMBER_FIELDS, count),
    Operator: anyValue,
  },
  { requiredKeys: ['TaskId', 'TaskStatus'] },
);
const wirePage = fc.record(
  {
    RequestId: ident,
    TotalCount: count,
    NextToken: text,
    MaxResults: count,
    Data: mostly(fc.array(wireTask, { maxLength: 4 })),
  },
  { requiredKeys: [] },
);

describe('readTasksPage (DescribeTasks without zod)', () => {
  it('reads exactly what DescribeTasksResponse parses, key order included, and leaves the rest to it', () => {
    let read = 0;
    fc.assert(
      fc.property(wirePage, (json) => {
        const zod = DescribeTasksResponse.safeParse(json);
        const page = readTasksPage(json);
        if (page !== undefined) {
          read++;
          expect(zod.success).toBe(true);
          expect(page).toStrictEqual(zod.data);
          expect(JSON.stringify(page)).toBe(JSON.stringify(zod.data));
        }
        const parsed = describeTasksParser.safeParse(json);
        expect(parsed.success).toBe(zod.success);
        if (parsed.success) expect(parsed.data).toStrictEqual(zod.data);
      }),
      { numRuns: 2_000 },
    );
    // The generator must reach the reader's own path, not only the fallback.
    expect(read).toBeGreaterThan(200);
  });

  it('reads the pages the simulator sends, sloppy numbers and empty fields included', () => {
    const task = (id: string) => {
      const simTask: SimTask = {
        id,
        seq: 1,
        type: 'BackupFile',
        status: 'Processing',
        level: 2,
        parentId: 't-parent',
        instanceId: 'acp-1',
        invokeId: 'req-1',
        childIds: [],
        createdAt: 0,
        startedAt: 1_700_000_000_000,
        errorCode: '',
        errorMsg: '',
        param: '{"SourceAppList":["com.example.app"]}',
        regionId: 'cn-shanghai',
      };
      // An instance-level task reads only these two maps of the simulator's state.
      return taskModel(simTask, { instances: new Map(), tasks: new Map() } as unknown as SimState);
    };
    const json = JSON.parse(
      JSON.stringify({
        RequestId: 'r-1',
        TotalCount: '2',
        MaxResults: 100,
        NextToken: '',
        Data: [task('t-1'), { ...task('t-2'), ErrorCode: '', ErrorMsg: null, Level: ' 2 ' }],
      }),
    );
    const page = readTasksPage(json);
    expect(page).toBeDefined();
    expect(page).toStrictEqual(DescribeTasksResponse.parse(json));
    expect(page?.tasks.map((t) => [t.taskId, t.status, t.level])).toEqual([
      ['t-1', 'Processing', 2],
      ['t-2', 'Processing', 2],
    ]);
  });

  it("a page with an odd task gets zod's item-by-item reading: the task kept, its status unreadable", () => {
    const parsed = describeTasksParser.safeParse({ RequestId: 'r', Data: [{ TaskId: 't-1', TaskStatus: 7 }] });
    expect(parsed.success).toBe(true);
    if (parsed.success) {
      expect(parsed.data.tasks).toEqual([{ taskId: 't-1', status: UNREADABLE_STATUS }]);
      expect(parsed.data.unusable).toEqual([{ field: 'TaskStatus', id: 't-1', kept: true }]);
    }
    const broken = describeTasksParser.safeParse({ RequestId: 'r', Data: 'tasks' });
    expect(broken.success).toBe(false);
    if (!broken.success) expect(broken.error.issues[0]?.path).toEqual(['Data']);
  });
});
