/**
 * Runs the backup workflow: advances due requests (up to `concurrency` at once, see work-loop.ts), polls open tasks in
 * batches alongside and delivers the completion replies. All state is in SQLite, so starting the engine after a
 * restart simply carries on.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { BackupRequestView } from '../backup/model.js';
import type { BackupWorkflow } from '../backup/workflow.js';
import { ReconcileLater } from '../backup/workflow.js';
import type { BackupNotifier, Clock } from './ports.js';
import { nextReportAttempt } from './report-retry.js';
import type { TaskPoller } from './task-poller.js';
import { createWorkLoop } from './work-loop.js';

export interface EngineSettings {
  /** Longest sleep when nothing is due; short so a missed wake-up costs little. */
  idleTickMs: number;
  progressUpdateMs: number;
  /** Requests advanced at once. */
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
  /** Called after every poll round (at least once an idle tick); used by /healthz and metrics. */
  onTick?: (info: { at: number; polledCalls: number }) => void;
  /** Background work yields to Slack requests waiting for their answer (src/slack/ack-priority.ts). */
  afterAcks?: () => Promise<void>;
}

/** A digest of what the parent message shows; the message is only updated when this changes. */
function progressDigest(view: BackupRequestView): string {
  const counts = new Map<string, number>();
  for (const instance of view.instances) counts.set(instance.state, (counts.get(instance.state) ?? 0) + 1);
  return `${view.status}|${[...counts].sort().join(',')}`;
}

export function createEngine(deps: EngineDeps) {
  const { repos, workflow, poller, notifier, clock, settings, logger } = deps;
  const { requests, outbox } = repos;

  async function advance(id: string): Promise<void> {
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

  async function poll(): Promise<Set<string>> {
    const polled = await poller.pollOnce();
    for (const id of polled.touched) {
      if (!polled.drained.has(id)) await updateProgress(id);
    }
    deps.onTick?.({ at: clock.now(), polledCalls: polled.calls });
    return polled.drained;
  }

  return createWorkLoop({
    name: 'engine',
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

export type Engine = ReturnType<typeof createEngine>;
