import { describe, expect, it } from 'vitest';
import {
  BackupAppResult,
  DescribeAndroidInstancesResponse,
  DescribeBackupFilesResponse,
  DescribeTasksResponse,
  ErrorBody,
  type Instance,
  isTerminalTaskStatus,
  RecoverAppResult,
  RequestIdResult,
  RunSyncCommandResponse,
  type Task,
  TERMINAL_TASK_STATUSES,
  UNREADABLE_STATUS,
} from '../../../src/cloud-phone/schema.js';

describe('domain types', () => {
  it('have optional keys for optional fields, so other code (and the simulator) can build them', () => {
    const instance: Instance = { instanceId: 'acp-1', status: 'RUNNING' };
    const task: Task = { taskId: 't-1', status: 'Processing', level: 2 };
    expect([instance.name, task.result]).toEqual([undefined, undefined]);
  });
});

describe('DescribeAndroidInstancesResponse', () => {
  it('maps the fields we read to camelCase and coerces Cpu sent as a string', () => {
    const parsed = DescribeAndroidInstancesResponse.parse({
      RequestId: 'req-1',
      TotalCount: 1,
      NextToken: '',
      InstanceModel: [
        {
          AndroidInstanceId: 'acp-1',
          AndroidInstanceName: 'phone one',
          AndroidInstanceStatus: 'RUNNING',
          ImageId: 'imgc-1',
          ImageVersion: '3.5.3.867',
          InstanceType: 'acp.basic.small',
          BizImageType: 'System',
          ServerType: 'cpm.gx7.10xlarge',
          SystemVersion: 'Android 11',
          Rate: 40,
          ErrorCode: 'FilePathNotFound',
          RegionId: 'cn-hangzhou',
          AndroidInstanceGroupId: 'ag-1',
          Cpu: '4',
          Memory: 8192,
          Disks: [{ DiskSize: 32 }],
        },
      ],
    });
    expect(parsed).toEqual({
      requestId: 'req-1',
      totalCount: 1,
      nextToken: undefined,
      instances: [
        {
          instanceId: 'acp-1',
          name: 'phone one',
          status: 'RUNNING',
          imageId: 'imgc-1',
          imageVersion: '3.5.3.867',
          instanceType: 'acp.basic.small',
          bizImageType: 'System',
          serverType: 'cpm.gx7.10xlarge',
          systemVersion: 'Android 11',
          rate: 40,
          errorCode: 'FilePathNotFound',
          regionId: 'cn-hangzhou',
          instanceGroupId: 'ag-1',
          cpu: 4,
        },
      ],
      unusable: [],
    });
  });

  it('accepts a minimal instance, TotalCount as a string, and a missing InstanceModel on an empty page', () => {
    const one = DescribeAndroidInstancesResponse.parse({
      RequestId: 'r',
      TotalCount: '1',
      NextToken: 'tok',
      InstanceModel: [{ AndroidInstanceId: 'acp-1', AndroidInstanceStatus: 'STOPPED', Rate: null, ImageId: '' }],
    });
    expect(one.totalCount).toBe(1);
    expect(one.nextToken).toBe('tok');
    // Absent, null and empty fields are simply not there.
    expect(one.instances[0]).toStrictEqual({ instanceId: 'acp-1', status: 'STOPPED' });
    expect(DescribeAndroidInstancesResponse.parse({ RequestId: 'r' }).instances).toEqual([]);
    expect(DescribeAndroidInstancesResponse.parse({ RequestId: 'r', InstanceModel: null }).instances).toEqual([]);
  });

  it('fails a page without RequestId or with a list that is not a list', () => {
    expect(DescribeAndroidInstancesResponse.safeParse({ InstanceModel: [] }).success).toBe(false);
    expect(DescribeAndroidInstancesResponse.safeParse({ RequestId: 'r', InstanceModel: 'acp-1' }).success).toBe(false);
  });

  it('uses the rest of the page when one instance is odd: Cpu "4C" is dropped, an instance without id set aside', () => {
    const parsed = DescribeAndroidInstancesResponse.parse({
      RequestId: 'r',
      InstanceModel: [
        { AndroidInstanceId: 'acp-1', AndroidInstanceStatus: 'RUNNING', Cpu: '4C' },
        { AndroidInstanceStatus: 'RUNNING' },
        { AndroidInstanceId: 'acp-3', AndroidInstanceStatus: 7 },
        'acp-4',
        { AndroidInstanceId: 'acp-5', AndroidInstanceStatus: 'HIBERNATING' },
      ],
    });
    expect(parsed.instances).toStrictEqual([
      { instanceId: 'acp-1', status: 'RUNNING' },
      { instanceId: 'acp-3', status: UNREADABLE_STATUS },
      // A status the bot does not know is kept as it came.
      { instanceId: 'acp-5', status: 'HIBERNATING' },
    ]);
    expect(parsed.unusable).toEqual([
      { field: 'Cpu', id: 'acp-1', kept: true },
      { field: 'AndroidInstanceId', kept: false },
      { field: 'AndroidInstanceStatus', id: 'acp-3', kept: true },
      { field: '(item)', kept: false },
    ]);
  });
});

