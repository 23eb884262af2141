/**
 * The bot's real cloud client, with its one rate limiter, against simulators that enforce an account quota: a burst
 * keeps under the quota when the limiter's ceiling is below it, and when the ceiling is set above the quota the
 * limiter backs off on the Throttling answers and the callers never see one. Real time, but no assertion on speed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallPriority,
  createRateLimiter,
  createRegionalCloudPhoneClient,
  type RateLimiter,
  type RegionalCloudPhoneApi,
} from '../../src/cloud-phone/index.js';
import { type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';

const lane = new AsyncLocalStorage<CallPriority>();
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function setup(input: { quota: number; ceiling: number; regions?: number }) {
  const sims: Simulator[] = [];
  for (let i = 0; i < (input.regions ?? 1); i++) {
    const sim = await startSimulator({
      region: i === 0 ? 'cn-shanghai' : 'ap-southeast-1',
      seed: i + 1,
      rateLimit: { callsPerSecond: input.quota },
      ...(i > 0 ? { credentials: sims[0]!.credentials[0], fleet: [{ id: 'acp-sg01', name: 'sg-01' }] } : {}),
    });
    open.push(sim);
    sims.push(sim);
  }
  const limiter: RateLimiter = createRateLimiter({ maxPerSecond: input.ceiling });
  const client: RegionalCloudPhoneApi = createRegionalCloudPhoneClient({
    regions: sims.map((sim, i) => ({ region: i === 0 ? 'cn-shanghai' : 'ap-southeast-1', endpoint: sim.url })),
    credentials: { get: async () => sims[0]!.credentials[0]! },
    limiter,
    priority: () => lane.getStore() ?? 'bulk',
  });
  open.push(client);
  return { sims, limiter, client };
}

const throttledAt = (sim: Simulator) => sim.requests.filter((r) => r.code?.startsWith('Throttling')).length;

describe('the one cloud rate limiter', () => {
  it('keeps a burst over two regions under the account quota: nothing is throttled, the peak stays under it', async () => {
    const { sims, limiter, client } = await setup({ quota: 40, ceiling: 32, regions: 2 });
    // 48 reads at once; each listing asks both regions, so the two simulators see 96 calls between them.
    const answers = await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        i % 2 === 0 ? client.describeInstances() : client.describeTasks({ taskIds: [`t-${i}`] }),
      ),
    );
    expect(answers).toHaveLength(48);
    expect(answers.filter((_, i) => i % 2 === 0).every((listing) => listing.length === 9)).toBe(true);

    // One limiter for the account: the regions together stay under the ceiling.
    expect(limiter.stats()).toMatchObject({ granted: 96, throttledAnswers: 0 });
    expect(limiter.stats().peakPerSecond).toBeLessThanOrEqual(32);
    for (const sim of sims) {
      expect(throttledAt(sim)).toBe(0);
      expect(sim.callRate().throttled).toBe(0);
      expect(sim.callRate().peakPerSecond).toBeLessThanOrEqual(40);
    }
  });

  it('backs off when its ceiling is above the quota, and no caller sees Throttling', async () => {
    const { sims, limiter, client } = await setup({ quota: 10, ceiling: 40 });
    const [sim] = sims as [Simulator];
    const answers = await Promise.allSettled(Array.from({ length: 40 }, () => client.describeInstances()));
    expect(answers.filter((answer) => answer.status === 'rejected')).toEqual([]);

    // The quota did bite, and the limiter heard it and slowed down.
    const stats = limiter.stats();
    expect(sim.callRate().throttled).toBeGreaterThan(0);
    expect(stats.throttledAnswers).toBe(sim.callRate().throttled);
    expect(stats.cuts).toBeGreaterThan(0);
    expect(stats.allowedPerSecond).toBeLessThan(40);
    // Every refused call was sent again and answered.
    expect(sim.callRate().calls).toBe(40 + sim.callRate().throttled);
  });

  it("gives a person's call the next slot while a background burst waits", async () => {
    const { client } = await setup({ quota: 100, ceiling: 20 });
    const finished: string[] = [];
    const bulk = Array.from({ length: 30 }, (_, i) =>
      client.describeTasks({ taskIds: [`t-${i}`] }).then(() => finished.push(`bulk-${i}`)),
    );
    // Once a few background calls went, a person asks for the listing.
    while (finished.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const person = lane.run('interactive', () => client.describeInstances().then(() => finished.push('person')));
    await Promise.all([...bulk, person]);
    // The person's call was served ahead of the twenty-odd background calls still waiting.
    expect(finished.indexOf('person')).toBeLessThan(10);
  });
});
