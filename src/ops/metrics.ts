/**
 * Prometheus metrics (prom-client), one registry per bot so tests and several bots in one process do not collide.
 * README "Operations" lists every series.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag), prefixed `cloudphone_bot_`. */
  defaultMetrics?: boolean;
  /** Read at scrape time for the tasks gauge, so the database is only counted when someone looks. */
  taskCounts?: () => readonly { status: string; count: number }[];
  /** Read at scrape time: phones the bot stopped and could not start again. */
  phonesLeftStopped?: () => number;
  /** Read at scrape time: when the oldest request still open (confirmed, not finished) was asked for (epoch ms), if any. */
  oldestOpenRequestAt?: () => number | undefined;
  /** Epoch ms now (the bot's clock). */
  now?: () => number;
  /** Read at scrape time: the cloud call rate the limiter allows now (it drops after Throttling, then recovers). */
  cloudCallsAllowedPerSecond?: () => number;
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'cloudphone_bot_' });
  const slackRequests = new Counter({
    name: 'cloudphone_bot_slack_requests_total',
    help: 'Requests from Slack (slash commands, modal submissions, button clicks) by type, name and outcome (ok, error)',
    labelNames: ['type', 'name', 'outcome'] as const,
    registers: [registry],
  });
  const slackRequestSeconds = new Histogram({
    name: 'cloudphone_bot_slack_request_seconds',
    help: 'Time the bot spent on one request from Slack, including work after the acknowledgement',
    labelNames: ['type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'cloudphone_bot_requests_total',
    help: 'Backup and restore requests that reached their end, by action and outcome (succeeded, partial, failed)',
    labelNames: ['action', 'outcome'] as const,
    registers: [registry],
  });
  const cloudCalls = new Counter({
    name: 'cloudphone_bot_cloud_calls_total',
    help: 'Cloud phone API calls (each HTTP attempt) by action and result code: OK on success, else the error code',
    labelNames: ['action', 'code'] as const,
    registers: [registry],
  });
  const cloudThrottled = new Counter({
    name: 'cloudphone_bot_cloud_throttled_total',
    help: 'Cloud phone API attempts the cloud refused as throttled (Throttling*, HTTP 429), by action; each cuts the allowed rate',
    labelNames: ['action'] as const,
    registers: [registry],
  });
  const allowedRate = options.cloudCallsAllowedPerSecond;
  new Gauge({
    name: 'cloudphone_bot_cloud_calls_allowed_per_second',
    help: 'Cloud phone API calls per second the limiter lets through now (CLOUDPHONE_MAX_CALLS_PER_SECOND, less after Throttling)',
    registers: [registry],
    collect() {
      if (allowedRate) this.set(allowedRate());
    },
  });
  const cloudItemsUnusable = new Counter({
    name: 'cloudphone_bot_cloud_items_unusable_total',
    help: 'Fields of listed items (instances, tasks, backup files) the cloud sent in a form the bot could not use, by action and wire field; the rest of each answer was used',
    labelNames: ['action', 'field'] as const,
    registers: [registry],
  });
  const cloudCallSeconds = new Histogram({
    name: 'cloudphone_bot_cloud_call_seconds',
    help: 'Cloud phone API call duration, one observation per HTTP attempt',
    labelNames: ['action'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const taskCounts = options.taskCounts;
  const tasks = new Gauge({
    name: 'cloudphone_bot_tasks',
    help: 'Cloud tasks in the bot database by last known status (Waiting, Processing: open; Finished, Failed, …: done)',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      if (!taskCounts) return;
      this.reset();
      for (const { status, count } of taskCounts()) this.set({ status }, count);
    },
  });
  const phonesLeftStopped = options.phonesLeftStopped;
  const leftStopped = new Gauge({
    name: 'cloudphone_bot_phones_left_stopped',
    help: 'Phones the bot stopped for a backup and could not start again (they stay off until someone starts them)',
    registers: [registry],
    collect() {
      if (phonesLeftStopped) this.set(phonesLeftStopped());
    },
  });
  const replyLatency = new Histogram({
    name: 'cloudphone_bot_reply_latency_seconds',
    help: 'Time from the last cloud task of a request finishing to its threaded reply being posted',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const slackApiErrors = new Counter({
    name: 'cloudphone_bot_slack_api_errors_total',
    help: "Slack Web API calls that failed, by method and error (Slack's error code, rate_limited, or the HTTP/network code)",
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  });
  const { oldestOpenRequestAt, now = Date.now } = options;
  new Gauge({
    name: 'cloudphone_bot_oldest_open_request_age_seconds',
    help: 'Age of the oldest request (backup, restore, delete) confirmed and not yet finished (0 when none is open)',
    registers: [registry],
    collect() {
      const at = oldestOpenRequestAt?.();
      this.set(at === undefined ? 0 : Math.max(0, (now() - at) / 1000));
    },
  });
  return {
    registry,
    slackRequests,
    slackRequestSeconds,
    requests,
    cloudCalls,
    cloudThrottled,
    cloudItemsUnusable,
    cloudCallSeconds,
    tasks,
    leftStopped,
    replyLatency,
    slackApiErrors,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
