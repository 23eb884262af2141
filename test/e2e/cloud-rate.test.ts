/**
 * The bot's cloud calls through its one limiter, against a simulator that enforces an account quota: a backup of
 * several phones never sends faster than CLOUDPHONE_MAX_CALLS_PER_SECOND, and a Throttling answer slows the bot down
 * (shown on /metrics) without anyone seeing an error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inlineBackup, waitForReply } from '../support/backup-flows.js';
import { CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function metrics(harness: Harness): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${harness.bot.opsPort}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The sum of a series' samples (all label sets). */
function total(text: string, series: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${series} `) || line.startsWith(`${series}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('the cloud call rate, end to end', () => {
  it('keeps a backup under the quota, and slows down on Throttling without showing it to anyone', async () => {
    h = await startHarness({
      env: { CLOUDPHONE_MAX_CALLS_PER_SECOND: '8' },
      simulator: { rateLimit: { callsPerSecond: 10 } },
    });
    const harness = h;
    expect(total(await metrics(harness), 'cloudphone_bot_cloud_calls_allowed_per_second')).toBe(8);

    const requestId = await inlineBackup(harness, ['support-01', 'support-02', 'support-03'].map(harness.instance));
    const replies = await waitForReply(harness, requestId);
    expect(JSON.stringify(replies)).not.toMatch(/Throttling/);
    const rate = harness.sim.callRate();
    expect(rate.calls).toBeGreaterThan(10); // enough calls that a burst would have shown
    expect(rate.throttled).toBe(0);
    expect(rate.peakPerSecond).toBeLessThanOrEqual(10);

    // The cloud refuses the next call as throttled: the bot halves its rate and counts it, and the call is sent again.
    harness.sim.setFaults({ throttle: { times: 1, retryAfterMs: 200 } });
    const second = await inlineBackup(harness, [harness.instance('support-04')]);
    const after = await waitUntil(
      async () => {
        const text = await metrics(harness);
        return total(text, 'cloudphone_bot_cloud_throttled_total') > 0 ? text : undefined;
      },
      { timeoutMs: 10_000, description: 'the throttled answer on /metrics' },
    );
    expect(total(after, 'cloudphone_bot_cloud_throttled_total')).toBe(1);
    // Halved, and held for a few seconds before it climbs back.
    expect(total(after, 'cloudphone_bot_cloud_calls_allowed_per_second')).toBe(4);
    await waitForReply(harness, second);
    expect(harness.sim.requests.filter((r) => r.fault === 'throttle')).toHaveLength(1);
    expect(JSON.stringify(harness.slack.messages(CHANNEL))).not.toMatch(/Throttling/);
  });
});
