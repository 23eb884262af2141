/**
 * The time by which the answer to the request being handled must be on its way. Slack shows the person a failure
 * if it has no answer within 3 seconds, and a retried submission would then start the same work twice; so work
 * whose permission check finished after this moment is not started at all (the guard denies it, saying to try
 * again). The HTTP receiver sets the deadline for everything a request runs; outside one there is none.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const deadline = new AsyncLocalStorage<number>();

/** Runs `fn` (and everything it starts) with an answer deadline, epoch ms. */
export function withAnswerDeadline<T>(deadlineAt: number, fn: () => T): T {
  return deadline.run(deadlineAt, fn);
}

/** True when the request being handled has a deadline and `now` (epoch ms) is past it. */
export function answerDeadlinePassed(now: number = Date.now()): boolean {
  const at = deadline.getStore();
  return at !== undefined && now > at;
}

/** True while handling a request from Slack (a person is waiting for what it does), with or without time left. */
export function insideSlackRequest(): boolean {
  return deadline.getStore() !== undefined;
}

/**
 * How long a lookup made while Slack waits may take: `wantedMs`, or less when the answer deadline is nearer (never
 * negative). Outside a Slack request, `wantedMs`. Lookups that chain (a name, then an id) so share one budget.
 */
export function answerWaitMs(wantedMs: number, now: number = Date.now()): number {
  const at = deadline.getStore();
  return at === undefined ? wantedMs : Math.max(0, Math.min(wantedMs, at - now));
}
