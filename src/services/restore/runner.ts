/**
 * Runs confirmed restores: advances due restores (up to `concurrency` at once, see work-loop.ts), polls their
 * RecoverApp tasks alongside in batched DescribeTasks calls (up to 100 task ids each, each task polled less often the
 * longer it runs, as the backup poller does), and delivers each completion reply once. All state is in SQLite, so a
 * restart carries on.
 *
 * It is a loop of its own beside the backup engine rather than a change to it, so the two can evolve separately;
 * the cost is one DescribeTasks batch per poll round when both have tasks open.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { RestoreRecord } from '../../db/restore-requests.js';
import { failureOf } from '../backup/workflow.js';
import type { Clock } from '../pipeline/ports.js';
import { nextReportAttempt } from '../pipeline/report-retry.js';
import { endedTaskOutcome, lostTaskOutcome, MAX_MISSES } from '../pipeline/task-outcome.js';
import { pollInterval, TASK_IDS_PER_CALL } from '../pipeline/task-poller.js';
import { createWorkLoop } from '../pipeline/work-loop.js';
import type { RestoreRequestView } from './model.js';
import type { RestoreCloud, RestoreNotifier } from './ports.js';
import { RestoreRetryLater, type RestoreWorkflow } from './workflow.js';

export interface RestoreRunnerDeps {
  repos: Repositories;
  workflow: RestoreWorkflow;
  cloud: Pick<RestoreCloud, 'describeTasks'>;
  notifier: RestoreNotifier;
  clock: Clock;
  logger: Logger;
  settings: { idleTickMs: number; pollIntervalMs: number; maxPollIntervalMs: number; concurrency: number };
  /** Extra work each poll round (the stale-deletion sweep); errors are logged, never fatal. */
  onTick?: () => Promise<void>;
  /** Background work yields to Slack requests waiting for their answer (src/slack/ack-priority.ts). */
  afterAcks?: () => Promise<void>;
}

/** What the parent message shows; it is only updated when this changes. */
export function restoreDigest(view: RestoreRequestView): string {
  const counts = new Map<string, number>();
  for (const target of view.targets) counts.set(target.state, (counts.get(target.state) ?? 0) + 1);
  return `${view.status}|${[...counts].sort().join(',')}`;
}

