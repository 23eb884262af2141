import { WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, type SlackStandInOptions, startSlackStandIn } from '../../../../src/sandbox/slack/index.js';
import { seededRandom } from '../../../../src/sandbox/slack/rate-limit.js';
import { callApi, fakeClock } from './support.js';

const started: SlackStandIn[] = [];
async function start(options: SlackStandInOptions = {}) {
  const standIn = await startSlackStandIn(options);
  started.push(standIn);
  return standIn;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

describe('per-channel chat.postMessage pacing (Slack: ~1 message per second per channel)', () => {
  it('lets a short burst through, then answers 429 ratelimited with Retry-After', async () => {
    const clock = fakeClock();
    const standIn = await start({ now: clock.now });
    const post = (channel: string) => callApi(standIn, 'chat.postMessage', { channel, text: 'x' });
    for (let i = 0; i < 3; i += 1) expect((await post('C0BACKUPS')).status).toBe(200);
    const limited = await post('C0BACKUPS');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toEqual({ ok: false, error: 'ratelimited' });
    expect(standIn.messages('C0BACKUPS')).toHaveLength(3);
    // Another channel has its own allowance.
    expect((await post('C0GENERAL')).status).toBe(200);
    clock.advance(1000);
    expect((await post('C0BACKUPS')).status).toBe(200);
    expect((await post('C0BACKUPS')).status).toBe(429);
  });

  it('counts a channel once however it is named', async () => {
    const clock = fakeClock();
    const standIn = await start({ now: clock.now, rateLimits: { postMessageBurst: 2 } });
    expect((await callApi(standIn, 'chat.postMessage', { channel: 'C0BACKUPS', text: 'x' })).status).toBe(200);
    expect((await callApi(standIn, 'chat.postMessage', { channel: '#backups', text: 'x' })).status).toBe(200);
    expect((await callApi(standIn, 'chat.postMessage', { channel: 'backups', text: 'x' })).status).toBe(429);
  });

  it('has a configurable burst and can be switched off', async () => {
    const clock = fakeClock();
    const standIn = await start({ now: clock.now, rateLimits: { postMessageBurst: 1 } });
    const post = () => callApi(standIn, 'chat.postMessage', { channel: 'C0BACKUPS', text: 'x' });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(429);
    standIn.setRateLimits({ enabled: false });
    for (let i = 0; i < 10; i += 1) expect((await post()).status).toBe(200);
  });
});

describe('method tiers', () => {
  it('Tier 2 (usergroups.users.list): 20 per minute, then Retry-After for the next slot', async () => {
    const clock = fakeClock();
    const standIn = await start({ now: clock.now });
    const list = () => callApi(standIn, 'usergroups.users.list', { usergroup: 'S0OPS' });
    for (let i = 0; i < 20; i += 1) expect((await list()).status).toBe(200);
    const limited = await list();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    clock.advance(3000);
    expect((await list()).status).toBe(200);
  });

  it('Tier 3 (chat.update): 50 per minute, overridable per method', async () => {
    const clock = fakeClock();
    const standIn = await start({ now: clock.now, rateLimits: { perMinute: { 'chat.update': 2 } } });
    const ts = String((await callApi(standIn, 'chat.postMessage', { channel: 'C0BACKUPS', text: 'x' })).body.ts);
    const update = () => callApi(standIn, 'chat.update', { channel: 'C0BACKUPS', ts, text: 'y' });
    expect((await update()).status).toBe(200);
    expect((await update()).status).toBe(200);
    const limited = await update();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
  });
});

describe('fault injection', () => {
  it('forces 429 with a chosen Retry-After on the next N calls to a method', async () => {
    const standIn = await start({ rateLimits: false });
    standIn.faults.rateLimitNext(2, { retryAfterSec: 7, method: 'chat.postMessage' });
    const post = () => callApi(standIn, 'chat.postMessage', { channel: 'C0BACKUPS', text: 'x' });
    expect((await callApi(standIn, 'auth.test')).status).toBe(200);
    const first = await post();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect((await post()).status).toBe(429);
    expect((await post()).status).toBe(200);
    expect(standIn.messages('C0BACKUPS')).toHaveLength(1);
  });

  it('forces 5xx on the next N calls', async () => {
    const standIn = await start({ rateLimits: false });
    standIn.faults.serverErrorNext(1, { status: 500 });
    expect((await callApi(standIn, 'auth.test')).status).toBe(500);
    expect((await callApi(standIn, 'auth.test')).status).toBe(200);
  });

  it('faults a seeded fraction of calls, identically on every run', async () => {
    async function pattern() {
      const standIn = await start({ rateLimits: false });
      standIn.faults.configure({ seed: 42, rateLimitRate: 0.2, serverErrorRate: 0.1 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i += 1) statuses.push((await callApi(standIn, 'auth.test')).status);
      return statuses;
    }
    const a = await pattern();
    expect(await pattern()).toEqual(a);
    expect(a.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(20);
  });

  it('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 100 }, () => a());
    expect(draws).toEqual(Array.from({ length: 100 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('the real @slack/web-api WebClient against the limits', () => {
  it('honours a 429 with Retry-After: waits, retries, and succeeds', async () => {
    const standIn = await start();
    standIn.faults.rateLimitNext(1, { retryAfterSec: 1, method: 'chat.postMessage' });
    // minTimeout 0: the only wait is the one Retry-After asks for.
    const client = new WebClient(standIn.botToken, {
      slackApiUrl: standIn.apiUrl,
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
    });
    const rateLimited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));
    const began = Date.now();
    const res = await client.chat.postMessage({ channel: 'C0BACKUPS', text: 'after the wait' });
    expect(res.ok).toBe(true);
    expect(Date.now() - began).toBeGreaterThanOrEqual(990);
    expect(rateLimited).toEqual([1]);
    expect(standIn.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
  });

  it('a real per-channel limit makes the client wait and deliver in order', async () => {
    const standIn = await start({ rateLimits: { postMessageBurst: 1 } });
    const client = new WebClient(standIn.botToken, {
      slackApiUrl: standIn.apiUrl,
      retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 },
    });
    await client.chat.postMessage({ channel: 'C0BACKUPS', text: 'one' });
    await client.chat.postMessage({ channel: 'C0BACKUPS', text: 'two' });
    expect(standIn.messages('C0BACKUPS').map((m) => m.text)).toEqual(['one', 'two']);
    expect(standIn.callsTo('chat.postMessage').map((c) => c.status)).toEqual([200, 429, 200]);
  });

  it('with retryConfig {retries: 0} (the usual test setting) a 429 becomes a failure after the wait', async () => {
    const standIn = await start();
    standIn.faults.rateLimitNext(1, { retryAfterSec: 1, method: 'chat.postMessage' });
    const client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } });
    await expect(client.chat.postMessage({ channel: 'C0BACKUPS', text: 'x' })).rejects.toThrow(/rate limit/i);
    expect(standIn.messages('C0BACKUPS')).toEqual([]);
  });

  it('rejectRateLimitedCalls surfaces the 429 at once with its retryAfter', async () => {
    const standIn = await start();
    standIn.faults.rateLimitNext(1, { retryAfterSec: 9 });
    const client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, rejectRateLimitedCalls: true });
    await expect(client.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 9 });
  });
});
