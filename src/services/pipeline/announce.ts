/**
 * The `announce` step every kind with a parent message shares: post the parent (recorded in the ledger before it is
 * posted, so after a crash the bot looks for it before posting again), keep retrying a while when Slack fails, then go
 * on without it (the reply will be unthreaded) rather than hold the work.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { Clock, RequestNotifier } from './ports.js';
import type { Step } from './runner.js';

const ANNOUNCE_GIVE_UP_MS = 2 * 60_000;
const PARENT_POST = 'chat.postMessage:parent';

export function createAnnounceStep<V>(deps: {
  repos: Repositories;
  notifier: Pick<RequestNotifier<V>, 'announce' | 'findAnnounced'>;
  clock: Clock;
  logger: Logger;
  load(id: string): V & { stepStartedAt: number };
  /** How long before a failed post is tried again. */
  retryMs: number;
  /** The step after the announcement. */
  next(view: V & { stepStartedAt: number }): string;
}): Step {
  const { repos, notifier, clock, logger } = deps;
  const { calls, requests } = repos;
  return async (id) => {
    const view = deps.load(id);
    try {
      const interrupted = calls.list(id, PARENT_POST).some((call) => call.status === 'sent');
      const found = interrupted ? await notifier.findAnnounced(view) : undefined;
      const callId = found ? undefined : calls.begin(id, PARENT_POST, [], clock.now());
      const parent = found ?? (await notifier.announce(view));
      if (callId !== undefined) calls.settle(callId, { status: 'accepted' }, clock.now());
      requests.setParent(id, parent.channel, parent.ts, clock.now());
    } catch (error) {
      if (clock.now() - view.stepStartedAt < ANNOUNCE_GIVE_UP_MS) {
        logger.warn({ requestId: id, err: error }, 'could not post the parent message; retrying');
        requests.wakeAt(id, clock.now() + deps.retryMs, clock.now());
        return;
      }
      logger.error({ requestId: id, err: error }, 'giving up on the parent message; the reply will be unthreaded');
    }
    requests.setStatus(id, 'running', clock.now());
    requests.setStep(id, deps.next(view), clock.now(), clock.now());
  };
}