describe('DescribeTasksResponse', () => {
  const task = {
    TaskId: 't-1',
    TaskStatus: 'Finished',
    TaskType: 'BackupFile',
    Level: 2,
    ParentTaskId: 't-0',
    InstanceId: 'acp-1',
    InstanceStatus: 'RUNNING',
    ErrorCode: 'SendFileFailed',
    ErrorMsg: 'connect error.',
    Result: '{"Success": True}',
    StartTime: '2022-10-11T08:53:32Z',
    FinishTime: '2022-10-11T08:55:32Z',
    TotalChildCount: 3,
    SuccessChildCount: '2',
    FailedChildCount: 1,
    RunningChildCount: 0,
    InvokeId: 'req-stop',
    Operator: 'someone',
  };

  it('keeps Result as the raw (non-JSON) string and maps the counters', () => {
    const parsed = DescribeTasksResponse.parse({ RequestId: 'r', TotalCount: '1', NextToken: '', Data: [task] });
    expect(parsed.totalCount).toBe(1);
    expect(parsed.nextToken).toBeUndefined();
    expect(parsed.tasks).toEqual([
      {
        taskId: 't-1',
        status: 'Finished',
        type: 'BackupFile',
        level: 2,
        parentTaskId: 't-0',
        instanceId: 'acp-1',
        instanceStatus: 'RUNNING',
        errorCode: 'SendFileFailed',
        errorMsg: 'connect error.',
        result: '{"Success": True}',
        startTime: '2022-10-11T08:53:32Z',
        finishTime: '2022-10-11T08:55:32Z',
        totalChildCount: 3,
        successChildCount: 2,
        failedChildCount: 1,
        runningChildCount: 0,
        invokeId: 'req-stop',
      },
    ]);
  });

  it('accepts a task with only id and status; a task with no TaskStatus is kept as unreadable, never finished', () => {
    const minimal = DescribeTasksResponse.parse({ RequestId: 'r', Data: [{ TaskId: 't', TaskStatus: 'Waiting' }] });
    expect(minimal.tasks[0]).toStrictEqual({ taskId: 't', status: 'Waiting' });
    const odd = DescribeTasksResponse.parse({
      RequestId: 'r',
      Data: [
        { TaskId: 't', Status: 'Finished' },
        { TaskId: 'u', TaskStatus: '' },
        { ...task, Result: 1 },
      ],
    });
    expect(odd.tasks.map((t) => [t.taskId, t.status])).toEqual([
      ['t', UNREADABLE_STATUS],
      ['u', UNREADABLE_STATUS],
      ['t-1', 'Finished'],
    ]);
    expect(odd.tasks[2]?.result).toBeUndefined();
    expect(isTerminalTaskStatus(UNREADABLE_STATUS)).toBe(false);
    expect(odd.unusable).toEqual([
      { field: 'TaskStatus', id: 't', kept: true },
      { field: 'TaskStatus', id: 'u', kept: true },
      { field: 'Result', id: 't-1', kept: true },
    ]);
  });

  it('knows the terminal statuses', () => {
    expect([...TERMINAL_TASK_STATUSES].sort()).toEqual(['Failed', 'Finished', 'PartFinished', 'Skipped']);
    for (const status of ['Finished', 'PartFinished', 'Failed', 'Skipped'])
      expect(isTerminalTaskStatus(status)).toBe(true);
    for (const status of ['Waiting', 'Processing', 'finished', '']) expect(isTerminalTaskStatus(status)).toBe(false);
  });
});

