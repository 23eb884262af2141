/**
 * Runs the backup workflow: one loop that advances due requests, polls open tasks in batches and delivers the
 * completion replies. All state is in SQLite, so starting the engine after a restart simply carries on.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../db/index.js';
import type { BackupWorkflow } from './backup-workflow.js';
import { ReconcileLater } from './backup-workflow.js';
import type { BackupRequestView } from './model.js';
import type { BackupNotifier, Clock } from './ports.js';
import type { TaskPoller } from './task-poller.js';

export interface EngineSettings {
  /** Longest sleep between ticks when nothing is due; short so a missed wake-up costs little. */
  idleTickMs: number;
  progressUpdateMs: number;
  /** Requests advanced concurrently in one tick. */
  concurrency: number;
}

export interface EngineDeps {
  repos: Repositories;
  workflow: BackupWorkflow;
  poller: TaskPoller;
  notifier: BackupNotifier;
  clock: Clock;
  settings: EngineSettings;
  logger: Logger;
  /** Called after every tick; used by /healthz and metrics. */
  onTick?: (info: { at: number; polledCalls: number }) => void;
}

const MAX_REPORT_ATTEMPTS = 30;

/** A digest of what the parent message shows; the message is only updated when this changes. */
function progressDigest(view: BackupRequestView): string {
  const counts = new Map<string, number>();
  for (const instance of view.instances) counts.set(instance.state, (counts.get(instance.state) ?? 0) + 1);
  return `${view.status}|${[...counts].sort().join(',')}`;
}

export function createEngine(deps: EngineDeps) {
  const { repos, workflow, poller, notifier, clock, settings, logger } = deps;
  const { requests, outbox } = repos;
  const inFlight = new Set<string>();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function advance(id: string): Promise<void> {
    if (inFlight.has(id)) return;
    inFlight.add(id);
    try {
      const record = requests.get(id);
      if (!record) return;
      const before = record.step;
      switch (record.step) {
        case 'announce':
          await workflow.announce(id);
          break;
        case 'lookup':
          await workflow.lookup(id);
          break;
        case 'stop':
          await workflow.stop(id);
          break;
        case 'submit':
          await workflow.submit(id);
          break;
        case 'track':
          await workflow.track(id);
          break;
        case 'start':
          await workflow.start(id);
          break;
        case 'report':
          await report(id);
          break;
        case 'done':
          return;
      }
      const after = requests.get(id);
      if (after && after.step !== before && after.step !== 'done') await updateProgress(id, true);
    } catch (error) {
      if (!(error instanceof ReconcileLater)) {
        logger.error({ requestId: id, err: error }, 'workflow step failed; will try again');
        requests.wakeAt(id, clock.now() + settings.idleTickMs * 5, clock.now());
      }
    } finally {
      inFlight.delete(id);
    }
  }

  /** Delivers the completion reply through the outbox, then shows the final state in the parent message. */
  async function report(id: string): Promise<void> {
    const record = requests.get(id);
    if (!record) return;
    const entry = outbox.pendingFor(id, 'completion');
    if (entry) {
      try {
        const posted = await notifier.complete(record, record.parent);
        outbox.markSent(entry.id, posted.ts, clock.now());
      } catch (error) {
        if (entry.attempts + 1 >= MAX_REPORT_ATTEMPTS) {
          outbox.giveUp(entry.id, String(error));
          logger.error({ requestId: id, err: error }, 'gave up posting the completion reply');
        } else {
          const delay = Math.min(60_000, 500 * 2 ** entry.attempts);
          outbox.retryLater(entry.id, clock.now() + delay, String(error));
          requests.wakeAt(id, clock.now() + delay, clock.now());
          logger.warn({ requestId: id, err: error }, 'could not post the completion reply; retrying');
          return;
        }
      }
    }
    await updateProgress(id, true);
    requests.setStep(id, 'done', clock.now(), clock.now());
  }

  async function updateProgress(id: string, force = false): Promise<void> {
    const record = requests.get(id);
    if (!record?.parent) return;
    const digest = progressDigest(record);
    if (digest === record.progressDigest) return;
    const now = clock.now();
    if (!force && record.progressPostedAt !== undefined && now - record.progressPostedAt < settings.progressUpdateMs) {
      return;
    }
    try {
      await notifier.progress(record, record.parent);
      requests.setProgressPosted(id, now, digest);
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not update the parent message');
    }
  }

  async function tick(): Promise<void> {
    const due = requests.dueIds(clock.now(), 200);
    for (let i = 0; i < due.length; i += settings.concurrency) {
      await Promise.all(due.slice(i, i + settings.concurrency).map((id) => advance(id)));
    }
    const polled = await poller.pollOnce();
    for (const id of polled.touched) {
      if (!polled.drained.has(id)) await updateProgress(id);
    }
    for (const id of polled.drained) await advance(id);
    deps.onTick?.({ at: clock.now(), polledCalls: polled.calls });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  }

  return {
    /** Runs one tick; tests drive the engine with this. */
    tick,
    start(): void {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          try {
            await tick();
          } catch (error) {
            logger.error({ err: error }, 'engine tick failed');
          }
          if (running) await sleep(settings.idleTickMs);
        }
      })();
    },
    /** Wakes the loop now (a new request arrived). */
    kick(): void {
      if (timer) clearTimeout(timer);
      wake?.();
    },
    /** Stops after the current tick; in-flight cloud calls finish and are recorded first. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
    isRunning: () => running,
  };
}

export type Engine = ReturnType<typeof createEngine>;
