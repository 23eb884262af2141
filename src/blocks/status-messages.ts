/**
 * `/cloudphone status`: a person's recent requests, one backup or restore request (as the bot recorded it, with the
 * cloud's live task states), one task, or the tasks of one cloud RequestId.
 */
import type { KnownBlock } from '@slack/types';
import type { CloudFailure } from '../services/backup/model.js';
import type { CloudTask } from '../services/pipeline/ports.js';
import type { RecentItem, StatusReport } from '../services/status/service.js';
import { countInstances, instanceLine, statusText } from './backup-messages.js';
import { backupTitle, code, context, failureText, packedSections, section, verificationText } from './common.js';
import { inlineText } from './escape.js';
import { plural, slackDate } from './format.js';
import { COMMAND } from './ids.js';
import type { SlackMessage } from './limits.js';
import { restoreStatusText } from './restore-messages.js';
import { targetOutcomeLine } from './restore-text.js';

const MAX_LINES = 40;

/** One cloud task; `names` (instance id → name, from the request's records) puts the name beside the instance. */
function liveLine(task: CloudTask, names: ReadonlyMap<string, string> = new Map()): string {
  const parts = [`${code(task.taskId)} ${code(task.status, 30)}`];
  if (task.type) parts.push(inlineText(task.type, 40));
  if (task.instanceId) {
    const name = names.get(task.instanceId);
    parts.push(`on ${code(task.instanceId)}${name ? ` ${inlineText(name, 60)}` : ''}`);
  }
  if (task.region) parts.push(`in ${code(task.region, 40)}`);
  if (task.totalChildCount !== undefined) {
    parts.push(
      `${task.successChildCount ?? 0} of ${task.totalChildCount} done${task.failedChildCount ? `, ${task.failedChildCount} failed` : ''}`,
    );
  }
  if (task.errorCode || task.errorMsg) {
    parts.push(
      `${task.errorCode ? code(task.errorCode) : ''} ${task.errorMsg ? inlineText(task.errorMsg, 200) : ''}`.trim(),
    );
  }
  return `• ${parts.join(' · ')}`;
}

function linesBlocks(heading: string, lines: readonly string[]): KnownBlock[] {
  const blocks = packedSections(heading, lines.slice(0, MAX_LINES), 800);
  if (lines.length > MAX_LINES) blocks.push(context(`…and ${lines.length - MAX_LINES} more.`));
  return blocks;
}

/** Each instance's region as the cloud's tasks on it reported it. */
function regionsByInstance(tasks: readonly CloudTask[]): Map<string, string> {
  const regions = new Map<string, string>();
  for (const task of tasks) if (task.instanceId && task.region) regions.set(task.instanceId, task.region);
  return regions;
}

/** The line of one instance (or restore target), with its region when the cloud's tasks told it. */
function withRegion(line: string, instanceId: string, regions: ReadonlyMap<string, string>): string {
  const region = regions.get(instanceId);
  return region ? `${line} · in ${code(region, 40)}` : line;
}

function refreshNote(error: CloudFailure | undefined): KnownBlock {
  return error
    ? context(`⚠️ The cloud could not be asked just now (${failureText(error)}); this is what the bot last recorded.`)
    : context('Task states refreshed from the cloud just now.');
}

function recentLine(item: RecentItem): string {
  const what =
    item.kind === 'backup'
      ? `backup of ${plural(item.apps, 'app')} on ${plural(item.instances, 'instance')}`
      : `restore of ${code(item.backupFileId)} onto ${plural(item.instances, 'instance')}`;
  return `• ${code(item.id)} ${what}: *${inlineText(item.status, 20)}* · ${slackDate(item.createdAt)}`;
}

/** Shown at once while the bot asks the cloud how the tasks stand; replaced by the answer. */
export function statusLoadingMessage(): SlackMessage {
  const text = '⏳ Asking the cloud where this stands…';
  return { text, blocks: [section(text)] };
}

