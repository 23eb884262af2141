/**
 * The one runner for every kind of request: advances due requests through their kind's step map (up to `concurrency`
 * at once, see work-loop.ts), polls every open cloud task alongside with one poller, and delivers each completion
 * reply once through the outbox. All state is in SQLite, so starting the runner after a restart simply carries on.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { RequestKind } from '../../db/requests.js';
import type { Clock, RequestNotifier } from './ports.js';
import { nextReportAttempt } from './report-retry.js';
import { RetryLater } from './retry-later.js';
import type { TaskOutcome } from './task-outcome.js';
import type { TaskPoller } from './task-poller.js';
import { createWorkLoop } from './work-loop.js';

/** A step of a kind: does its work for the request and moves it on (or sets when it runs again). */
export type Step = (id: string) => Promise<void>;

/**
 * What the runner needs to know about one kind of request. `V` is how the kind shows itself to people. The runner owns
 * `report` (the completion reply through the outbox) and `done`; the kind owns every other step.
 */
export interface KindSteps<V> {
  /** The kind's own steps by name (`announce`, `submit`, …), each idempotent: a restart re-runs the current one. */
  steps: Readonly<Record<string, Step>>;
  /** The request as the notifier shows it. */
  view(id: string): V | undefined;
  /** Posts the reply (required) and keeps the parent message up to date (when the kind has one). */
  notifier: Pick<RequestNotifier<V>, 'complete'> & Partial<Pick<RequestNotifier<V>, 'progress'>>;
  /** What the parent message shows; it is only updated when this changes. */
  digest?(view: V): string;
  /** Least time between two parent updates that no step change forces (0: every change is shown at once). */
  progressThrottleMs?: number;
  /**
   * True for a child request whose parent request shows its progress and outcome (a scheduled run's backups and
   * pruning): it posts no completion reply of its own.
   */
  quiet?(id: string): boolean;
  /** Records an ended cloud task's outcome on the instance it ran on (kinds that track tasks). */
  taskEnded?(requestId: string, instanceId: string, outcome: TaskOutcome): void;
}

/** Every kind the runner knows, each with its steps. */
export type KindMap = { [K in RequestKind]: KindSteps<never> };

export interface RunnerSettings {
  /** Longest sleep when nothing is due; short so a missed wake-up costs little. */
  idleTickMs: number;
  /** Requests advanced at once, of all kinds together. */
  concurrency: number;
}

export interface RunnerDeps {
  repos: Repositories;
  /** Every kind the runner takes (the bot wires all of them; a test may wire one). */
  kinds: Partial<KindMap>;
  poller: TaskPoller;
  clock: Clock;
  settings: RunnerSettings;
  logger: Logger;
  /**
   * Work that looks after what requests leave behind (the power keeper's sweep: phones the bot stopped whose request
   * ended), run in every poll round, after the tasks: never two at once, and no loop of its own. Its own failures are
   * logged and do not hold up the poll.
   */
  sweep?: () => Promise<void>;
  /** Called after every poll round (at least once an idle tick); used by /healthz and metrics. */
  onTick?: (info: { at: number; polledCalls: number }) => void;
  /** Background work yields to Slack requests waiting for their answer (src/slack/ack-priority.ts). */
  afterAcks?: () => Promise<void>;
}

/** A digest of a parent message that shows a status and how many items are in each state. */
export function stateDigest(status: string, items: readonly { state: string }[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.state, (counts.get(item.state) ?? 0) + 1);
  return `${status}|${[...counts].sort().join(',')}`;
}

/** `KindSteps` of a view type, accepted where the map is built (a kind's view is its own business). */
export function kindSteps<V>(steps: KindSteps<V>): KindSteps<never> {
  return steps as unknown as KindSteps<never>;
}