describe('DescribeBackupFilesResponse', () => {
  it('maps SourceAppInfoList to apps, FileSize to sizeBytes, and takes MaxResults as a string', () => {
    const parsed = DescribeBackupFilesResponse.parse({
      RequestId: 'r',
      TotalCount: 1,
      NextToken: 'next',
      MaxResults: '10',
      Data: [
        {
          BackupFileId: 'bf-1',
          BackupFileName: 'MyBackup.ab',
          BackupFilePath: 'oss://cloudphone-saved-bucket-x/dir/acp-1_2024.ab',
          AndroidInstanceId: 'acp-1',
          AndroidInstanceName: 'phone',
          Status: 'AVAILABLE',
          FileSize: 10227168,
          SourceAppInfoList: ['com.a', 'com.b'],
          SourceFilePathList: [],
          UploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
          UploadType: 'OSS',
          Description: 'nightly',
          TaskId: 't-9',
          GmtCreated: '2024-05-15 17:33:59',
          RegionId: 'cn-shanghai',
          BackupAll: false,
        },
      ],
    });
    expect(parsed.maxResults).toBe(10);
    expect(parsed.nextToken).toBe('next');
    expect(parsed.backupFiles).toEqual([
      {
        backupFileId: 'bf-1',
        backupFileName: 'MyBackup.ab',
        backupFilePath: 'oss://cloudphone-saved-bucket-x/dir/acp-1_2024.ab',
        instanceId: 'acp-1',
        instanceName: 'phone',
        status: 'AVAILABLE',
        sizeBytes: 10227168,
        apps: ['com.a', 'com.b'],
        uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
        description: 'nightly',
        taskId: 't-9',
        gmtCreated: '2024-05-15 17:33:59',
        regionId: 'cn-shanghai',
      },
    ]);
  });

  it('defaults apps to [] when SourceAppInfoList is missing; drops a non-array one; fails a bad MaxResults', () => {
    const parsed = DescribeBackupFilesResponse.parse({
      RequestId: 'r',
      Data: [{ BackupFileId: 'bf-1', Status: 'BACKUPING', FileSize: '12' }],
    });
    expect(parsed.backupFiles[0]).toStrictEqual({ backupFileId: 'bf-1', status: 'BACKUPING', apps: [], sizeBytes: 12 });
    const bad = { RequestId: 'r', Data: [{ BackupFileId: 'bf-1', Status: 'AVAILABLE', SourceAppInfoList: 'com.a' }] };
    expect(DescribeBackupFilesResponse.parse(bad)).toMatchObject({
      backupFiles: [{ backupFileId: 'bf-1', status: 'AVAILABLE', apps: [] }],
      unusable: [{ field: 'SourceAppInfoList', id: 'bf-1', kept: true }],
    });
    const badMax = { RequestId: 'r', MaxResults: 'ten', Data: [] };
    expect(DescribeBackupFilesResponse.safeParse(badMax).success).toBe(false);
  });
});

