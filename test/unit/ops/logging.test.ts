import { describe, expect, it } from 'vitest';
import {
  addToLogContext,
  boltLogger,
  createLogger,
  currentLogContext,
  redactLogFields,
  runWithLogContext,
} from '../../../src/logger.js';
import { instrumentNotifier, observeCloudCalls, withRequestIds } from '../../../src/ops/instrument.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import type { BackupRequestView } from '../../../src/services/backup/model.js';
import type { MessageRef } from '../../../src/services/pipeline/ports.js';

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) } as never,
  });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with a level name, an ISO time and the service, and redacts secrets', () => {
    const { logger, lines } = capture();
    logger.info({ config: { botToken: 'xoxb-1', signingSecret: 's' }, token: 't', user: 'U1' }, 'hello');
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'cloudphone-bot',
      msg: 'hello',
      user: 'U1',
      token: '[redacted]',
      config: { botToken: '[redacted]', signingSecret: '[redacted]' },
    });
    expect(new Date(String(lines[0]?.time)).toISOString()).toBe(lines[0]?.time);
  });

  it('censors secret-named fields at any depth, inside errors and lists too, without touching the original', () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error('request failed'), {
      config: { headers: { Authorization: 'Bearer xoxb-secret-1', 'X-Acs-Security-Token': 'CAIS-secret-2' } },
    });
    const fields = {
      err: error,
      calls: [{ action: 'DescribeTasks', accessKeySecret: 'secret-3' }],
      nextToken: 'n',
      webhook: { apiKey: 'secret-4', api_key: 'secret-5' },
    };
    logger.error(fields, 'failed');
    const line = JSON.stringify(lines[0]);
    for (const secret of ['xoxb-secret-1', 'CAIS-secret-2', 'secret-3', 'secret-4', 'secret-5']) {
      expect(line).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      err: {
        type: 'Error',
        message: 'request failed',
        stack: expect.stringContaining('request failed'),
        config: { headers: { Authorization: '[redacted]', 'X-Acs-Security-Token': '[redacted]' } },
      },
      calls: [{ action: 'DescribeTasks', accessKeySecret: '[redacted]' }],
    });
    // The caller's objects are left as they were.
    expect(error.config.headers.Authorization).toBe('Bearer xoxb-secret-1');
    expect(fields.calls[0]?.accessKeySecret).toBe('secret-3');
  });

  it('returns objects without secrets as they are (no copy on the common path)', () => {
    const clean = { component: 'slack', slack: { type: 'view_submission', userId: 'U1' }, list: [1, 'two'] };
    expect(redactLogFields(clean)).toBe(clean);
  });

  it('adds the ids of the work in hand to every line, across awaits, without leaking between contexts', async () => {
    const { logger, lines } = capture();
    await Promise.all([
      runWithLogContext({ slackRequest: 'sr-1' }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        addToLogContext({ requestId: 'req-1' });
        logger.info('first');
        logger.info({ requestId: 'explicit' }, 'call site wins');
      }),
      runWithLogContext({ requestId: 'req-2' }, async () => {
        logger.info('second');
        await runWithLogContext({ slackRequest: 'sr-2' }, async () => logger.info('nested'));
        expect(currentLogContext()).toEqual({ requestId: 'req-2' });
      }),
    ]);
    logger.info('outside');
    const byMsg = Object.fromEntries(lines.map((line) => [line.msg, line]));
    expect(byMsg.first).toMatchObject({ slackRequest: 'sr-1', requestId: 'req-1' });
    expect(byMsg['call site wins']).toMatchObject({ slackRequest: 'sr-1', requestId: 'explicit' });
    expect(byMsg.second).toMatchObject({ requestId: 'req-2' });
    expect(byMsg.second).not.toHaveProperty('slackRequest');
    expect(byMsg.nested).toMatchObject({ requestId: 'req-2', slackRequest: 'sr-2' });
    expect(byMsg.outside).not.toHaveProperty('requestId');
  });
});

describe('boltLogger', () => {
  it("routes Bolt's messages through pino, errors with their stack under err", () => {
    const { logger, lines } = capture();
    const bolt = boltLogger(logger);
    bolt.warn('could not', { detail: 1 });
    bolt.error('listener failed', new Error('boom'));
    bolt.debug('quiet');
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'bolt', msg: 'could not {"detail":1}' });
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'listener failed', err: { message: 'boom' } });
    expect(String((lines[1]?.err as { stack?: string } | undefined)?.stack)).toContain('Error: boom');
    expect(lines[2]).toMatchObject({ level: 'debug', msg: 'quiet' });
  });
});

