/**
 * The response parsers against anything the service could send, field by field from the official SDK's models
 * (eds-aic 2023-09-30: DescribeTasksResponseBodyData, DescribeAndroidInstancesResponseBodyInstanceModel,
 * DescribeBackupFilesResponseBodyData, BackupAppResponseBodyData, RunSyncCommandResponseBodyData), where every field
 * is optional: any subset of fields, each of any type. Never a crash, never a lost item: an item whose id can be read
 * comes back, and a task is reported in an end state only when the service said exactly that.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BackupAppResult,
  DescribeAndroidInstancesResponse,
  DescribeBackupFilesResponse,
  isTerminalTaskStatus,
  RunSyncCommandResponse,
} from '../../../src/cloud-phone/schema.js';
import { describeTasksParser } from '../../../src/cloud-phone/task-page.js';

const SDK_MODELS = {
  task: [
    'TaskId',
    'TaskStatus',
    'TaskType',
    'Level',
    'ParentTaskId',
    'InstanceId',
    'InstanceStatus',
    'InstanceType',
    'ErrorCode',
    'ErrorMsg',
    'Result',
    'StartTime',
    'FinishTime',
    'TotalChildCount',
    'SuccessChildCount',
    'FailedChildCount',
    'RunningChildCount',
    'InvokeId',
    'Operator',
    'Param',
  ],
  instance: [
    'AndroidInstanceId',
    'AndroidInstanceName',
    'AndroidInstanceStatus',
    'AndroidInstanceGroupId',
    'ImageId',
    'ImageVersion',
    'InstanceType',
    'BizImageType',
    'ServerType',
    'SystemVersion',
    'Rate',
    'ErrorCode',
    'RegionId',
    'Cpu',
    'Memory',
    'Disks',
  ],
  backupFile: [
    'BackupFileId',
    'BackupFileName',
    'BackupFilePath',
    'AndroidInstanceId',
    'AndroidInstanceName',
    'Status',
    'FileSize',
    'SourceAppInfoList',
    'UploadEndpoint',
    'Description',
    'TaskId',
    'GmtCreated',
    'RegionId',
    'BackupAll',
  ],
  backupApp: ['AndroidInstanceId', 'BackupFileId', 'BackupFileName', 'TaskId'],
  command: ['InstanceId', 'InvocationId', 'InvocationStatus', 'Output', 'StartTime', 'FinishTime'],
};

/** Any JSON value, weighted towards the kinds the service sends (strings, numbers, numeric strings). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 8 }), weight: 4 },
  { arbitrary: fc.constantFrom('Finished', 'Failed', 'Processing', 'RUNNING', 'STOPPED', '4C', ' 12 ', ''), weight: 4 },
  { arbitrary: fc.integer(), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

/** An item with any subset of the model's fields, each of any type; now and then not an object at all. */
function item(fields: readonly string[]): fc.Arbitrary<unknown> {
  const record = fc.record(Object.fromEntries(fields.map((field) => [field, anyValue])), { requiredKeys: [] });
  return fc.oneof({ arbitrary: record, weight: 9 }, { arbitrary: anyValue, weight: 1 });
}

function page(listKey: string, fields: readonly string[]) {
  return fc.record({
    RequestId: fc.constant('req-fuzz'),
    NextToken: fc.constantFrom(undefined, '', null),
    [listKey]: fc.array(item(fields), { maxLength: 12 }),
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const idOf = (raw: unknown, key: string) =>
  isRecord(raw) && typeof raw[key] === 'string' && raw[key] !== '' ? (raw[key] as string) : undefined;

const RUNS = { numRuns: 400 };

describe('parsing any subset of the SDK model fields, of any type', () => {
  it('DescribeTasks: never fails the page, never loses a task, never finishes one the service did not', () => {
    fc.assert(
      fc.property(page('Data', SDK_MODELS.task), (wire) => {
        const parsed = describeTasksParser.safeParse(wire);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const items = wire.Data as unknown[];
        const expectedIds = items.map((raw) => idOf(raw, 'TaskId')).filter((id) => id !== undefined);
        expect(parsed.data.tasks.map((task) => task.taskId)).toEqual(expectedIds);
        const kept = items.filter((raw) => idOf(raw, 'TaskId') !== undefined) as Record<string, unknown>[];
        parsed.data.tasks.forEach((task, i) => {
          if (isTerminalTaskStatus(task.status)) expect(kept[i]?.TaskStatus).toBe(task.status);
          expect(typeof task.status).toBe('string');
          expect(task.status).not.toBe('');
        });
        // Everything set aside or read in part is reported.
        const odd = items.filter((raw) => !isRecord(raw) || idOf(raw, 'TaskId') === undefined).length;
        expect(parsed.data.unusable.filter((u) => !u.kept)).toHaveLength(odd);
      }),
      RUNS,
    );
  });

  it('DescribeAndroidInstances: every instance with a readable id comes back, with a status to show', () => {
    fc.assert(
      fc.property(page('InstanceModel', SDK_MODELS.instance), (wire) => {
        const parsed = DescribeAndroidInstancesResponse.safeParse(wire);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const expectedIds = (wire.InstanceModel as unknown[])
          .map((raw) => idOf(raw, 'AndroidInstanceId'))
          .filter((id) => id !== undefined);
        expect(parsed.data.instances.map((i) => i.instanceId)).toEqual(expectedIds);
        for (const instance of parsed.data.instances) expect(instance.status).not.toBe('');
      }),
      RUNS,
    );
  });

  it('DescribeBackupFiles: every file with a readable id comes back', () => {
    fc.assert(
      fc.property(page('Data', SDK_MODELS.backupFile), (wire) => {
        const parsed = DescribeBackupFilesResponse.safeParse(wire);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const expectedIds = (wire.Data as unknown[])
          .map((raw) => idOf(raw, 'BackupFileId'))
          .filter((id) => id !== undefined);
        expect(parsed.data.backupFiles.map((f) => f.backupFileId)).toEqual(expectedIds);
      }),
      RUNS,
    );
  });

  it('BackupApp: every instance with a readable id and task is tracked, BackupFileId or not', () => {
    const answer = fc.record({
      RequestId: fc.constant('req-fuzz'),
      TaskId: fc.constant('t-batch'),
      Data: fc.array(item(SDK_MODELS.backupApp), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(answer, (wire) => {
        const parsed = BackupAppResult.safeParse(wire);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const expected = wire.Data.filter(
          (raw) => idOf(raw, 'AndroidInstanceId') !== undefined && idOf(raw, 'TaskId') !== undefined,
        ).map((raw) => [idOf(raw, 'AndroidInstanceId'), idOf(raw, 'TaskId')]);
        expect(parsed.data.items.map((i) => [i.instanceId, i.taskId])).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('RunSyncCommand: an output reads as a success only when the service said so', () => {
    fc.assert(
      fc.property(page('Data', SDK_MODELS.command), (wire) => {
        const parsed = RunSyncCommandResponse.safeParse(wire);
        expect(parsed.success).toBe(true);
        if (!parsed.success) return;
        const kept = (wire.Data as unknown[]).filter((r) => idOf(r, 'InstanceId') !== undefined) as Record<
          string,
          unknown
        >[];
        parsed.data.outputs.forEach((output, i) => {
          if (output.invocationStatus.toUpperCase() === 'SUCCESS') {
            expect(kept[i]?.InvocationStatus).toBe(output.invocationStatus);
          }
        });
      }),
      RUNS,
    );
  });
});
