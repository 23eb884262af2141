/**
 * Cloud tasks being tracked, of every kind of request (backup, restore). The poller takes the due ones in batches (up to 100 per DescribeTasks call) and pushes
 * each task's next poll further out the longer it runs.
 */
import type { Db } from './database.js';
import type { RequestKind } from './requests.js';

export interface TrackedTask {
  taskId: string;
  requestId: string;
  /** The kind of the request, so the poller knows whose outcome it records. */
  kind: RequestKind;
  instanceId: string;
  status: string;
  polls: number;
  /** Polls in a row the API did not return it. */
  misses: number;
  nextPollAt: number;
  createdAt: number;
}

/**
 * Selected straight in the TrackedTask shape: the poller reads every open task each cycle, and a row object that
 * is the result (rather than one copied into another) halves what that allocates.
 */
const TASK_COLUMNS = `t.task_id AS taskId, t.request_id AS requestId, r.kind, t.instance_id AS instanceId, t.status,
  t.polls, t.misses, t.next_poll_at AS nextPollAt, t.created_at AS createdAt`;
const FROM_TASKS = 'FROM tasks t JOIN requests r ON r.id = t.request_id';

export function createTaskRepository(db: Db) {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO tasks (task_id, request_id, instance_id, status, next_poll_at, created_at)
     VALUES (?, ?, ?, 'Waiting', ?, ?)`,
  );
  const due = db.prepare(
    `SELECT ${TASK_COLUMNS} ${FROM_TASKS} WHERE t.finished_at IS NULL AND t.next_poll_at <= ?
     ORDER BY t.next_poll_at LIMIT ?`,
  );
  const dueCount = db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE finished_at IS NULL AND next_poll_at <= ?');
  const soonest = db.prepare(
    `SELECT ${TASK_COLUMNS} ${FROM_TASKS} WHERE t.finished_at IS NULL AND t.next_poll_at > ?
     ORDER BY t.next_poll_at LIMIT ?`,
  );
  const polled = db.prepare(
    'UPDATE tasks SET status = ?, polls = polls + 1, misses = ?, next_poll_at = ? WHERE task_id = ?',
  );
  const byId = db.prepare(`SELECT ${TASK_COLUMNS} ${FROM_TASKS} WHERE t.task_id = ?`);
  const finished = db.prepare('UPDATE tasks SET status = ?, polls = polls + 1, finished_at = ? WHERE task_id = ?');
  const openFor = db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE request_id = ? AND finished_at IS NULL');
  const openAll = db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE finished_at IS NULL');
  const earliest = db.prepare('SELECT MIN(next_poll_at) AS at FROM tasks WHERE finished_at IS NULL');
  const byStatus = db.prepare('SELECT status, COUNT(*) AS count FROM tasks GROUP BY status ORDER BY status');
  const lastFinished = db.prepare('SELECT MAX(finished_at) AS at FROM tasks WHERE request_id = ?');

  return {
    add(task: { taskId: string; requestId: string; instanceId: string }, firstPollAt: number, now: number): void {
      insert.run(task.taskId, task.requestId, task.instanceId, firstPollAt, now);
    },
    /** The `limit` most overdue open tasks. */
    due(now: number, limit: number): TrackedTask[] {
      return due.all(now, limit) as TrackedTask[];
    },
    /** How many open tasks are due (a count from the index, no rows read into memory). */
    dueCount(now: number): number {
      return (dueCount.get(now) as { n: number }).n;
    },
    /** Open tasks not yet due, soonest first: free riders that fill a DescribeTasks batch that is made anyway. */
    soonestNotDue(now: number, limit: number): TrackedTask[] {
      return soonest.all(now, limit) as TrackedTask[];
    },
    /** `misses`: polls in a row the API has not returned it (0 when it just did). */
    markPolled(taskId: string, status: string, misses: number, nextPollAt: number): void {
      polled.run(status, misses, nextPollAt, taskId);
    },
    get(taskId: string): TrackedTask | undefined {
      return byId.get(taskId) as TrackedTask | undefined;
    },
    markFinished(taskId: string, status: string, now: number): void {
      finished.run(status, now, taskId);
    },
    openCount(requestId?: string): number {
      return ((requestId === undefined ? openAll.get() : openFor.get(requestId)) as { n: number }).n;
    },
    nextPollAt(): number | undefined {
      return (earliest.get() as { at: number | null }).at ?? undefined;
    },
    /** Every task by its last known status (for the tasks gauge on /metrics). */
    countByStatus(): { status: string; count: number }[] {
      return byStatus.all() as { status: string; count: number }[];
    },
    /** When the request's last task finished (for the reply latency metric); undefined while none has. */
    lastFinishedAt(requestId: string): number | undefined {
      return (lastFinished.get(requestId) as { at: number | null }).at ?? undefined;
    },
  };
}

export type TaskRepository = ReturnType<typeof createTaskRepository>;
