import { afterEach, describe, expect, it } from 'vitest';
import type { ParamValue } from '../../src/cloud-phone/sign.js';
import {
  callSimulator,
  type SignedFetchOptions,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '../../src/sandbox/simulator/index.js';
import { waitUntil } from '../support/wait-until.js';

const TIMING = { stopMs: 100, startMs: 100, taskWaitMs: 10, taskProcessMs: 5, backupMs: 200, recoverMs: 150 };

let sim: Simulator;
const started: Simulator[] = [];
async function start(options: SimulatorOptions = {}) {
  const frozen = Date.now();
  sim = await startSimulator({ timing: TIMING, now: () => frozen, runningBackupFailureRate: 0, ...options });
  started.push(sim);
  return sim;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

const call = (action: string, params: Record<string, ParamValue> = {}, overrides: Partial<SignedFetchOptions> = {}) =>
  callSimulator(sim, action, params, overrides);
/** Waits until the simulator has received a request for `action` (no fixed sleeps: the machine may be busy). */
async function received(action: string) {
  await waitUntil(() => sim.requests.some((entry) => entry.action === action), {
    timeoutMs: 5_000,
    description: `a ${action} request at the simulator`,
  });
}
const codeOf = (response: { body: unknown }) => (response.body as { Code?: string }).Code;
const idOf = (name: string) => [...sim.state.instances.values()].find((instance) => instance.name === name)!.id;
const stop = (name: string, overrides: Partial<SignedFetchOptions> = {}) =>
  call('StopAndroidInstance', { AndroidInstanceIds: [idOf(name)] }, overrides);
const backup = (name: string) =>
  call('BackupApp', {
    AndroidInstanceIdList: [idOf(name)],
    SourceAppList: ['com.tencent.mm'],
    BackupFilePath: 'oss://cloudphone-saved-bucket-faults/dir/',
    UploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  });

describe('throttling', () => {
  it('answers 400 Throttling.User with x-acs-retry-after, changes nothing, and lets the retry through', async () => {
    await start();
    sim.setFaults({ throttle: { actions: ['BackupApp'], times: 1, retryAfterMs: 250 } });
    const throttled = await backup('support-02');
    expect(throttled.status).toBe(400);
    expect(codeOf(throttled)).toBe('Throttling.User');
    expect(throttled.headers['x-acs-retry-after']).toBe('250');
    expect(sim.state.backupFiles.size).toBe(0);
    expect(sim.requests.at(-1)).toMatchObject({ action: 'BackupApp', status: 400, fault: 'throttle' });

    expect((await call('DescribeTasks')).status).toBe(200);
    expect((await backup('support-02')).status).toBe(200);
    expect(sim.state.backupFiles.size).toBe(1);
  });

  it('still checks the signature first, and a throttled request has used its nonce', async () => {
    await start({ faults: { throttle: { times: 1 } } });
    const forged = await call(
      'DescribeTasks',
      {},
      { credentials: { accessKeyId: 'LTAI5tNobody', accessKeySecret: 'x' } },
    );
    expect(codeOf(forged)).toBe('InvalidAccessKeyId.NotFound');
    expect(codeOf(await call('DescribeTasks', {}, { nonce: 'retry-me' }))).toBe('Throttling.User');
    expect(codeOf(await call('DescribeTasks', {}, { nonce: 'retry-me' }))).toBe('SignatureNonceUsed');
  });
});

describe('server errors', () => {
  it.each([500, 503] as const)('answers %i with the gateway code and changes nothing', async (status) => {
    await start({ faults: { serverError: { status, actions: ['StopAndroidInstance'] } } });
    const response = await stop('support-01');
    expect(response.status).toBe(status);
    expect(codeOf(response)).toBe(status === 500 ? 'InternalError' : 'ServiceUnavailable');
    expect(sim.state.instances.get(idOf('support-01'))?.status).toBe('RUNNING');
  });

  it('at a rate, fails the same requests for the same seed', async () => {
    const statuses = async (seed: number) => {
      await start({ seed, faults: { serverError: { rate: 0.5 } } });
      const result: number[] = [];
      for (let i = 0; i < 16; i++) result.push((await call('DescribeTasks')).status);
      return result;
    };
    const first = await statuses(3);
    expect(await statuses(3)).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((status) => status >= 500)).toBe(true);
  });
});

describe('slow answers', () => {
  it('answers late, having applied the request on arrival, so a client that gave up does not know', async () => {
    await start({ faults: { delay: { ms: 60_000, actions: ['StopAndroidInstance'] } } });
    const client = new AbortController();
    const pending = stop('support-01', { signal: client.signal });
    await received('StopAndroidInstance');
    client.abort();
    await expect(pending).rejects.toThrow();
    expect(sim.state.instances.get(idOf('support-01'))?.status).toBe('STOPPING');

    const patient = await call('DescribeTasks', { Level: 1 });
    expect(patient.status).toBe(200);
    expect((patient.body as { TotalCount: number }).TotalCount).toBe(1);
  });

  it('closes without waiting for delayed answers', async () => {
    await start({ faults: { delay: { ms: 60_000 } } });
    const pending = call('DescribeTasks').catch((error: unknown) => error);
    await received('DescribeTasks');
    await sim.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('dropped connections', () => {
  it('closes the connection without an answer and without effect', async () => {
    await start({ faults: { drop: { actions: ['StopAndroidInstance'], times: 1 } } });
    await expect(stop('support-01')).rejects.toThrow(/other side closed|socket|ECONNRESET/i);
    expect(sim.state.instances.get(idOf('support-01'))?.status).toBe('RUNNING');
    expect(sim.requests.at(-1)).toMatchObject({ action: 'StopAndroidInstance', status: 0, fault: 'drop' });
    expect((await stop('support-01')).status).toBe(200);
  });

  it('after applying, leaves the outcome unknown: the change happened, the answer never came', async () => {
    await start({ faults: { dropAfterApply: { times: 1 } } });
    // Reads are not mutating, so by default they are untouched.
    expect((await call('DescribeAndroidInstances')).status).toBe(200);

    await expect(stop('support-01')).rejects.toThrow();
    const lost = sim.requests.at(-1)!;
    expect(lost).toMatchObject({ action: 'StopAndroidInstance', status: 200, fault: 'dropAfterApply' });
    expect(sim.state.instances.get(idOf('support-01'))?.status).toBe('STOPPING');

    // The client can reconcile: the tasks carry the lost call's RequestId, and a blind retry is refused.
    const tasks = await call('DescribeTasks', { InvokeId: lost.requestId, Level: 2 });
    expect((tasks.body as { TotalCount: number }).TotalCount).toBe(1);
    expect(codeOf(await stop('support-01'))).toBe('InvalidStatus.AndroidInstance');
  });

  it('after applying a BackupApp, the backup exists and can be found', async () => {
    await start({ faults: { dropAfterApply: { actions: ['BackupApp'] } } });
    await expect(backup('support-02')).rejects.toThrow();
    sim.advance(10_000);
    const files = await call('DescribeBackupFiles', { AndroidInstanceId: idOf('support-02') });
    expect(files.body).toMatchObject({ TotalCount: 1, Data: [{ Status: 'AVAILABLE' }] });
  });
});

describe('lasting refusals', () => {
  it('refuses only the named operation with the given code, and changes nothing', async () => {
    await start();
    sim.setFaults({ refuse: { code: 'Forbidden.RAM', actions: ['StopAndroidInstance'] } });
    const refused = await stop('support-01');
    expect(refused.status).toBe(403);
    expect(codeOf(refused)).toBe('Forbidden.RAM');
    expect(sim.state.instances.get(idOf('support-01'))!.status).toBe('RUNNING');
    expect(sim.requests.at(-1)).toMatchObject({
      action: 'StopAndroidInstance',
      fault: 'refuse',
      code: 'Forbidden.RAM',
    });
    // Other operations go through.
    expect((await backup('support-02')).status).toBe(200);
  });
});
