import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/ops/metrics.js';

describe('createMetrics', () => {
  it('reads task counts at scrape time, so a status that is gone disappears', async () => {
    let counts = [
      { status: 'Processing', count: 2 },
      { status: 'Finished', count: 5 },
    ];
    const metrics = createMetrics({ defaultMetrics: false, taskCounts: () => counts });
    let text = await metrics.registry.metrics();
    expect(text).toContain('cloudphone_bot_tasks{status="Processing"} 2');
    expect(text).toContain('cloudphone_bot_tasks{status="Finished"} 5');
    counts = [{ status: 'Finished', count: 7 }];
    text = await metrics.registry.metrics();
    expect(text).not.toContain('status="Processing"');
    expect(text).toContain('cloudphone_bot_tasks{status="Finished"} 7');
  });

  it('keeps each bot in its own registry, with process metrics only when asked', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: true });
    a.requests.inc({ action: 'backup', outcome: 'succeeded' });
    expect(await a.registry.metrics()).toContain(
      'cloudphone_bot_requests_total{action="backup",outcome="succeeded"} 1',
    );
    expect(await b.registry.metrics()).not.toContain('outcome="succeeded"');
    expect(await b.registry.metrics()).toContain('cloudphone_bot_process_cpu_seconds_total');
    expect(await a.registry.metrics()).not.toContain('process_cpu');
  });

  it('reads the allowed cloud call rate at scrape time, and counts throttled answers by action', async () => {
    let allowed = 10;
    const metrics = createMetrics({ defaultMetrics: false, cloudCallsAllowedPerSecond: () => allowed });
    expect(await metrics.registry.metrics()).toContain('cloudphone_bot_cloud_calls_allowed_per_second 10');
    allowed = 2.5;
    metrics.cloudThrottled.inc({ action: 'DescribeTasks' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('cloudphone_bot_cloud_calls_allowed_per_second 2.5');
    expect(text).toContain('cloudphone_bot_cloud_throttled_total{action="DescribeTasks"} 1');
  });
});