export function statusMessage(report: StatusReport): SlackMessage {
  switch (report.kind) {
    case 'recent': {
      if (report.items.length === 0) {
        const text = `You have no backups or restores yet. \`${COMMAND} backup\` starts one.`;
        return { text, blocks: [section(text)] };
      }
      return {
        text: `Your ${report.items.length} most recent requests`,
        blocks: [
          ...linesBlocks('*Your recent requests*, newest first', report.items.map(recentLine)),
          context(`\`${COMMAND} status <request id>\` shows one in detail.`),
        ],
      };
    }
    case 'backup': {
      const { request } = report;
      const status = statusText(request, countInstances(request));
      const regions = regionsByInstance(report.live);
      const blocks: KnownBlock[] = [
        section(
          `*Backup ${code(request.id)}* of ${plural(request.spec.apps.length, 'app')} on ${plural(request.spec.instanceIds.length, 'instance')}, requested ${slackDate(request.createdAt)}\n*${inlineText(status, 300)}*`,
        ),
      ];
      if (request.failure) blocks.push(section(failureText(request.failure)));
      blocks.push(
        ...linesBlocks(
          '*By instance*',
          request.instances.map((i) => withRegion(instanceLine(i, request), i.instanceId, regions)),
        ),
      );
      const names = new Map(Object.entries(request.spec.instanceNames ?? {}));
      if (report.live.length > 0) {
        blocks.push(
          ...linesBlocks(
            '*Cloud tasks*',
            report.live.map((task) => liveLine(task, names)),
          ),
        );
      }
      blocks.push(refreshNote(report.refreshError));
      return { text: `Backup ${request.id}: ${status}`, blocks };
    }
    case 'restore': {
      const { request } = report;
      const status = restoreStatusText(request);
      const blocks: KnownBlock[] = [
        section(
          `*Restore ${code(request.id)}* of ${backupTitle(request.backup)}, requested ${slackDate(request.createdAt)}\n*${inlineText(status, 300)}*\n${verificationText({ manual: request.verification, automatic: request.automaticVerification })}`,
        ),
      ];
      if (request.failure) blocks.push(section(failureText(request.failure)));
      const regions = regionsByInstance(report.live);
      blocks.push(
        ...linesBlocks(
          '*By target*',
          request.targets.map((t) => withRegion(targetOutcomeLine(t), t.instanceId, regions)),
        ),
      );
      const names = new Map(request.targets.flatMap((t) => (t.facts?.name ? [[t.instanceId, t.facts.name]] : [])));
      if (report.live.length > 0) {
        blocks.push(
          ...linesBlocks(
            '*Cloud tasks*',
            report.live.map((task) => liveLine(task, names)),
          ),
        );
      }
      blocks.push(refreshNote(report.refreshError));
      return { text: `Restore ${request.id}: ${status}`, blocks };
    }
    case 'task': {
      const owner = report.owner ? `, part of ${report.owner.kind} ${code(report.owner.requestId)}` : '';
      const blocks: KnownBlock[] = [];
      if (report.refreshError) {
        blocks.push(section(`*Task ${code(report.taskId)}*${owner}: the cloud could not be asked.`));
        blocks.push(section(failureText(report.refreshError)));
      } else if (!report.task) {
        blocks.push(section(`*Task ${code(report.taskId)}*${owner}: the cloud does not know this task.`));
      } else {
        blocks.push(section(`*Task ${code(report.taskId)}*${owner}\n${liveLine(report.task)}`));
      }
      return { text: `Task ${report.taskId}`, blocks };
    }
    case 'invoke': {
      const owner = report.owner ? ` (sent for ${report.owner.kind} ${code(report.owner.requestId)})` : '';
      const heading = `*Tasks of cloud request ${code(report.cloudRequestId, 64)}*${owner}`;
      const blocks: KnownBlock[] = report.refreshError
        ? [section(heading), section(failureText(report.refreshError))]
        : report.tasks.length === 0
          ? [section(`${heading}\nThe cloud has no task for this RequestId.`)]
          : linesBlocks(
              heading,
              report.tasks.map((task) => liveLine(task)),
            );
      return { text: `Cloud request ${report.cloudRequestId}`, blocks };
    }
    default: {
      const text = `The bot has no request, task or instance ${code(report.text, 80)} on record. \`${COMMAND} status\` lists your recent requests.`;
      return { text, blocks: [section(text)] };
    }
  }
}
