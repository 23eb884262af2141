/**
 * `/cloudphone status [request id | task id | instance id | cloud RequestId]`: where something stands, from SQLite,
 * refreshed with a DescribeTasks look at its tasks. Resolving the target is local (fast, before the ack); the
 * refresh asks the cloud (after it).
 */
import type { BackupRequestRecord } from '../../db/backup-requests.js';
import type { Repositories } from '../../db/index.js';
import type { RestoreRecord } from '../../db/restore-requests.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, GuardResult } from '../access/guard.js';
import type { Actor, CloudFailure } from '../backup/model.js';
import { failureOf } from '../pipeline/cloud-failure.js';
import type { CloudPhone, CloudTask } from '../pipeline/ports.js';
import { includedTargets } from '../restore/compat.js';
import { restoreView } from '../restore/view.js';

export type RequestKind = 'backup' | 'restore';

export type StatusTarget =
  | { kind: 'recent' }
  | { kind: RequestKind; requestId: string }
  | { kind: 'task'; taskId: string; owner?: { kind: RequestKind; requestId: string } | undefined }
  | { kind: 'invoke'; cloudRequestId: string; owner?: { kind: RequestKind; requestId: string } | undefined }
  | { kind: 'not-found'; text: string };

export interface RecentItem {
  kind: RequestKind;
  id: string;
  status: string;
  createdAt: Date;
  finishedAt?: Date | undefined;
  instances: number;
  apps: number;
  backupFileId?: string | undefined;
}

export type StatusReport =
  | { kind: 'recent'; items: RecentItem[] }
  | { kind: 'backup'; request: BackupRequestRecord; live: CloudTask[]; refreshError?: CloudFailure | undefined }
  | { kind: 'restore'; request: RestoreRecord; live: CloudTask[]; refreshError?: CloudFailure | undefined }
  | {
      kind: 'task';
      taskId: string;
      task?: CloudTask | undefined;
      owner?: { kind: RequestKind; requestId: string } | undefined;
      refreshError?: CloudFailure | undefined;
    }
  | {
      kind: 'invoke';
      cloudRequestId: string;
      tasks: CloudTask[];
      owner?: { kind: RequestKind; requestId: string } | undefined;
      refreshError?: CloudFailure | undefined;
    }
  | { kind: 'not-found'; text: string };

