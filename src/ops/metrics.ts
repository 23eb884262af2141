/**
 * Prometheus metrics (prom-client), one registry per bot so tests and several bots in one process do not collide.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'cloudphone_bot_' });
  const requests = new Counter({
    name: 'cloudphone_bot_requests_total',
    help: 'Requests from Slack by action and outcome (accepted, denied, invalid)',
    labelNames: ['action', 'outcome'] as const,
    registers: [registry],
  });
  const cloudCalls = new Counter({
    name: 'cloudphone_bot_cloud_calls_total',
    help: 'Cloud phone API calls by action and result code (OK on success)',
    labelNames: ['action', 'code'] as const,
    registers: [registry],
  });
  const cloudCallSeconds = new Histogram({
    name: 'cloudphone_bot_cloud_call_seconds',
    help: 'Cloud phone API call duration, including retries',
    labelNames: ['action'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const tasks = new Gauge({
    name: 'cloudphone_bot_tasks',
    help: 'Cloud tasks the bot tracks, by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const replyLatency = new Histogram({
    name: 'cloudphone_bot_reply_latency_seconds',
    help: 'Time from the last cloud task finishing to the threaded reply being posted',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  return { registry, requests, cloudCalls, cloudCallSeconds, tasks, replyLatency };
}

export type Metrics = ReturnType<typeof createMetrics>;
