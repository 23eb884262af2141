import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParamValue } from '../../src/cloud-phone/sign.js';
import { callSimulator, type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';

const TIMING = {
  stopMs: 100,
  startMs: 100,
  taskWaitMs: 10,
  taskProcessMs: 5,
  backupMs: 200,
  recoverMs: 150,
  deleteMs: 50,
};
const DONE = 10_000; // longer than any operation takes with TIMING
const DIR = 'oss://cloudphone-saved-bucket-ops/backups/';
const ENDPOINT = 'oss-cn-shanghai-internal.aliyuncs.com';

let sim: Simulator;
beforeEach(async () => {
  // A frozen base clock: time moves only through sim.advance(), so in-between states are observable.
  const frozen = Date.now();
  sim = await startSimulator({ timing: TIMING, runningBackupFailureRate: 0, seed: 'operations', now: () => frozen });
});
afterEach(() => sim.close());

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type Body = Record<string, any>;
async function call(action: string, params: Record<string, ParamValue> = {}) {
  const response = await callSimulator(sim, action, params);
  return { status: response.status, body: response.body as Body };
}
async function ok(action: string, params: Record<string, ParamValue> = {}) {
  const response = await call(action, params);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}
async function refused(action: string, params: Record<string, ParamValue>) {
  const response = await call(action, params);
  return `${response.status} ${response.body.Code}`;
}
const idOf = (name: string) => [...sim.state.instances.values()].find((instance) => instance.name === name)!.id;
const statusOf = (name: string) => sim.state.instances.get(idOf(name))!.status;
const many = (n: number, prefix = 'acp-x') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const backupParams = (ids: string[], apps = ['com.tencent.mm']) => ({
  AndroidInstanceIdList: ids,
  SourceAppList: apps,
  BackupFilePath: DIR,
  UploadEndpoint: ENDPOINT,
});

describe('DescribeAndroidInstances', () => {
  it('lists the default fleet newest first with the documented field types', async () => {
    const body = await ok('DescribeAndroidInstances');
    expect(body.TotalCount).toBe(8);
    expect(body.NextToken).toBe('');
    expect(body.InstanceModel.map((i: Body) => i.AndroidInstanceName)).toEqual([
      'beta-01',
      'sales-01',
      'qa-02',
      'qa-01',
      'support-04',
      'support-03',
      'support-02',
      'support-01',
    ]);
    const phone = body.InstanceModel.find((i: Body) => i.AndroidInstanceName === 'support-01');
    expect(phone).toMatchObject({
      AndroidInstanceId: expect.stringMatching(/^acp-[a-z0-9]{17}$/),
      AndroidInstanceStatus: 'RUNNING',
      AndroidInstanceGroupId: expect.stringMatching(/^ag-/),
      ImageId: expect.stringMatching(/^imgc-/),
      ImageVersion: '3.5.3.867',
      BizImageType: 'System',
      InstanceType: 'acp.basic.small',
      ServerType: 'cpm.gx7.10xlarge',
      Cpu: '2',
      Memory: 4096,
      Rate: 0,
      ErrorCode: '',
      GmtCreate: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      GmtExpired: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
    });
  });

  it('filters by ids, status and group; unknown ids simply match nothing', async () => {
    const byIds = await ok('DescribeAndroidInstances', { AndroidInstanceIds: [idOf('qa-01'), 'acp-doesnotexist'] });
    expect(byIds.InstanceModel.map((i: Body) => i.AndroidInstanceName)).toEqual(['qa-01']);
    const stopped = await ok('DescribeAndroidInstances', { Status: 'STOPPED' });
    expect(stopped.TotalCount).toBe(3);
    const group = sim.state.instances.get(idOf('qa-01'))!.groupId;
    expect((await ok('DescribeAndroidInstances', { InstanceGroupId: group })).TotalCount).toBe(2);
    expect((await ok('DescribeAndroidInstances', { AndroidInstanceName: 'SUPPORT' })).TotalCount).toBe(4);
  });

  it('pages with MaxResults and NextToken, in either order', async () => {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await ok('DescribeAndroidInstances', { MaxResults: 3, NextToken: token, SortType: 'ASC' });
      expect(page.TotalCount).toBe(8);
      names.push(...page.InstanceModel.map((i: Body) => i.AndroidInstanceName));
      token = page.NextToken || undefined;
    } while (token);
    expect(names).toHaveLength(8);
    expect(names[0]).toBe('support-01');
    expect(new Set(names).size).toBe(8);
  });

  it.each<[string, Record<string, ParamValue>]>([
    ['an unknown status', { Status: 'ASLEEP' }],
    ['MaxResults 0', { MaxResults: 0 }],
    ['MaxResults 101', { MaxResults: 101 }],
    ['MaxResults that is not a number', { MaxResults: 'ten' }],
    ['101 ids', { AndroidInstanceIds: many(101) }],
    ['a forged NextToken', { NextToken: 'AAAAAV3MpHK1AP0pfERHZN5pu6kw9dGL' }],
  ])('refuses %s with InvalidParameter', async (_name, params) => {
    expect(await refused('DescribeAndroidInstances', params)).toBe('400 InvalidParameter');
  });
});

