import { afterEach, describe, expect, it } from 'vitest';
import type { ParamValue } from '../../src/cloud-phone/sign.js';
import {
  callSimulator,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/sandbox/simulator/index.js';

const TIMING = {
  stopMs: 1000,
  startMs: 1500,
  taskWaitMs: 200,
  taskProcessMs: 100,
  backupMs: 4000,
  recoverMs: 3000,
  deleteMs: 500,
};
const T0 = Date.UTC(2026, 5, 1, 1, 0, 0);
const DIR = 'oss://cloudphone-saved-bucket-lifecycle/nightly/';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type Body = Record<string, any>;

let sim: Simulator;
const started: Simulator[] = [];
/** A simulator on a clock the test owns: `clock.ms` is the time since T0. */
async function start(options: SimulatorOptions = {}) {
  const clock = { ms: 0 };
  sim = await startSimulator({ timing: TIMING, now: () => T0 + clock.ms, runningBackupFailureRate: 0, ...options });
  started.push(sim);
  return clock;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function ok(action: string, params: Record<string, ParamValue> = {}): Promise<Body> {
  const response = await callSimulator(sim, action, params);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body as Body;
}
const idOf = (name: string) => [...sim.state.instances.values()].find((instance) => instance.name === name)!.id;
async function instance(name: string): Promise<Body> {
  return (await ok('DescribeAndroidInstances', { AndroidInstanceIds: [idOf(name)] })).InstanceModel[0];
}
async function task(taskId: string): Promise<Body> {
  return (await ok('DescribeTasks', { TaskIds: [taskId] })).Data[0];
}
const backupOf = (names: string[], apps: string[]) =>
  ok('BackupApp', {
    AndroidInstanceIdList: names.map(idOf),
    SourceAppList: apps,
    BackupFilePath: DIR,
    UploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  });

describe('the bot flow end to end, on a clock the test owns', () => {
  it('stop, back up, start, restore elsewhere: every status along the way', async () => {
    const clock = await start();
    const apps = ['com.tencent.mm', 'com.eg.android.AlipayGphone'];

    // 1. Look up, 2. stop the RUNNING phone and wait for STOPPED.
    expect(await instance('support-01')).toMatchObject({ AndroidInstanceStatus: 'RUNNING', ImageVersion: '3.5.3.867' });
    const stopCall = await ok('StopAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
    expect((await instance('support-01')).AndroidInstanceStatus).toBe('STOPPING');
    clock.ms = 1199;
    expect((await instance('support-01')).AndroidInstanceStatus).toBe('STOPPING');
    clock.ms = 1200;
    expect((await instance('support-01')).AndroidInstanceStatus).toBe('STOPPED');
    const stopTasks = await ok('DescribeTasks', { InvokeId: stopCall.RequestId, Level: 2 });
    expect(stopTasks.Data[0]).toMatchObject({ TaskType: 'StopInstance', TaskStatus: 'Finished' });

    // 3. Back up; 4. poll the instance task and the file.
    const made = await backupOf(['support-01'], apps);
    const { BackupFileId, TaskId } = made.Data[0];
    expect((await task(TaskId)).TaskStatus).toBe('Waiting');
    expect((await instance('support-01')).AndroidInstanceStatus).toBe('BACKUPING');
    clock.ms = 1200 + 200 + 2000;
    expect(await task(TaskId)).toMatchObject({ TaskStatus: 'Processing', StartTime: '2026-06-01T01:00:01Z' });
    expect((await instance('support-01')).Rate).toBe(50);
    clock.ms = 1200 + 200 + 4000;
    expect(await task(TaskId)).toMatchObject({ TaskStatus: 'Finished', FinishTime: '2026-06-01T01:00:05Z' });
    // The batch reports a moment later.
    expect((await task(made.TaskId)).TaskStatus).toBe('Processing');
    clock.ms += 100;
    expect(await task(made.TaskId)).toMatchObject({ TaskStatus: 'Finished', SuccessChildCount: 1 });
    const file = (await ok('DescribeBackupFiles', { BackupFileId })).Data[0];
    expect(file).toMatchObject({ Status: 'AVAILABLE', SourceAppInfoList: apps, GmtCreated: '2026-06-01 09:00:01' });
    expect(await instance('support-01')).toMatchObject({ AndroidInstanceStatus: 'STOPPED', Rate: 100 });

    // 5. Start it again.
    await ok('StartAndroidInstance', { AndroidInstanceIds: [idOf('support-01')] });
    clock.ms += 200 + 1500;
    expect((await instance('support-01')).AndroidInstanceStatus).toBe('RUNNING');

    // Restore onto a compatible phone, by the path DescribeBackupFiles gave.
    const restored = await ok('RecoverApp', {
      AndroidInstanceIdList: [idOf('support-03')],
      BackupFileId,
      BackupFilePath: file.BackupFilePath,
      UploadType: 'OSS',
    });
    expect((await instance('support-03')).AndroidInstanceStatus).toBe('RECOVERING');
    clock.ms += 200 + 3000 + 100;
    expect(await task(restored.TaskId)).toMatchObject({ TaskStatus: 'Finished', TotalChildCount: 1 });
    expect((await instance('support-03')).AndroidInstanceStatus).toBe('RUNNING');
    const listed = await ok('RunSyncCommand', {
      InstanceIds: [idOf('support-03')],
      CommandContent: 'pm list packages -3',
    });
    for (const app of apps) expect(listed.Data[0].Output).toContain(`package:${app}\n`);
    expect((await ok('DescribeBackupFiles', { BackupFileId })).Data[0].Status).toBe('AVAILABLE');
  });

  it('lands in the same state however the time is observed: one late look equals many early ones', async () => {
    const watched = await start({ seed: 9 });
    const a = await backupOf(['support-02', 'support-04'], ['com.tencent.mm']);
    for (watched.ms = 0; watched.ms <= 6000; watched.ms += 250) await ok('DescribeTasks');
    const many = await ok('DescribeTasks', { InvokeId: a.RequestId });

    const late = await start({ seed: 9 });
    const b = await backupOf(['support-02', 'support-04'], ['com.tencent.mm']);
    late.ms = 6000;
    const once = await ok('DescribeTasks', { InvokeId: b.RequestId });

    const strip = ({ RequestId: _, ...rest }: Body) => rest;
    expect(strip(once)).toEqual(strip(many));
    expect(many.Data.map((t: Body) => t.TaskStatus).sort()).toEqual(['Failed', 'Finished', 'PartFinished']);
  });
});

describe('failures the bot must report', () => {
  it('a failNextTask failure shows on the task, the instance and the file', async () => {
    const clock = await start();
    sim.failNextTask(idOf('support-02'), 'SendFileFailed', 'connect error.');
    const made = await backupOf(['support-02'], ['com.tencent.mm']);
    clock.ms = 10_000;
    expect(await task(made.Data[0].TaskId)).toMatchObject({
      TaskStatus: 'Failed',
      ErrorCode: 'SendFileFailed',
      ErrorMsg: 'connect error.',
      Result: '{"Success": False}',
    });
    expect(await task(made.TaskId)).toMatchObject({ TaskStatus: 'Failed', FailedChildCount: 1 });
    expect(await instance('support-02')).toMatchObject({
      AndroidInstanceStatus: 'BACKUP_FAILED',
      ErrorCode: 'SendFileFailed',
    });
    expect((await ok('DescribeBackupFiles', { BackupFileId: made.Data[0].BackupFileId })).Data[0].Status).toBe(
      'BACKUP_FAILED',
    );
    // Only the next task fails.
    await ok('StartAndroidInstance', { AndroidInstanceIds: [idOf('support-02')] });
    clock.ms = 20_000;
    expect((await instance('support-02')).AndroidInstanceStatus).toBe('RUNNING');
  });

  it('backing up RUNNING instances fails some of the time, the same ones for the same seed', async () => {
    const outcomes = async (seed: number) => {
      const clock = await start({ seed, runningBackupFailureRate: 0.5 });
      const result: string[] = [];
      for (let round = 0; round < 8; round++) {
        const made = await backupOf(['support-01'], ['com.tencent.mm']);
        clock.ms += 10_000;
        result.push((await task(made.Data[0].TaskId)).ErrorCode ?? 'ok');
        sim.setInstanceStatus(idOf('support-01'), 'RUNNING');
      }
      return result;
    };
    const first = await outcomes(21);
    expect(await outcomes(21)).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('AppDataChanged');
  });

  it('a restore onto another image version fails the task and leaves RECOVER_FAILED', async () => {
    const clock = await start();
    const file = sim.addBackupFile({ instanceId: idOf('support-02') });
    const made = await ok('RecoverApp', {
      AndroidInstanceIdList: [idOf('beta-01')],
      BackupFileId: file.id,
      BackupFilePath: file.path,
      UploadType: 'OSS',
    });
    clock.ms = 10_000;
    expect(await task(made.Data[0].TaskId)).toMatchObject({ TaskStatus: 'Failed', ErrorCode: 'ImageVersionMismatch' });
    expect(await instance('beta-01')).toMatchObject({
      AndroidInstanceStatus: 'RECOVER_FAILED',
      ErrorCode: 'ImageVersionMismatch',
    });
    expect((await ok('DescribeBackupFiles', { BackupFileId: file.id })).Data[0].Status).toBe('RECOVERY_FAILED');
  });
});
