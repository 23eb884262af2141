/**
 * Puts logs, metrics and health around the parts the composition root wires together, without the services knowing:
 * every workflow step and Slack reply runs with its request id in the log context, every cloud call is counted and
 * logged, and every completion reply observes how long after the last task it came.
 */
import type { CallEvent, UnusableItemEvent } from '../cloud-phone/client.js';
import { type Logger, runWithLogContext } from '../logger.js';
import type { BackupRequestView } from '../services/backup/model.js';
import type { Clock, MessageRef, RequestNotifier } from '../services/pipeline/ports.js';
import type { HealthState } from './health.js';
import type { Metrics } from './metrics.js';

/**
 * Wraps each step of a workflow (`step(requestId, …)`) so that whatever it logs, including the cloud calls it makes,
 * carries `requestId`.
 */
export function withRequestIds<T extends object>(steps: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, step] of Object.entries(steps)) {
    wrapped[name] =
      typeof step === 'function'
        ? (id: unknown, ...rest: unknown[]) =>
            typeof id === 'string' ? runWithLogContext({ requestId: id }, () => step(id, ...rest)) : step(id, ...rest)
        : step;
  }
  return wrapped as T;
}

/**
 * The notifier with the request id (each method's first argument is the request's view) in the log context, and the
 * reply latency metric: the time from the request's last cloud task finishing to its completion reply being posted.
 * Wraps every method, so a method added to the port later is covered too.
 */
export function instrumentNotifier<N extends Pick<RequestNotifier<BackupRequestView>, 'complete'>>(
  notifier: N,
  deps: { metrics: Metrics; clock: Clock; lastTaskFinishedAt: (requestId: string) => number | undefined },
): N {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(notifier as Record<string, unknown>)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    wrapped[name] = (view: unknown, ...rest: unknown[]) => {
      const id = (view as { id?: unknown } | undefined)?.id;
      const call = () => method.call(notifier, view, ...rest);
      return typeof id === 'string' ? runWithLogContext({ requestId: id }, call) : call();
    };
  }
  const complete = wrapped.complete as RequestNotifier<BackupRequestView>['complete'];
  wrapped.complete = async (view: BackupRequestView, parent: MessageRef | undefined) => {
    const posted = await complete(view, parent);
    const finishedAt = deps.lastTaskFinishedAt(view.id);
    if (finishedAt !== undefined) deps.metrics.replyLatency.observe(Math.max(0, deps.clock.now() - finishedAt) / 1000);
    return posted;
  };
  return wrapped as N;
}

/** The cloud client's per-attempt hook: metrics by action and code, health's last success, one log line each. */
export function observeCloudCalls(deps: {
  metrics: Metrics;
  health: HealthState;
  clock: Clock;
  logger: Logger;
}): (event: CallEvent) => void {
  const { metrics, health, clock, logger } = deps;
  return (event) => {
    const code = event.ok ? 'OK' : (event.code ?? 'Unknown');
    metrics.cloudCalls.inc({ action: event.action, code });
    if (event.throttled) metrics.cloudThrottled.inc({ action: event.action });
    metrics.cloudCallSeconds.observe({ action: event.action }, event.durationMs / 1000);
    if (event.ok) health.lastCloudSuccessAt = clock.now();
    else health.lastCloudErrorCode = code;
    const line = {
      component: 'cloud',
      action: event.action,
      code,
      attempt: event.attempt,
      durationMs: Math.round(event.durationMs),
      ...(event.requestId ? { cloudRequestId: event.requestId } : {}),
    };
    if (event.ok) logger.debug(line, 'cloud call');
    else logger.warn(line, 'cloud call failed');
  };
}

/** The cloud client's hook for items it set aside or read in part: one warning line and one count each. */
export function observeUnusableItems(deps: { metrics: Metrics; logger: Logger }): (event: UnusableItemEvent) => void {
  const { metrics, logger } = deps;
  return (event) => {
    metrics.cloudItemsUnusable.inc({ action: event.action, field: event.field });
    logger.warn(
      { component: 'cloud', action: event.action, field: event.field, itemId: event.id, kept: event.kept },
      event.kept
        ? 'cloud answer: an item had a field the bot could not read; used the item without it, will look again'
        : 'cloud answer: an item the bot could not use was set aside; the rest of the answer was used',
    );
  };
}