const REQUEST_ID = /^req-[A-Za-z0-9]+$/;
const TASK_ID = /^t-[A-Za-z0-9_-]+$/;
const INSTANCE_ID = /^acp-[A-Za-z0-9]+$/;
/** Cloud RequestIds are UUIDs in upper-case hex (`3D3B5B4C-…`). */
const CLOUD_REQUEST_ID = /^[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$/;
const RECENT = 10;

export function createStatusService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  cloud: Pick<CloudPhone, 'describeTasks'>;
}) {
  const { repos, guard, audit, cloud } = deps;

  const restore = (id: string): RestoreRecord | undefined => {
    const record = repos.restores.get(id);
    return record && record.step !== 'draft' ? restoreView(repos, id) : undefined;
  };

  function instanceIdsOf(target: StatusTarget): string[] {
    const owner =
      target.kind === 'backup' || target.kind === 'restore'
        ? { kind: target.kind, requestId: target.requestId }
        : target.kind === 'task' || target.kind === 'invoke'
          ? target.owner
          : undefined;
    if (!owner) return [];
    if (owner.kind === 'backup') return repos.backups.get(owner.requestId)?.spec.instanceIds ?? [];
    return restore(owner.requestId)?.targets.map((target) => target.instanceId) ?? [];
  }

  async function describeTasks(
    query: { taskIds: string[] } | { invokeId: string },
  ): Promise<{ tasks: CloudTask[]; refreshError?: CloudFailure }> {
    if ('taskIds' in query && query.taskIds.length === 0) return { tasks: [] };
    try {
      return { tasks: await cloud.describeTasks(query) };
    } catch (error) {
      return { tasks: [], refreshError: failureOf(error) };
    }
  }

  return {
    /** What the text names, from the bot's own records (no cloud call). */
    resolve(text: string | undefined): StatusTarget {
      const value = text?.trim();
      if (!value) return { kind: 'recent' };
      if (REQUEST_ID.test(value)) {
        if (repos.backups.get(value)) return { kind: 'backup', requestId: value };
        if (restore(value)) return { kind: 'restore', requestId: value };
        return { kind: 'not-found', text: value };
      }
      if (TASK_ID.test(value)) {
        const task = repos.tasks.get(value);
        if (task?.kind === 'backup' || task?.kind === 'restore') {
          return { kind: 'task', taskId: value, owner: { kind: task.kind, requestId: task.requestId } };
        }
        return { kind: 'task', taskId: value };
      }
      if (INSTANCE_ID.test(value)) {
        const backupId = repos.backupRecords.latestRequestForInstance(value);
        const restoreId = repos.restores.latestForInstance(value);
        const backupAt = backupId ? (repos.backups.get(backupId)?.createdAt.getTime() ?? 0) : -1;
        const restoreAt = restoreId ? (repos.restores.get(restoreId)?.createdAt.getTime() ?? 0) : -1;
        if (restoreId && restoreAt >= backupAt) return { kind: 'restore', requestId: restoreId };
        if (backupId) return { kind: 'backup', requestId: backupId };
        return { kind: 'not-found', text: value };
      }
      if (CLOUD_REQUEST_ID.test(value)) {
        const call = repos.calls.ownerOf(value);
        const owner =
          call?.kind === 'backup' || call?.kind === 'restore'
            ? { kind: call.kind, requestId: call.requestId }
            : undefined;
        return { kind: 'invoke', cloudRequestId: value, owner };
      }
      return { kind: 'not-found', text: value };
    },

    /** May this person see it (the instances it touches)? Recorded in the audit log. */
    authorize(actor: Actor, channelId: string, target: StatusTarget, text: string | undefined): Promise<GuardResult> {
      const instanceIds = instanceIdsOf(target);
      return guard.check(
        { actor, action: 'status', channelId, ...(instanceIds.length > 0 ? { instanceIds } : {}) },
        { target: text ?? '', resolved: target.kind },
      );
    },

    /**
     * The report, refreshed from the cloud where there are tasks to look at, showing only tasks on instances in the
     * person's scope (admins see all). Records the outcome on `auditId`.
     */
    async report(actor: Actor, target: StatusTarget, auditId: number, channelId: string): Promise<StatusReport> {
      const report = await build(actor, target, (tasks, owned) => tasksInScope(actor, channelId, tasks, owned));
      const refreshError = 'refreshError' in report ? report.refreshError : undefined;
      audit.recordOutcome(auditId, {
        status: report.kind === 'not-found' ? 'not-found' : 'shown',
        ...(refreshError ? { errors: [refreshError] } : {}),
      });
      return report;
    },
  };

  /**
   * The tasks this person may see: a task on an instance only when that instance is in their `status` scope; a task
   * that names no instance (a batch's parent) only as part of a request the permission check already covered.
   */
  async function tasksInScope(actor: Actor, channelId: string, tasks: CloudTask[], owned: boolean) {
    const shown = await guard.visible(
      actor,
      'status',
      channelId,
      tasks.map((task) => ({ instanceId: task.instanceId })),
    );
    return tasks.filter((task, index) => (task.instanceId ? shown[index] : owned));
  }

  async function build(
    actor: Actor,
    target: StatusTarget,
    inScope: (tasks: CloudTask[], owned: boolean) => Promise<CloudTask[]>,
  ): Promise<StatusReport> {
    switch (target.kind) {
      case 'recent': {
        const backups: RecentItem[] = repos.backups.recentIds(RECENT, actor.userId).flatMap((id) => {
          const request = repos.backups.get(id);
          return request
            ? [
                {
                  kind: 'backup' as const,
                  id,
                  status: request.status,
                  createdAt: request.createdAt,
                  finishedAt: request.finishedAt,
                  instances: request.spec.instanceIds.length,
                  apps: request.spec.apps.length,
                },
              ]
            : [];
        });
        const restores: RecentItem[] = repos.restores.recentIds(RECENT, actor.userId).flatMap((id) => {
          const request = repos.restores.get(id);
          return request
            ? [
                {
                  kind: 'restore' as const,
                  id,
                  status: request.status,
                  createdAt: request.createdAt,
                  finishedAt: request.finishedAt,
                  instances: includedTargets(request).length,
                  apps: request.backup.apps.length,
                  backupFileId: request.backup.backupFileId,
                },
              ]
            : [];
        });
        const items = [...backups, ...restores]
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
          .slice(0, RECENT);
        return { kind: 'recent', items };
      }
      case 'backup': {
        const request = repos.backups.get(target.requestId);
        if (!request) return { kind: 'not-found', text: target.requestId };
        const { tasks, refreshError } = await describeTasks({ taskIds: repos.backupRecords.taskIdsOf(request.id) });
        return { kind: 'backup', request, live: tasks, refreshError };
      }
      case 'restore': {
        const request = restore(target.requestId);
        if (!request) return { kind: 'not-found', text: target.requestId };
        const taskIds = request.targets.flatMap((t) => (t.taskId ? [t.taskId] : []));
        const { tasks, refreshError } = await describeTasks({ taskIds });
        return { kind: 'restore', request, live: tasks, refreshError };
      }
      case 'task': {
        const { tasks, refreshError } = await describeTasks({ taskIds: [target.taskId] });
        const visible = await inScope(tasks, target.owner !== undefined);
        return {
          kind: 'task',
          taskId: target.taskId,
          task: visible.find((task) => task.taskId === target.taskId),
          owner: target.owner,
          refreshError,
        };
      }
      case 'invoke': {
        const { tasks, refreshError } = await describeTasks({ invokeId: target.cloudRequestId });
        const visible = await inScope(tasks, target.owner !== undefined);
        return {
          kind: 'invoke',
          cloudRequestId: target.cloudRequestId,
          tasks: visible,
          owner: target.owner,
          refreshError,
        };
      }
      default:
        return { kind: 'not-found', text: target.text };
    }
  }
}

export type StatusService = ReturnType<typeof createStatusService>;