export function createRestoreRunner(deps: RestoreRunnerDeps) {
  const { repos, workflow, cloud, notifier, clock, logger, settings } = deps;
  const restores = repos.restores;

  const withVerification = (record: RestoreRecord): RestoreRecord => ({
    ...record,
    verification: repos.verifications.forRequest(record.id),
  });

  async function advance(id: string): Promise<void> {
    try {
      const record = restores.get(id);
      if (!record) return;
      switch (record.step) {
        case 'announce':
          await workflow.announce(id);
          break;
        case 'start':
          await workflow.start(id);
          break;
        case 'submit':
          await workflow.submit(id);
          break;
        case 'track':
          await workflow.track(id);
          break;
        case 'report':
          await report(id);
          break;
        default:
          return;
      }
      const after = restores.get(id);
      if (after && after.step !== 'done' && after.step !== 'report') await updateProgress(id);
    } catch (error) {
      if (!(error instanceof RestoreRetryLater)) {
        logger.error({ requestId: id, err: error }, 'restore step failed; will try again');
        restores.wakeAt(id, clock.now() + settings.idleTickMs * 5, clock.now());
      }
    }
  }

  /** Delivers the completion reply (once), then shows the final state in the parent message. */
  async function report(id: string): Promise<void> {
    const record = restores.get(id);
    if (!record) return;
    const entry = restores.outbox.get(id);
    if (entry?.status === 'pending') {
      try {
        const posted = await notifier.complete(withVerification(record), record.parent);
        restores.outbox.markSent(id, posted.channel, posted.ts, clock.now());
      } catch (error) {
        const next = nextReportAttempt(entry.attempts);
        if (next.giveUp) {
          restores.outbox.giveUp(id, String(error));
          logger.error({ requestId: id, err: error }, 'gave up posting the restore reply');
        } else {
          const delay = next.delayMs;
          restores.outbox.retryLater(id, clock.now() + delay, String(error));
          restores.wakeAt(id, clock.now() + delay, clock.now());
          logger.warn({ requestId: id, err: error }, 'could not post the restore reply; retrying');
          return;
        }
      }
    }
    await updateProgress(id);
    restores.setStep(id, 'done', clock.now(), clock.now());
  }

  async function updateProgress(id: string): Promise<void> {
    const record = restores.get(id);
    if (!record?.parent) return;
    const digest = restoreDigest(record);
    if (digest === record.progressDigest) return;
    try {
      await notifier.progress(withVerification(record), record.parent);
      restores.setProgressDigest(id, digest);
    } catch (error) {
      logger.warn({ requestId: id, err: error }, 'could not update the restore message');
    }
  }

  /** All due RecoverApp tasks, in DescribeTasks batches of 100 topped up with nearly due ones. */
  async function pollTasks(): Promise<{ touched: Set<string>; drained: Set<string> }> {
    const touched = new Set<string>();
    const drained = new Set<string>();
    const now = clock.now();
    const due = restores.tasks.due(now, Number.MAX_SAFE_INTEGER);
    if (due.length === 0) return { touched, drained };
    const room = (TASK_IDS_PER_CALL - (due.length % TASK_IDS_PER_CALL)) % TASK_IDS_PER_CALL;
    const batch = room > 0 ? [...due, ...restores.tasks.soonestNotDue(now, room)] : due;
    for (let i = 0; i < batch.length; i += TASK_IDS_PER_CALL) {
      const slice = batch.slice(i, i + TASK_IDS_PER_CALL);
      let states: Awaited<ReturnType<typeof cloud.describeTasks>>;
      try {
        states = await cloud.describeTasks({ taskIds: slice.map((task) => task.taskId) });
      } catch (error) {
        const failure = failureOf(error);
        logger.warn({ code: failure.code, requestId: failure.requestId }, 'DescribeTasks failed; polling later');
        for (const task of slice) {
          restores.tasks.markPolled(
            task.taskId,
            task.status,
            task.misses,
            clock.now() + pollInterval(task.polls, settings),
          );
        }
        continue;
      }
      const byId = new Map(states.map((state) => [state.taskId, state]));
      repos.db.transaction(() => {
        for (const task of slice) {
          const state = byId.get(task.taskId);
          if (!state) {
            const misses = task.misses + 1;
            if (misses < MAX_MISSES) {
              restores.tasks.markPolled(
                task.taskId,
                task.status,
                misses,
                clock.now() + pollInterval(task.polls, settings),
              );
              continue;
            }
            restores.tasks.markFinished(task.taskId, 'Lost', clock.now());
            restores.updateTarget(task.requestId, task.instanceId, lostTaskOutcome(task.taskId));
            touched.add(task.requestId);
            continue;
          }
          const outcome = endedTaskOutcome(state, 'restore');
          if (outcome) {
            restores.tasks.markFinished(task.taskId, state.status, clock.now());
            restores.updateTarget(task.requestId, task.instanceId, outcome);
            touched.add(task.requestId);
          } else {
            if (state.status !== task.status) touched.add(task.requestId);
            restores.tasks.markPolled(
              task.taskId,
              state.status,
              0,
              clock.now() + pollInterval(task.polls + 1, settings),
            );
          }
        }
      })();
    }
    for (const requestId of touched) {
      if (restores.tasks.openCount(requestId) === 0) {
        drained.add(requestId);
        restores.wakeAt(requestId, clock.now(), clock.now());
      }
    }
    return { touched, drained };
  }

  /** A poll round: the due tasks, the progress they show, then the side work. */
  async function poll(): Promise<Set<string>> {
    const polled = await pollTasks();
    for (const id of polled.touched) if (!polled.drained.has(id)) await updateProgress(id);
    if (deps.onTick) {
      try {
        await deps.onTick();
      } catch (error) {
        logger.warn({ err: error }, 'restore runner side work failed');
      }
    }
    return polled.drained;
  }

  return createWorkLoop({
    name: 'restore runner',
    clock,
    logger,
    idleTickMs: settings.idleTickMs,
    concurrency: settings.concurrency,
    dueIds: restores.dueIds,
    nextWakeAfter: restores.nextWakeAfter,
    nextPollAt: restores.tasks.nextPollAt,
    advance,
    poll,
    ...(deps.afterAcks ? { afterAcks: deps.afterAcks } : {}),
  });
}

export type RestoreRunner = ReturnType<typeof createRestoreRunner>;
