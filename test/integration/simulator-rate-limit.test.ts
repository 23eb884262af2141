import { afterEach, describe, expect, it } from 'vitest';
import { callSimulator, type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A rate clock the test moves by hand (the limit is measured in it). */
let t = 0;
async function start(callsPerSecond: number) {
  t = 0;
  const frozen = Date.now();
  sim = await startSimulator({ now: () => frozen, rateLimit: { callsPerSecond, now: () => t } });
  return sim;
}
const describeInstances = () => callSimulator(sim!, 'DescribeAndroidInstances', {});
const stop = (id: string) => callSimulator(sim!, 'StopAndroidInstance', { AndroidInstanceIds: [id] });
const codeOf = (response: { body: unknown }) => (response.body as { Code?: string }).Code;

describe('the simulated account quota', () => {
  it('refuses the calls over the limit within a sliding second with Throttling.User, without effect', async () => {
    const s = await start(3);
    for (let i = 0; i < 3; i++) expect((await describeInstances()).status).toBe(200);
    const running = [...s.state.instances.values()].find((instance) => instance.status === 'RUNNING')!;

    const refused = await stop(running.id);
    expect(refused.status).toBe(400);
    expect(codeOf(refused)).toBe('Throttling.User');
    expect((refused.body as { Message: string }).Message).toBe('Request was denied due to user flow control.');
    // A slot frees when the oldest accepted call is a second old.
    expect(refused.headers['x-acs-retry-after']).toBe('1000');
    expect(s.state.instances.get(running.id)?.status).toBe('RUNNING');

    t = 600;
    const stillRefused = await stop(running.id);
    expect(codeOf(stillRefused)).toBe('Throttling.User');
    expect(stillRefused.headers['x-acs-retry-after']).toBe('400');

    t = 1000;
    expect((await stop(running.id)).status).toBe(200);
    expect(s.state.instances.get(running.id)?.status).toBe('STOPPING');

    // The peak counts what the client sent, refused calls included: 5 calls arrived within the first second.
    expect(s.callRate()).toEqual({ limitPerSecond: 3, peakPerSecond: 5, throttled: 2, calls: 6, tightestMs: 0 });
  });

  it('does not count calls that fail authentication, and lifting the limit lets everything through', async () => {
    const s = await start(1);
    const unsigned = await callSimulator(
      s,
      'DescribeAndroidInstances',
      {},
      { credentials: { ...s.credentials[0]!, accessKeySecret: 'wrong' } },
    );
    expect(codeOf(unsigned)).toBe('SignatureDoesNotMatch');
    expect((await describeInstances()).status).toBe(200);
    expect(codeOf(await describeInstances())).toBe('Throttling.User');

    s.setRateLimit(undefined);
    for (let i = 0; i < 5; i++) expect((await describeInstances()).status).toBe(200);
    // Measured without a limit too (the bench reads the peak either way).
    expect(s.callRate()).toEqual({ limitPerSecond: undefined, peakPerSecond: 5, throttled: 0, calls: 5 });
  });

  it('refuses a limit that is not a positive number', async () => {
    const s = await start(1);
    expect(() => s.setRateLimit({ callsPerSecond: 0 })).toThrow(/callsPerSecond must be a positive number/);
  });
});
