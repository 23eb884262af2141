/**
 * What an operator watches on a running bot: /healthz, /metrics and the JSON logs, checked against the real bot
 * doing a real (simulated) backup.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, OPTION } from '../../src/blocks/ids.js';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function backUp(h: Harness, instanceName: string): Promise<void> {
  const command = await h.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${h.instance(instanceName)}`,
    userId: ADMIN,
    channelId: CHANNEL,
  });
  expect(command.status).toBe(200);
  const [view] = await waitUntil(() => (h.slack.openViews(ADMIN).length > 0 ? h.slack.openViews(ADMIN) : undefined), {
    timeoutMs: 3000,
    description: 'the backup modal',
  });
  const submitted = await h.driver.submitView({
    viewId: view!.id,
    values: {
      [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' },
      [BLOCK.options]: { [ACTION.options]: [OPTION.stopBefore, OPTION.startAfter] },
    },
  });
  expect(submitted.outcome.kind).toBe('closed');
  await waitUntil(
    () => {
      const parent = h.slack.messages(CHANNEL, { topLevelOnly: true })[0];
      return parent ? h.slack.threadReplies(CHANNEL, parent.ts)[0] : undefined;
    },
    { timeoutMs: 15_000, description: 'the threaded reply' },
  );
}

interface Health {
  ok: boolean;
  database: { writable: boolean };
  poller: { alive: boolean; lastTickAt: string | null };
  cloud: { lastSuccessAt: string | null; lastErrorCode: string | null };
}

async function health(h: Harness): Promise<{ status: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${h.bot.opsPort}/healthz`);
  expect(res.headers.get('content-type')).toBe('application/json');
  return { status: res.status, body: (await res.json()) as Health };
}

async function metrics(h: Harness): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${h.bot.opsPort}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample, e.g. `cloudphone_bot_tasks{status="Finished"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/healthz and /metrics', () => {
  it('report the database, the poller and the cloud, and count requests, tasks, cloud calls and reply latency', async () => {
    h = await startHarness();
    const before = await health(h);
    expect(before.body.database.writable).toBe(true);
    expect(before.body.cloud.lastSuccessAt).toBeNull();

    await backUp(h, 'support-01');

    const after = await health(h);
    expect(after.status).toBe(200);
    expect(after.body.ok).toBe(true);
    expect(after.body.poller.alive).toBe(true);
    expect(Date.parse(after.body.cloud.lastSuccessAt ?? '')).toBeGreaterThan(0);
    expect(after.body.cloud.lastErrorCode).toBeNull();

    const text = await metrics(h);
    expect(
      sample(text, 'cloudphone_bot_slack_requests_total{type="slash_command",name="/cloudphone",outcome="ok"}'),
    ).toBe(1);
    expect(
      sample(text, 'cloudphone_bot_slack_requests_total{type="view_submission",name="backup_modal",outcome="ok"}'),
    ).toBe(1);
    expect(sample(text, 'cloudphone_bot_requests_total{action="backup",outcome="succeeded"}')).toBe(1);
    expect(sample(text, 'cloudphone_bot_tasks{status="Finished"}')).toBe(1);
    expect(sample(text, 'cloudphone_bot_cloud_calls_total{action="BackupApp",code="OK"}')).toBe(1);
    expect(sample(text, 'cloudphone_bot_cloud_calls_total{action="StopAndroidInstance",code="OK"}')).toBe(1);
    expect(sample(text, 'cloudphone_bot_cloud_calls_total{action="StartAndroidInstance",code="OK"}')).toBe(1);
    expect(sample(text, 'cloudphone_bot_reply_latency_seconds_count')).toBe(1);
    expect(sample(text, 'cloudphone_bot_reply_latency_seconds_sum')).toBeLessThan(15);
    expect(text).toContain('# TYPE cloudphone_bot_cloud_call_seconds histogram');
    expect(sample(text, 'cloudphone_bot_oldest_open_request_age_seconds')).toBe(0);
  });

  it('count Slack Web API errors by method and error, from listeners and from background posts alike', async () => {
    h = await startHarness();
    // A listener's own client: views.open keeps failing with 503.
    h.slack.faults.serverErrorNext(20, { method: 'views.open' });
    await h.driver.slashCommand({ command: '/cloudphone', text: 'restore', userId: ADMIN, channelId: CHANNEL });
    // The person is told once views.open has failed for good (after web-api's retries).
    await h.slack.waitFor((s) => s.ephemerals(ADMIN).find((e) => e.source === 'response_url'), {
      timeoutMs: 10_000,
      description: 'the answer after views.open failed',
    });
    // The bot's client: posting in a channel it is not in.
    await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${h.instance('support-02')} --apps com.tencent.mm`,
      userId: ADMIN,
      channelId: 'C0RANDOM',
    });
    await h.slack.waitFor((s) => s.messages('D0ALICE', { topLevelOnly: true })[0], {
      timeoutMs: 10_000,
      description: 'the direct message instead of the channel',
    });
    const text = await metrics(h);
    expect(sample(text, 'cloudphone_bot_slack_api_errors_total{method="views.open",error="http_503"}')).toBe(1);
    expect(
      sample(text, 'cloudphone_bot_slack_api_errors_total{method="chat.postMessage",error="not_in_channel"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('count cloud errors by their code, and /healthz shows the last one', async () => {
    h = await startHarness({
      simulator: { faults: { throttle: { retryAfterMs: 5, actions: ['DescribeAndroidInstances'], times: 1 } } },
    });
    await backUp(h, 'support-02');
    const text = await metrics(h);
    expect(
      sample(text, 'cloudphone_bot_cloud_calls_total{action="DescribeAndroidInstances",code="Throttling.User"}'),
    ).toBe(1);
    expect((await health(h)).body.cloud.lastErrorCode).toBe('Throttling.User');
  });
});

describe('logs', () => {
  it('follow one request from Slack to the cloud and back with the same ids, as JSON with levels', async () => {
    const logLines: string[] = [];
    h = await startHarness({ logLines });
    await backUp(h, 'support-02');
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const line of lines) {
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(typeof line.time).toBe('string');
    }
    const arrived = lines.find(
      (l) => l.msg === 'request from Slack' && (l.slack as { type?: string }).type === 'view_submission',
    );
    expect(arrived).toBeDefined();
    const slackRequest = arrived!.slackRequest;
    expect(slackRequest).toMatch(/^sr-/);
    const recorded = lines.find((l) => l.msg === 'backup request recorded');
    expect(recorded).toMatchObject({ slackRequest, requestId: expect.stringMatching(/^req-/) });
    const requestId = recorded!.requestId;
    // The receiver's line about the ack carries both ids.
    expect(
      lines.some(
        (l) =>
          l.msg === 'acknowledged the request from Slack' &&
          l.slackRequest === slackRequest &&
          l.requestId === requestId,
      ),
    ).toBe(true);
    // Every cloud call the engine made for it, with the cloud's own RequestId.
    const cloud = lines.filter((l) => l.component === 'cloud' && l.requestId === requestId);
    expect(cloud.map((l) => l.action)).toEqual(expect.arrayContaining(['DescribeAndroidInstances', 'BackupApp']));
    expect(cloud.every((l) => typeof l.cloudRequestId === 'string')).toBe(true);
    // And back to Slack: the reply in the thread.
    expect(
      lines.some((l) => l.requestId === requestId && String(l.msg).includes("apiCall('chat.postMessage') start")),
    ).toBe(true);
    expect(lines.find((l) => l.msg === 'backup request finished')).toMatchObject({ requestId, status: 'succeeded' });
    // Secrets never reach a line.
    expect(logLines.join('\n')).not.toContain(h.slack.botToken);
  });
});