describe('instrumentation', () => {
  it('runs each workflow step with its request id in the log context', async () => {
    const { logger, lines } = capture();
    const steps = withRequestIds({
      async lookup(_id: string) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        logger.info('looked up');
      },
      finish(_id: string) {
        logger.info('finished');
        return 'done';
      },
    });
    await steps.lookup('req-a');
    expect(steps.finish('req-b')).toBe('done');
    expect(lines.map((line) => [line.msg, line.requestId])).toEqual([
      ['looked up', 'req-a'],
      ['finished', 'req-b'],
    ]);
  });

  it('observes reply latency from the last task finishing to the reply being posted', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let now = 10_000;
    const notifier = instrumentNotifier(
      {
        announce: async (_view: BackupRequestView) => ({ channel: 'C1', ts: '1.0' }),
        findAnnounced: async (_view: BackupRequestView) => undefined,
        progress: async (_view: BackupRequestView, _parent: MessageRef) => undefined,
        complete: async (_view: BackupRequestView, _parent: MessageRef | undefined) => {
          now += 1_500;
          return { channel: 'C1', ts: '2.0' };
        },
      },
      { metrics, clock: { now: () => now }, lastTaskFinishedAt: (id) => (id === 'req-1' ? 9_000 : undefined) },
    );
    await notifier.complete({ id: 'req-1' } as BackupRequestView, undefined);
    await notifier.complete({ id: 'req-without-tasks' } as BackupRequestView, undefined);
    const text = await metrics.registry.metrics();
    expect(text).toContain('cloudphone_bot_reply_latency_seconds_count 1');
    expect(text).toContain('cloudphone_bot_reply_latency_seconds_sum 2.5');
  });

  it('puts the request id in the log context of every notifier method, including ones the port gains later', async () => {
    const { logger, lines } = capture();
    const notifier = instrumentNotifier(
      {
        announce: async (_view: BackupRequestView) => ({ channel: 'C1', ts: '1.0' }),
        progress: async (_view: BackupRequestView, _parent: MessageRef) => undefined,
        complete: async (_view: BackupRequestView, _parent: MessageRef | undefined) => ({ channel: 'C1', ts: '2.0' }),
        findAnnounced: async (_view: BackupRequestView) => {
          logger.info('looking');
          return undefined;
        },
      },
      {
        metrics: createMetrics({ defaultMetrics: false }),
        clock: { now: () => 0 },
        lastTaskFinishedAt: () => undefined,
      },
    );
    await notifier.findAnnounced({ id: 'req-9' } as BackupRequestView);
    expect(lines[0]).toMatchObject({ msg: 'looking', requestId: 'req-9' });
  });

  it('counts cloud calls by action and code, keeps health current and logs failures as warnings', async () => {
    const { logger, lines } = capture();
    const metrics = createMetrics({ defaultMetrics: false });
    const health = { lastTickAt: undefined, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined } as {
      lastTickAt: number | undefined;
      lastCloudSuccessAt: number | undefined;
      lastCloudErrorCode: string | undefined;
    };
    const observe = observeCloudCalls({ metrics, health, clock: { now: () => 42 }, logger });
    observe({ action: 'DescribeTasks', durationMs: 12.4, ok: true, attempt: 1, requestId: 'CLOUD-1' });
    observe({
      action: 'BackupApp',
      durationMs: 30,
      ok: false,
      code: 'Throttling.User',
      attempt: 2,
      requestId: 'CLOUD-2',
    });
    expect(health).toEqual({ lastTickAt: undefined, lastCloudSuccessAt: 42, lastCloudErrorCode: 'Throttling.User' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('cloudphone_bot_cloud_calls_total{action="DescribeTasks",code="OK"} 1');
    expect(text).toContain('cloudphone_bot_cloud_calls_total{action="BackupApp",code="Throttling.User"} 1');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'debug',
        msg: 'cloud call',
        action: 'DescribeTasks',
        cloudRequestId: 'CLOUD-1',
        durationMs: 12,
      }),
      expect.objectContaining({ level: 'warn', msg: 'cloud call failed', code: 'Throttling.User', attempt: 2 }),
    ]);
  });
});