export function createRunner(deps: RunnerDeps) {
  const { repos, kinds, poller, clock, settings, logger } = deps;
  const { requests, outbox } = repos;
  // Typed loosely inside: each kind's view goes only to its own notifier and digest.
  const kindOf = (kind: RequestKind): KindSteps<unknown> => {
    const steps = kinds[kind];
    if (!steps) throw new Error(`the runner has no steps for ${kind} requests`);
    return steps as unknown as KindSteps<unknown>;
  };

  async function advance(id: string): Promise<void> {
    try {
      const header = requests.header(id);
      if (!header || header.step === 'done' || header.step === 'draft') return;
      const kind = kindOf(header.kind);
      if (header.step === 'report') return await report(id, kind);
      const step = kind.steps[header.step];
      if (!step) throw new Error(`a ${header.kind} request has no step '${header.step}'`);
      await step(id);
      const after = requests.header(id);
      if (after && after.step !== 'done') await updateProgress(id, kind, after.step !== header.step);
    } catch (error) {
      if (!(error instanceof RetryLater)) {
        logger.error({ requestId: id, err: error }, 'request step failed; will try again');
        requests.wakeAt(id, clock.now() + settings.idleTickMs * 5, clock.now());
      }
    }
  }

  /** Delivers the completion reply through the outbox, then shows the final state in the parent message. */
  async function report(id: string, kind: KindSteps<unknown>): Promise<void> {
    const view = kind.view(id);
    const header = requests.header(id);
    if (view === undefined || !header) return;
    const entry = outbox.pendingFor(id, 'completion');
    if (entry && kind.quiet?.(id)) {
      outbox.markNotPosted(entry.id, clock.now());
    } else if (entry) {
      try {
        const posted = await kind.notifier.complete(view, header.parent);
        outbox.markSent(entry.id, posted, clock.now());
      } catch (error) {
        const next = nextReportAttempt(entry.attempts);
        if (next.giveUp) {
          outbox.giveUp(entry.id, String(error));
          logger.error({ requestId: id, err: error }, 'gave up posting the completion reply');
        } else {
          const delay = next.delayMs;
          outbox.retryLater(entry.id, clock.now() + delay, String(error));
          requests.wakeAt(id, clock.now() + delay, clock.now());
          logger.warn({ requestId: id, err: error }, 'could not post the completion reply; retrying');
          return;
        }
      }
    }
    await updateProgress(id, kind, true);
    requests.setStep(id, 'done', clock.now(), clock.now());
  }

  /** Shows the request's state in its parent message, when that changed (and, unless forced, not too often). */
  async function updateProgress(id: string, kind: KindSteps<unknown>, force: boolean): Promise<void> {
    const header = requests.header(id);
    if (!header?.parent || !kind.notifier.progress || !kind.digest) return;
    const view = kind.view(id);
    if (view === undefined) return;
    const digest = kind.digest(view);
    if (digest === header.progressDigest) return;
    const now = clock.now();
    const throttle = kind.progressThrottleMs ?? 0;
    if (!force && header.progressPostedAt !== undefined && now - header.progressPostedAt < throttle) return;
    try {
      await kind.notifier.progress(view, header.parent);
      requests.setProgressPosted(id, now, digest);
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not update the parent message');
    }
  }

  async function poll(): Promise<Set<string>> {
    const polled = await poller.pollOnce();
    for (const id of polled.touched) {
      if (polled.drained.has(id)) continue;
      const header = requests.header(id);
      if (header) await updateProgress(id, kindOf(header.kind), false);
    }
    if (deps.sweep) {
      try {
        await deps.sweep();
      } catch (error) {
        logger.warn({ err: error }, 'the sweep after the poll failed; will try again next round');
      }
    }
    deps.onTick?.({ at: clock.now(), polledCalls: polled.calls });
    return polled.drained;
  }

  return createWorkLoop({
    name: 'runner',
    clock,
    logger,
    idleTickMs: settings.idleTickMs,
    concurrency: settings.concurrency,
    dueIds: requests.dueIds,
    nextWakeAfter: requests.nextWakeAfter,
    nextPollAt: repos.tasks.nextPollAt,
    advance,
    poll,
    ...(deps.afterAcks ? { afterAcks: deps.afterAcks } : {}),
  });
}

export type Runner = ReturnType<typeof createRunner>;
