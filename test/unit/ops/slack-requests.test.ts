import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { describeSlackRequest, trackSlackRequests } from '../../../src/ops/slack-requests.js';

describe('describeSlackRequest', () => {
  it('names slash commands, modal submissions, button clicks and events by the ids the bot defines', () => {
    expect(
      describeSlackRequest({
        command: '/cloudphone',
        text: 'backup acp-secret-text',
        user_id: 'U1',
        channel_id: 'C1',
        team_id: 'T1',
      }),
    ).toEqual({ type: 'slash_command', name: '/cloudphone', userId: 'U1', channelId: 'C1', teamId: 'T1' });
    expect(
      describeSlackRequest({
        type: 'view_submission',
        user: { id: 'U1' },
        team: { id: 'T1' },
        view: { callback_id: 'backup_modal', state: { values: { typed: 'by a person' } } },
      }),
    ).toEqual({ type: 'view_submission', name: 'backup_modal', userId: 'U1', teamId: 'T1' });
    expect(
      describeSlackRequest({
        type: 'block_actions',
        user: { id: 'U1' },
        channel: { id: 'C1' },
        actions: [{ action_id: 'mark_verified' }],
      }),
    ).toEqual({ type: 'block_actions', name: 'mark_verified', userId: 'U1', channelId: 'C1' });
    expect(
      describeSlackRequest({ type: 'event_callback', team_id: 'T1', event: { type: 'app_home_opened', user: 'U1' } }),
    ).toEqual({ type: 'event_callback', name: 'app_home_opened', userId: 'U1', teamId: 'T1' });
    expect(describeSlackRequest('garbage')).toEqual({ type: 'unknown', name: '' });
  });
});

describe('trackSlackRequests', () => {
  type Middleware = (args: { body: unknown; next: () => Promise<void> }) => Promise<void>;
  function setup() {
    let middleware: Middleware | undefined;
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) } as never,
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const use = (m: Middleware) => {
      middleware = m;
    };
    // Only `use` is needed; Bolt's middleware type is wider than what the test calls it with.
    const app = { use } as unknown as Pick<App, 'use'>;
    const tracker = trackSlackRequests(app, { logger, metrics });
    return {
      tracker,
      metrics,
      lines,
      handle: (body: unknown, next: () => Promise<void>) => middleware!({ body, next }),
    };
  }

  it('counts requests by outcome and waits for listeners still running after their ack', async () => {
    const { tracker, metrics, lines, handle } = setup();
    expect(await tracker.idle(10)).toBe(true);
    let finish!: () => void;
    const slow = handle(
      { command: '/cloudphone', user_id: 'U1' },
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    expect(tracker.inFlight()).toBe(1);
    expect(await tracker.idle(20)).toBe(false);
    const idle = tracker.idle(5_000);
    finish();
    await slow;
    expect(await idle).toBe(true);
    await expect(
      handle({ type: 'view_submission', view: { callback_id: 'backup_modal' } }, async () => {
        throw new Error('listener failed');
      }),
    ).rejects.toThrow('listener failed');
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'cloudphone_bot_slack_requests_total{type="slash_command",name="/cloudphone",outcome="ok"} 1',
    );
    expect(text).toContain(
      'cloudphone_bot_slack_requests_total{type="view_submission",name="backup_modal",outcome="error"} 1',
    );
    const handled = lines.filter((line) => line.msg === 'request from Slack handled');
    expect(handled.map((line) => line.outcome)).toEqual(['ok', 'error']);
    expect(handled[0]?.slackRequest).toMatch(/^sr-[0-9a-f]{10}$/);
  });
});