describe('BackupAppResult and RecoverAppResult', () => {
  it('maps BackupApp Data to items', () => {
    const parsed = BackupAppResult.parse({
      RequestId: 'r',
      TaskId: 't-batch',
      Count: 1,
      Data: [{ AndroidInstanceId: 'acp-1', BackupFileId: 'bf-1', BackupFileName: 'MyBackup', TaskId: 't-1' }],
    });
    expect(parsed).toEqual({
      requestId: 'r',
      taskId: 't-batch',
      count: 1,
      items: [{ instanceId: 'acp-1', backupFileId: 'bf-1', backupFileName: 'MyBackup', taskId: 't-1' }],
      unusable: [],
    });
  });

  it('keeps a BackupApp item without BackupFileId, and sets aside one without a task', () => {
    const parsed = BackupAppResult.parse({
      RequestId: 'r',
      TaskId: 't-batch',
      Data: [
        { AndroidInstanceId: 'acp-1', TaskId: 't-1' },
        { AndroidInstanceId: 'acp-2', BackupFileId: 'bf-2', TaskId: 't-2' },
        { AndroidInstanceId: 'acp-3', BackupFileId: 'bf-3' },
      ],
    });
    expect(parsed.items).toStrictEqual([
      { instanceId: 'acp-1', backupFileName: '', taskId: 't-1' },
      { instanceId: 'acp-2', backupFileId: 'bf-2', backupFileName: '', taskId: 't-2' },
    ]);
    expect(parsed.unusable).toEqual([{ field: 'TaskId', id: 'acp-3', kept: false }]);
  });

  it('takes Count as a string, or derives it from Data when missing', () => {
    const item = { AndroidInstanceId: 'acp-1', BackupFileId: 'bf-1', BackupFileName: 'x', TaskId: 't-1' };
    expect(BackupAppResult.parse({ RequestId: 'r', TaskId: 't', Count: '1', Data: [item] }).count).toBe(1);
    expect(BackupAppResult.parse({ RequestId: 'r', TaskId: 't', Data: [item, item] }).count).toBe(2);
  });

  it('rejects the 2024 shape where Data was a string, and a missing TaskId', () => {
    expect(BackupAppResult.safeParse({ RequestId: 'r', TaskId: 't', Count: 1, Data: '[]' }).success).toBe(false);
    expect(BackupAppResult.safeParse({ RequestId: 'r', Count: 0, Data: [] }).success).toBe(false);
  });

  it('maps RecoverApp Data to items', () => {
    const parsed = RecoverAppResult.parse({
      RequestId: 'r',
      TaskId: 't-batch',
      Count: 2,
      Data: [
        { AndroidInstanceId: 'acp-1', TaskId: 't-1' },
        { AndroidInstanceId: 'acp-2', TaskId: 't-2' },
      ],
    });
    expect(parsed).toEqual({
      requestId: 'r',
      taskId: 't-batch',
      count: 2,
      items: [
        { instanceId: 'acp-1', taskId: 't-1' },
        { instanceId: 'acp-2', taskId: 't-2' },
      ],
      unusable: [],
    });
    expect(RecoverAppResult.parse({ RequestId: 'r', TaskId: 't', Data: [{ AndroidInstanceId: 'a' }] })).toMatchObject({
      items: [],
      unusable: [{ field: 'TaskId', id: 'a', kept: false }],
    });
  });
});

describe('RequestIdResult, RunSyncCommandResponse, ErrorBody', () => {
  it('needs a RequestId', () => {
    expect(RequestIdResult.parse({ RequestId: 'r-1' })).toEqual({ requestId: 'r-1' });
    expect(RequestIdResult.safeParse({}).success).toBe(false);
    expect(RequestIdResult.safeParse({ RequestId: 7 }).success).toBe(false);
  });

  it('parses RunSyncCommand output with TotalCount as a string and a missing Output', () => {
    const parsed = RunSyncCommandResponse.parse({
      RequestId: 'r',
      TotalCount: '2',
      Data: [
        { InstanceId: 'acp-1', InvocationId: 'i-1', InvocationStatus: 'SUCCESS', Output: 'package:com.a\n' },
        { InstanceId: 'acp-2', InvocationStatus: 'FAILED' },
      ],
    });
    expect(parsed).toEqual({
      requestId: 'r',
      totalCount: 2,
      outputs: [
        { instanceId: 'acp-1', invocationStatus: 'SUCCESS', output: 'package:com.a\n' },
        { instanceId: 'acp-2', invocationStatus: 'FAILED', output: '' },
      ],
      unusable: [],
    });
  });

  it('parses an error body, all fields optional', () => {
    expect(
      ErrorBody.parse({
        RequestId: 'r',
        HostId: 'eds-aic.cn-shanghai.aliyuncs.com',
        Code: 'Throttling.User',
        Message: 'Request was denied due to user flow control.',
        Recommend: 'https://api.aliyun.com/troubleshoot?q=Throttling.User',
        AccessDeniedDetail: null,
      }),
    ).toEqual({
      requestId: 'r',
      hostId: 'eds-aic.cn-shanghai.aliyuncs.com',
      code: 'Throttling.User',
      message: 'Request was denied due to user flow control.',
      recommend: 'https://api.aliyun.com/troubleshoot?q=Throttling.User',
    });
    expect(ErrorBody.parse({})).toStrictEqual({});
  });
});