describe('StopAndroidInstance / StartAndroidInstance', () => {
  it('answers with the RequestId only and creates tasks findable by InvokeId', async () => {
    const body = await ok('StopAndroidInstance', { AndroidInstanceIds: [idOf('support-01'), idOf('qa-01')] });
    expect(Object.keys(body)).toEqual(['RequestId']);
    expect(statusOf('support-01')).toBe('STOPPING');

    const tasks = await ok('DescribeTasks', { InvokeId: body.RequestId });
    expect(tasks.TotalCount).toBe(3);
    const levels = tasks.Data.map((task: Body) => [task.TaskType, task.Level, task.TaskStatus]);
    expect(levels).toContainEqual(['StopInstance', 1, 'Waiting']);
    expect(levels.filter(([, level]: unknown[]) => level === 2)).toHaveLength(2);

    sim.advance(DONE);
    expect(statusOf('support-01')).toBe('STOPPED');
    const done = await ok('DescribeTasks', { InvokeId: body.RequestId, Level: 1 });
    expect(done.Data[0]).toMatchObject({ TaskStatus: 'Finished', TotalChildCount: 2, SuccessChildCount: 2 });

    const started = await ok('StartAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
    expect(Object.keys(started)).toEqual(['RequestId']);
    expect(statusOf('support-01')).toBe('STARTING');
    sim.advance(DONE);
    expect(statusOf('support-01')).toBe('RUNNING');
  });

  it('refuses the whole call when one instance is in a state that does not allow it', async () => {
    const code = await refused('StopAndroidInstance', { AndroidInstanceIds: [idOf('support-01'), idOf('support-02')] });
    expect(code).toBe('400 InvalidStatus.AndroidInstance');
    expect(statusOf('support-01')).toBe('RUNNING');
    expect(await refused('StartAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] })).toBe(
      '400 InvalidStatus.AndroidInstance',
    );
    expect(sim.state.tasks.size).toBe(0);
  });

  it('allows the documented recovery states: a BACKUP_FAILED instance can be started or stopped', async () => {
    sim.setInstanceStatus(idOf('support-01'), 'BACKUP_FAILED', 'AppDataChanged');
    await ok('StartAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
    sim.advance(DONE);
    expect(sim.state.instances.get(idOf('support-01'))).toMatchObject({ status: 'RUNNING', errorCode: '' });
  });

  it('answers 404 for an unknown instance and MissingParameter without ids', async () => {
    expect(await refused('StartAndroidInstance', { AndroidInstanceIds: ['acp-nope'] })).toBe(
      '404 InvalidAndroidInstanceId.NotFound',
    );
    expect(await refused('StopAndroidInstance', {})).toBe('400 MissingParameter');
  });
});

describe('BackupApp', () => {
  it('answers the batch task, and per instance the backup file and the instance task', async () => {
    const ids = [idOf('support-02'), idOf('qa-02')];
    const body = await ok('BackupApp', {
      ...backupParams(ids, ['com.tencent.mm', 'com.eg.android.AlipayGphone']),
      BackupFileName: 'MyBackup',
      Description: 'weekly',
    });
    expect(body).toMatchObject({ TaskId: expect.stringMatching(/^t-/), Count: 2 });
    expect(body.Data).toEqual([
      {
        AndroidInstanceId: ids[0],
        BackupFileId: expect.stringMatching(/^bf-/),
        BackupFileName: 'MyBackup',
        TaskId: expect.stringMatching(/^t-/),
      },
      expect.objectContaining({ AndroidInstanceId: ids[1] }),
    ]);
    expect(statusOf('support-02')).toBe('BACKUPING');

    const children = await ok('DescribeTasks', { ParentTaskId: body.TaskId });
    expect(children.TotalCount).toBe(2);
    expect(children.Data.every((task: Body) => task.Level === 2 && task.TaskType === 'BackupFile')).toBe(true);

    const file = (await ok('DescribeBackupFiles', { BackupFileId: body.Data[0].BackupFileId })).Data[0];
    expect(file).toMatchObject({ Status: 'BACKUPING', BackupFileName: 'MyBackup', Description: 'weekly' });
    expect(file.BackupFilePath).toMatch(new RegExp(`^${DIR}${ids[0]}_\\d{14}\\.ab$`));
  });

  it.each(['AndroidInstanceIdList', 'SourceAppList', 'BackupFilePath', 'UploadEndpoint'])(
    'answers MissingParameter naming %s when it is absent',
    async (name) => {
      const params: Record<string, ParamValue> = backupParams([idOf('support-02')]);
      delete params[name];
      const response = await call('BackupApp', params);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ Code: 'MissingParameter', Message: expect.stringContaining(`"${name}"`) });
    },
  );

  it.each<[string, Record<string, ParamValue>]>([
    ['a path outside OSS', { BackupFilePath: 's3://bucket/dir/' }],
    ['a bucket not named cloudphone-saved-bucket-*', { BackupFilePath: 'oss://my-bucket/dir/' }],
    ['an endpoint that is not OSS', { UploadEndpoint: 'example.com' }],
    ['101 instances', { AndroidInstanceIdList: many(101) }],
    ['101 apps', { SourceAppList: many(101, 'com.app') }],
  ])('answers InvalidParameter for %s', async (_name, override) => {
    expect(await refused('BackupApp', { ...backupParams([idOf('support-02')]), ...override })).toBe(
      '400 InvalidParameter',
    );
    expect(sim.state.backupFiles.size).toBe(0);
  });

  it('refuses an instance that is busy, and one that does not exist', async () => {
    await ok('StopAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
    expect(await refused('BackupApp', backupParams([idOf('support-01')]))).toBe('400 InvalidStatus.AndroidInstance');
    expect(await refused('BackupApp', backupParams(['acp-missing']))).toBe('404 InvalidAndroidInstanceId.NotFound');
  });
});

describe('RecoverApp', () => {
  const recoverParams = (file: { id: string; path: string }, targets: string[]) => ({
    AndroidInstanceIdList: targets,
    BackupFileId: file.id,
    BackupFilePath: file.path,
    UploadType: 'OSS',
    UploadEndpoint: ENDPOINT,
  });

  it('answers the batch task and one task per target, and installs the apps', async () => {
    const file = sim.addBackupFile({ instanceId: idOf('support-02'), apps: ['com.taobao.taobao'] });
    const body = await ok('RecoverApp', recoverParams(file, [idOf('support-01'), idOf('support-03')]));
    expect(body).toMatchObject({ TaskId: expect.stringMatching(/^t-/), Count: 2 });
    expect(body.Data).toEqual([
      { AndroidInstanceId: idOf('support-01'), TaskId: expect.stringMatching(/^t-/) },
      { AndroidInstanceId: idOf('support-03'), TaskId: expect.stringMatching(/^t-/) },
    ]);
    expect(statusOf('support-03')).toBe('RECOVERING');
    expect((await ok('DescribeBackupFiles', { BackupFileId: file.id })).Data[0].Status).toBe('RECOVERING');
    sim.advance(DONE);
    expect(statusOf('support-03')).toBe('RUNNING');
    const listed = await ok('RunSyncCommand', {
      InstanceIds: [idOf('support-03')],
      CommandContent: 'pm list packages -3',
    });
    expect(listed.Data[0].Output).toContain('package:com.taobao.taobao\n');
    expect((await ok('DescribeTasks', { TaskIds: [body.TaskId] })).Data[0].TaskStatus).toBe('Finished');
  });

  it.each<[string, (file: { id: string; path: string }) => Record<string, ParamValue>, string]>([
    ['no UploadType', (file) => ({ ...recoverParams(file, []), UploadType: undefined }), '400 MissingParameter'],
    ['UploadType other than OSS', (file) => ({ UploadType: 'HTTP', BackupFileId: file.id }), '400 InvalidParameter'],
    ['no BackupFilePath', (file) => ({ BackupFilePath: undefined, BackupFileId: file.id }), '400 MissingParameter'],
    [
      'a directory as BackupFilePath',
      (file) => ({ BackupFilePath: DIR, BackupFileId: file.id }),
      '400 InvalidParameter',
    ],
    ['no BackupFileId', () => ({ BackupFileId: undefined }), '400 MissingParameter'],
    ['an unknown backup file', () => ({ BackupFileId: 'bf-nope' }), '404 InvalidBackupFileId.NotFound'],
    [
      'a target that is not RUNNING',
      () => ({ AndroidInstanceIdList: [idOf('support-04')] }),
      '400 InvalidStatus.AndroidInstance',
    ],
  ])('refuses %s', async (_name, override, expected) => {
    const file = sim.addBackupFile({ instanceId: idOf('support-02') });
    const params = { ...recoverParams(file, [idOf('support-01')]), ...override(file) };
    expect(await refused('RecoverApp', params)).toBe(expected);
  });

  it('refuses a backup that is still being made', async () => {
    const made = await ok('BackupApp', backupParams([idOf('support-02')]));
    const file = sim.state.backupFiles.get(made.Data[0].BackupFileId)!;
    expect(await refused('RecoverApp', recoverParams(file, [idOf('support-01')]))).toBe('400 InvalidStatus.BackupFile');
  });
});

describe('DescribeTasks', () => {
  it('reproduces the wire quirks: TaskStatus only, Result not JSON, ISO times, ErrorCode/ErrorMsg', async () => {
    sim.failNextTask(idOf('support-04'), 'SendFileFailed', 'connect error.');
    const batch = await ok('BackupApp', backupParams([idOf('support-02'), idOf('support-04')]));
    sim.advance(DONE);
    const { Data } = await ok('DescribeTasks', { ParentTaskId: batch.TaskId });
    const good = Data.find((task: Body) => task.InstanceId === idOf('support-02'));
    const bad = Data.find((task: Body) => task.InstanceId === idOf('support-04'));
    expect(good).toMatchObject({ TaskStatus: 'Finished', Result: '{"Success": True}' });
    expect(good.Status).toBeUndefined();
    expect(good.ErrorCode).toBeUndefined();
    expect(() => JSON.parse(good.Result)).toThrow();
    expect(good.StartTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(good.FinishTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(bad).toMatchObject({ TaskStatus: 'Failed', ErrorCode: 'SendFileFailed', ErrorMsg: 'connect error.' });
    const parent = (await ok('DescribeTasks', { TaskIds: [batch.TaskId] })).Data[0];
    expect(parent).toMatchObject({
      Level: 1,
      TaskStatus: 'PartFinished',
      TotalChildCount: 2,
      SuccessChildCount: 1,
      FailedChildCount: 1,
      RunningChildCount: 0,
    });
    expect(parent.ParentTaskId).toBeUndefined();
  });

  it('filters by Level, TaskStatus, InstanceId and type; pages 10 at a time by default', async () => {
    for (let i = 0; i < 6; i++) {
      await ok('StopAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
      sim.advance(DONE);
      await ok('StartAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
      sim.advance(DONE);
    }
    const first = await ok('DescribeTasks', { Level: 2 });
    expect(first.TotalCount).toBe(12);
    expect(first.Data).toHaveLength(10);
    const second = await ok('DescribeTasks', { Level: 2, NextToken: first.NextToken });
    expect(second.Data).toHaveLength(2);
    expect(second.NextToken).toBe('');
    expect((await ok('DescribeTasks', { TaskType: 'StopInstance', Level: 1 })).TotalCount).toBe(6);
    expect((await ok('DescribeTasks', { TaskStatuses: ['Finished'], InstanceId: idOf('support-01') })).TotalCount).toBe(
      12,
    );
    expect((await ok('DescribeTasks', { ResourceIds: [idOf('support-02')] })).TotalCount).toBe(0);
  });

  it('takes MaxResults 0 to 100, as the API metadata allows (0: the default page of 10)', async () => {
    await ok('BackupApp', backupParams([idOf('support-02'), idOf('support-04')]));
    const all = (await ok('DescribeTasks', { MaxResults: 100 })).Data;
    expect(all.length).toBeGreaterThan(0);
    expect((await ok('DescribeTasks', { MaxResults: 0 })).Data).toEqual(all.slice(0, 10));
  });

  it.each<[string, Record<string, ParamValue>]>([
    ['101 TaskIds', { TaskIds: many(101, 't-') }],
    ['MaxResults 101', { MaxResults: 101 }],
    ['an unknown TaskStatus', { TaskStatus: 'Done' }],
    ['an unknown status in TaskStatuses', { TaskStatuses: ['Finished', 'Succeeded'] }],
    ['Level 3', { Level: 3 }],
  ])('answers InvalidParameter for %s', async (_name, params) => {
    expect(await refused('DescribeTasks', params)).toBe('400 InvalidParameter');
  });
});

describe('DescribeBackupFiles', () => {
  it('reproduces the wire quirks: MaxResults as a string, SourceAppInfoList, numeric FileSize, Gmt dates', async () => {
    const made = await ok('BackupApp', backupParams([idOf('support-02')], ['com.tencent.mm', 'com.taobao.taobao']));
    sim.advance(DONE);
    const body = await ok('DescribeBackupFiles');
    expect(body.MaxResults).toBe('10');
    expect(body.TotalCount).toBe(1);
    expect(body.Data[0]).toMatchObject({
      BackupFileId: made.Data[0].BackupFileId,
      Status: 'AVAILABLE',
      SourceAppInfoList: ['com.tencent.mm', 'com.taobao.taobao'],
      FileSize: expect.any(Number),
      UploadType: 'OSS',
      UploadEndpoint: ENDPOINT,
      AndroidInstanceId: idOf('support-02'),
      TaskId: made.Data[0].TaskId,
      GmtCreated: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
    });
    expect(body.Data[0].FileSize).toBeGreaterThan(0);
    expect(body.Data[0].SourceAppList).toBeUndefined();
    expect((await ok('DescribeBackupFiles', { MaxResults: 25 })).MaxResults).toBe('25');
  });

  it('filters, and lists newest first in pages', async () => {
    const a = sim.addBackupFile({ instanceId: idOf('support-02'), name: 'Nightly-A' });
    sim.advance(1000);
    const b = sim.addBackupFile({ instanceId: idOf('qa-02'), name: 'nightly-b', status: 'BACKUP_FAILED' });
    sim.advance(1000);
    const c = sim.addBackupFile({ instanceId: idOf('support-02'), name: 'adhoc' });

    expect((await ok('DescribeBackupFiles')).Data.map((f: Body) => f.BackupFileId)).toEqual([c.id, b.id, a.id]);
    const nightly = await ok('DescribeBackupFiles', { BackupFileName: 'NIGHTLY' });
    expect(nightly.Data.map((f: Body) => f.BackupFileId)).toEqual([b.id, a.id]);
    const ofInstance = await ok('DescribeBackupFiles', { AndroidInstanceId: idOf('support-02') });
    expect(ofInstance.TotalCount).toBe(2);
    const failed = await ok('DescribeBackupFiles', { StatusList: ['BACKUP_FAILED', 'RECOVERY_FAILED'] });
    expect(failed.Data.map((f: Body) => f.BackupFileId)).toEqual([b.id]);

    const page1 = await ok('DescribeBackupFiles', { MaxResults: 2 });
    const page2 = await ok('DescribeBackupFiles', { MaxResults: 2, NextToken: page1.NextToken });
    expect([...page1.Data, ...page2.Data].map((f: Body) => f.BackupFileId)).toEqual([c.id, b.id, a.id]);
    expect(page2.NextToken).toBe('');
  });

  it('takes MaxResults 0 to 100, as the API metadata allows (0: the default page of 10)', async () => {
    expect((await ok('DescribeBackupFiles', { MaxResults: 0 })).MaxResults).toBe('10');
    expect((await ok('DescribeBackupFiles', { MaxResults: 100 })).MaxResults).toBe('100');
  });

  it.each<[string, Record<string, ParamValue>]>([
    ['MaxResults 101', { MaxResults: 101 }],
    ['MaxResults -1', { MaxResults: -1 }],
    ['an unknown status', { StatusList: ['DONE'] }],
    ['an ISO StartTime', { StartTime: '2026-01-01T00:00:00Z' }],
  ])('answers InvalidParameter for %s', async (_name, params) => {
    expect(await refused('DescribeBackupFiles', params)).toBe('400 InvalidParameter');
  });
});

describe('DeleteBackupFile', () => {
  it('answers the RequestId only; the file shows DELETING, then is gone', async () => {
    const file = sim.addBackupFile({ instanceId: idOf('support-02') });
    const body = await ok('DeleteBackupFile', { BackupFileIdList: [file.id] });
    expect(Object.keys(body)).toEqual(['RequestId']);
    expect((await ok('DescribeBackupFiles', { BackupFileId: file.id })).Data[0].Status).toBe('DELETING');
    sim.advance(DONE);
    expect((await ok('DescribeBackupFiles', { BackupFileId: file.id })).TotalCount).toBe(0);
    expect(await refused('DeleteBackupFile', { BackupFileIdList: [file.id] })).toBe('404 InvalidBackupFileId.NotFound');
  });

  it('refuses a file that is in use and needs the list', async () => {
    const file = sim.addBackupFile({ instanceId: idOf('support-02'), status: 'BACKUPING' });
    expect(await refused('DeleteBackupFile', { BackupFileIdList: [file.id] })).toBe('400 InvalidStatus.BackupFile');
    expect(await refused('DeleteBackupFile', { BackupFileId: file.id })).toBe('400 MissingParameter');
  });
});

describe('RunSyncCommand', () => {
  it('lists third-party packages as package:<name> lines; TotalCount is a string', async () => {
    const empty = sim.addInstance({ name: 'no-apps' });
    const body = await ok('RunSyncCommand', {
      InstanceIds: [idOf('support-01'), empty.id, idOf('support-02')],
      CommandContent: 'pm list packages -3',
    });
    expect(body.TotalCount).toBe('3');
    expect(body.Data[0]).toMatchObject({
      InstanceId: idOf('support-01'),
      InvocationStatus: 'SUCCESS',
      Output: 'package:com.tencent.mm\npackage:com.eg.android.AlipayGphone\npackage:com.xingin.xhs\n',
      InvocationId: expect.stringMatching(/^t-/),
      // The SDK's format, `2022-08-11 17:45:03`, not ISO.
      StartTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      FinishTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
    });
    expect(body.Data[1]).toMatchObject({ InvocationStatus: 'SUCCESS', Output: '' });
    // support-02 is STOPPED.
    expect(body.Data[2]).toMatchObject({ InvocationStatus: 'FAILED', Output: '' });
  });

  it('includes system packages without -3, takes Base64, and prints nothing for other commands', async () => {
    const id = idOf('support-03');
    const all = await ok('RunSyncCommand', { InstanceIds: [id], CommandContent: 'pm list packages' });
    expect(all.Data[0].Output).toContain('package:com.android.settings\n');
    const encoded = Buffer.from('pm list packages -3').toString('base64');
    const b64 = await ok('RunSyncCommand', { InstanceIds: [id], CommandContent: encoded, ContentEncoding: 'Base64' });
    expect(b64.Data[0].Output).toBe('package:com.ss.android.ugc.aweme\npackage:com.xingin.xhs\n');
    // Case-insensitive; an unknown encoding is read as plain text rather than refused.
    const lower = await ok('RunSyncCommand', { InstanceIds: [id], CommandContent: encoded, ContentEncoding: 'base64' });
    expect(lower.Data[0].Output).toBe(b64.Data[0].Output);
    const plain = await ok('RunSyncCommand', {
      InstanceIds: [id],
      CommandContent: 'pm list packages -3',
      ContentEncoding: 'Gzip',
    });
    expect(plain.Data[0].Output).toBe(b64.Data[0].Output);
    expect((await ok('RunSyncCommand', { InstanceIds: [id], CommandContent: 'getprop' })).Data[0].Output).toBe('');
  });

  it.each<[string, Record<string, ParamValue>, string]>([
    ['51 instances', { InstanceIds: many(51), CommandContent: 'ls' }, '400 InvalidParameter'],
    ['no command', { InstanceIds: ['acp-x0'] }, '400 MissingParameter'],
    ['a WaitTime over 3000', { InstanceIds: ['acp-x0'], CommandContent: 'ls', WaitTime: 5000 }, '400 InvalidParameter'],
    [
      'an unknown instance',
      { InstanceIds: ['acp-nope'], CommandContent: 'ls' },
      '404 InvalidAndroidInstanceId.NotFound',
    ],
  ])('refuses %s', async (_name, params, expected) => {
    expect(await refused('RunSyncCommand', params)).toBe(expected);
  });
});
