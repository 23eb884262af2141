/**
 * Messages about one backup request: the channel message that tracks it (updated in place), the single threaded
 * reply when it is done, and the reply when the whole request failed. All person and cloud text is escaped.
 */
import type {
  ActionsBlock,
  Button,
  KnownBlock,
  ModalView,
  PlainTextOption,
  SectionBlock,
  StaticSelect,
} from '@slack/types';
import { z } from 'zod';
import type { BackupRequestView, CloudFailure, InstanceProgress, InstanceState } from '../services/backup/model.js';
import { cancelBlock } from './cancel-messages.js';
import { catalogEntryValue } from './catalog-messages.js';
import { context, errorCode, failureText, section } from './common.js';
import { blockText, inlineCode, inlineText, truncate } from './escape.js';
import { formatBytes, formatDuration, mention, plural, progressBar, slackDate, summariseList } from './format.js';
import { ACTION, BLOCK, CALLBACK, COMMAND } from './ids.js';
import { blockTextLength, MESSAGE_TEXT_BUDGET, SLACK_LIMITS, type SlackMessage } from './limits.js';

/** A message plus, when the per-instance list does not fit, the complete list as a CSV file to upload. */
export interface CompletionReply extends SlackMessage {
  fullTable?: { filename: string; content: string };
}

export interface InstanceCounts {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** pending + stopping + submitted */
  running: number;
  stopping: number;
  /** Instances the bot stopped for the backup. */
  stoppedByBot: number;
  /** Instances the bot stopped and could not start again: still off. */
  leftStopped: number;
}

/** The bot stopped it for the backup and could not start it again. */
export function isLeftStopped(instance: InstanceProgress): boolean {
  return instance.stoppedByBot === true && instance.restart?.ok === false;
}

/** Counts per outcome. Before instances are looked up, the total is the number of ids asked for. */
export function countInstances(view: BackupRequestView): InstanceCounts {
  const counts: InstanceCounts = {
    total: view.instances.length > 0 ? view.instances.length : view.spec.instanceIds.length,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    running: 0,
    stopping: 0,
    stoppedByBot: 0,
    leftStopped: 0,
  };
  for (const instance of view.instances) {
    if (instance.state === 'succeeded') counts.succeeded += 1;
    else if (instance.state === 'failed') counts.failed += 1;
    else if (instance.state === 'skipped') counts.skipped += 1;
    else counts.running += 1;
    if (instance.state === 'stopping') counts.stopping += 1;
    if (instance.stoppedByBot === true) counts.stoppedByBot += 1;
    if (isLeftStopped(instance)) counts.leftStopped += 1;
  }
  return counts;
}

const SIMULATED_LINE = '🧪 *Simulated (no real cloud):* no real cloud phone was stopped or backed up.';

/** ", 2 failed, 1 skipped" style tail; empty parts left out. */
function andCounts(parts: [number, string][]): string {
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `, ${n.toLocaleString('en-US')} ${what}`)
    .join('');
}

/**
 * The outcome in words, without decoration ("Partly done: 7 of 10 backed up, 2 failed"). A phone the bot left off
 * comes first, and the request is never "Finished" above it.
 */
export function statusText(view: BackupRequestView, counts = countInstances(view)): string {
  const text = backupStatusText(view, counts);
  if (counts.leftStopped === 0) return text;
  return `Needs attention: ${leftStoppedPhrase(counts.leftStopped)}; ${text.replace(/^Finished: /, '')}`;
}

function leftStoppedPhrase(left: number): string {
  return `${plural(left, 'phone')} the bot stopped ${left === 1 ? 'is' : 'are'} still off`;
}

function backupStatusText(view: BackupRequestView, counts: InstanceCounts): string {
  const { total, succeeded, failed, skipped, running, stopping } = counts;
  const n = (value: number) => value.toLocaleString('en-US');
  switch (view.status) {
    case 'received':
      return `Received: checking ${plural(total, 'instance')}`;
    case 'running': {
      const stoppingNote = stopping > 0 ? `; stopping ${plural(stopping, 'instance')} first` : '';
      return `Running: ${n(succeeded)} of ${n(total)} backed up${andCounts([
        [failed, 'failed'],
        [skipped, 'skipped'],
        [running, 'in progress'],
      ])}${stoppingNote}`;
    }
    case 'succeeded':
      return total === 1 ? 'Finished: backed up' : `Finished: all ${n(total)} backed up`;
    case 'partial':
      return `Partly done: ${n(succeeded)} of ${n(total)} backed up, ${n(failed)} failed${andCounts([[skipped, 'skipped']])}`;
    case 'failed':
      if (view.failure?.outcomeUnknown) return 'Failed: the bot could not tell whether the backup started';
      if (view.failure !== undefined) return 'Failed: the cloud phone service refused the request';
      if (succeeded === 0 && failed === 0 && skipped > 0) return `Nothing backed up: ${n(skipped)} skipped`;
      if (succeeded === 0) return total === 1 ? 'Failed: not backed up' : `Failed: none of the ${n(total)} backed up`;
      return `Failed: ${n(succeeded)} of ${n(total)} backed up${andCounts([
        [failed, 'failed'],
        [skipped, 'skipped'],
      ])}`;
    case 'cancelled':
      return `Cancelled: nothing backed up, ${n(skipped)} skipped`;
    default:
      return 'Status unknown';
  }
}

const STATUS_EMOJI: Record<BackupRequestView['status'], string> = {
  received: '⏳',
  running: '🔄',
  succeeded: '✅',
  partial: '⚠️',
  failed: '❌',
  cancelled: '🛑',
};

function statusHint(requestId: string): string {
  return `The bot could not tell whether the backup started; check \`${COMMAND} status ${inlineText(requestId, 64).replace(/`/g, 'ˋ')}\` before retrying.`;
}

function optionsText(view: BackupRequestView): string {
  const { stopBeforeBackup, startAfterBackup } = view.spec;
  if (!stopBeforeBackup) return 'Running instances are not stopped first';
  return startAfterBackup
    ? 'Stops running instances first and starts them again afterwards'
    : 'Stops running instances first and leaves them stopped';
}

/** The request's details as section fields (each well under 2000 characters). */
function detailFields(view: BackupRequestView): SectionBlock {
  const { spec } = view;
  const field = (label: string, value: string) => ({ type: 'mrkdwn' as const, text: `*${label}*\n${value}` });
  const code = (max: number) => (item: string) => inlineCode(item, max);
  const instanceList = summariseList(spec.instanceIds, (id) => instanceText(id, spec), 400);
  // Ids render in code spans, so only the summary's own tail can end with " more".
  const instancesValue = instanceList.endsWith(' more')
    ? `${instanceList} (${plural(spec.instanceIds.length, 'instance')} in all)`
    : instanceList;
  const fields = [
    field('Apps', summariseList(spec.apps, code(80), 500) || '—'),
    field('Instances', instancesValue || '—'),
    field('OSS folder', inlineCode(spec.backupPath, 300)),
    field('Endpoint', inlineCode(spec.uploadEndpoint, 100)),
  ];
  if (spec.backupFileName) fields.push(field('File name', inlineCode(spec.backupFileName, 100)));
  if (spec.description) fields.push(field('Description', blockText(spec.description, 256)));
  fields.push(field('Before and after', optionsText(view)));
  return { type: 'section', fields };
}

function timesText(view: BackupRequestView): string {
  const parts = [`Requested ${slackDate(view.createdAt)}`];
  if (view.finishedAt !== undefined) {
    const took = view.finishedAt.getTime() - view.createdAt.getTime();
    parts.push(`finished ${slackDate(view.finishedAt)} (took ${formatDuration(took)})`);
  }
  parts.push(`request ${inlineCode(view.id, 64)}`);
  return parts.join(' · ');
}

function progressText(counts: InstanceCounts): string {
  const bar = progressBar(counts.succeeded, counts.failed + counts.skipped, counts.total, 10);
  // Zero counts are left out: "0 failed" under a failed header reads as a contradiction.
  const parts = [`${counts.succeeded.toLocaleString('en-US')} done`];
  if (counts.failed > 0) parts.push(`${counts.failed.toLocaleString('en-US')} failed`);
  if (counts.skipped > 0) parts.push(`${counts.skipped.toLocaleString('en-US')} skipped`);
  if (counts.running > 0) parts.push(`${counts.running.toLocaleString('en-US')} running`);
  return `\`${bar}\`  ${parts.join(' · ')}`;
}

/**
 * The channel message that tracks a request: who asked for what, the status, a progress bar with counts, and times
 * in each reader's time zone. Post it once and `chat.update` it as the request moves.
 */
export function backupParentMessage(view: BackupRequestView): SlackMessage {
  const counts = countInstances(view);
  const who = mention(view.actor.userId);
  const asked = `${who} asked to back up *${plural(view.spec.apps.length, 'app')}* on *${plural(counts.total, 'instance')}*`;
  const status = statusText(view, counts);
  let statusBlock = `${STATUS_EMOJI[view.status] ?? ''} *${status}*\n${progressText(counts)}`;
  if (view.failure !== undefined) {
    statusBlock += `\n${failureText(view.failure)}`;
    if (view.failure.outcomeUnknown) statusBlock += `\n${statusHint(view.id)}`;
  }
  const blocks: KnownBlock[] = [];
  if (view.simulated) blocks.push(context(SIMULATED_LINE));
  blocks.push(section(asked), detailFields(view), section(statusBlock), context(timesText(view)));
  // Cancel while it runs (confirmed first), or who cancelled it.
  const cancel = cancelBlock('backup', view, view.finishedAt === undefined);
  if (cancel) blocks.push(cancel);
  const plainAsked = `${who} asked to back up ${plural(view.spec.apps.length, 'app')} on ${plural(counts.total, 'instance')}`;
  const text = `${view.simulated ? '[Simulated] ' : ''}${plainAsked}: ${status}`;
  return { text, blocks };
}

// ---------------------------------------------------------------------------------------------------------------
// Completion reply

const STATE_RANK: Record<InstanceState, number> = {
  failed: 0,
  skipped: 1,
  pending: 2,
  stopping: 2,
  submitted: 2,
  succeeded: 3,
};

const STILL: Partial<Record<InstanceState, string>> = {
  pending: 'waiting to start',
  stopping: 'stopping',
  submitted: 'backing up',
};

function errorText(p: InstanceProgress, fallback: string): string {
  const parts: string[] = [];
  if (p.errorCode) parts.push(errorCode(p.errorCode));
  if (p.errorMessage) parts.push(inlineText(p.errorMessage, 300));
  const text = parts.length > 0 ? parts.join(' ') : fallback;
  return p.requestId ? `${text} (RequestId ${inlineCode(p.requestId, 64)})` : text;
}

function restartNote(p: InstanceProgress, view: BackupRequestView): string {
  if (p.stoppedByBot !== true) return '';
  if (!view.spec.startAfterBackup) return ' · stopped by the bot, left stopped';
  if (p.restart === undefined) return ' · stopped by the bot';
  if (p.restart.ok) return ' · stopped by the bot and started again';
  const why = p.restart.errorCode ? ` (${errorCode(p.restart.errorCode)})` : '';
  return ` · 🚨 *still off*: stopped by the bot, which could not start it again${why}`;
}

/** An instance id with its name beside it, when the cloud listed one. */
function instanceText(instanceId: string, spec: BackupRequestView['spec']): string {
  const name = spec.instanceNames?.[instanceId];
  return `${inlineCode(instanceId, 64)}${name ? ` (${inlineText(name, 40)})` : ''}`;
}

/** One line per instance: its outcome, with the backup file or the error. */
export function instanceLine(p: InstanceProgress, view: BackupRequestView): string {
  const id = instanceText(p.instanceId, view.spec);
  const restart = restartNote(p, view);
  switch (p.state) {
    case 'succeeded': {
      const file = p.backupFileId ? inlineCode(p.backupFileId, 64) : 'backed up';
      const name = p.backupFileName ? ` ${inlineCode(p.backupFileName, 100)}` : '';
      const size = p.sizeBytes !== undefined ? ` (${formatBytes(p.sizeBytes)})` : '';
      return `✅ ${id} → ${file}${name}${size}${restart}`;
    }
    case 'failed':
      return `❌ ${id} failed: ${errorText(p, 'no reason given')}${restart}`;
    case 'skipped':
      return `⏭️ ${id} skipped: ${errorText(p, 'no reason given')}`;
    default:
      return `⏳ ${id} still ${STILL[p.state] ?? 'running'}${restart}`;
  }
}

/** The outcome in a sentence a person reads first. */
function outcomeSentence(view: BackupRequestView, counts: InstanceCounts): string {
  const { total, succeeded, failed, skipped } = counts;
  const n = (value: number) => value.toLocaleString('en-US');
  const missed = failed + skipped;
  switch (view.status) {
    case 'succeeded': {
      const backedUp = total === 1 ? 'the instance is backed up.' : `all ${n(total)} instances are backed up.`;
      return counts.leftStopped > 0 ? `Backed up: ${backedUp}` : `Finished: ${backedUp}`;
    }
    case 'partial':
      return `Partly done: only ${n(succeeded)} of ${n(total)} instances are backed up; ${[
        failed > 0 ? `${n(failed)} failed` : '',
        skipped > 0 ? `${n(skipped)} ${skipped === 1 ? 'was' : 'were'} skipped` : '',
      ]
        .filter(Boolean)
        .join(' and ')}. ${missed === 1 ? 'That instance has' : 'Those instances have'} no new backup.`;
    case 'failed':
      if (view.failure?.outcomeUnknown) return 'The bot could not tell whether the backup started.';
      if (view.failure !== undefined) return 'The backup failed: the cloud phone service refused the request.';
      if (succeeded === 0 && failed === 0 && skipped > 0) {
        return total === 1
          ? 'Nothing was backed up: the instance was skipped.'
          : `Nothing was backed up: all ${n(total)} instances were skipped.`;
      }
      if (succeeded === 0) {
        return total === 1
          ? 'The backup failed: the instance was not backed up.'
          : `The backup failed: none of the ${n(total)} instances were backed up.`;
      }
      return `The backup failed: only ${n(succeeded)} of ${n(total)} instances are backed up.`;
    case 'cancelled':
      return total === 1
        ? 'The backup was cancelled before it was sent: nothing was backed up.'
        : `The backup was cancelled before any of the ${n(total)} instances was backed up: nothing was backed up.`;
    default:
      return `The backup is still running: ${statusText(view, counts)}.`;
  }
}

function stopStartSentence(view: BackupRequestView, counts: InstanceCounts): string | undefined {
  const stopped = counts.stoppedByBot;
  if (stopped > 0) {
    const them = stopped === 1 ? 'it' : 'them';
    if (!view.spec.startAfterBackup) {
      return `The bot stopped ${plural(stopped, 'running instance')} for the backup and left ${them} stopped, as asked.`;
    }
    const failedRestarts = counts.leftStopped;
    return failedRestarts === 0
      ? `The bot stopped ${plural(stopped, 'running instance')} for the backup and started ${them} again afterwards.`
      : `The bot stopped ${plural(stopped, 'running instance')} for the backup; starting ${plural(failedRestarts, 'instance')} again failed (see below).`;
  }
  if (!view.spec.stopBeforeBackup && counts.failed > 0) {
    return 'Running instances were not stopped first, as asked; a running instance can make the backup fail.';
  }
  return undefined;
}

/**
 * The alarm at the top of a reply whose request left phones off: which ones and why, addressed to the requester, with
 * a button that tries again (after checking the presser may back up those phones).
 */
function leftStoppedBlocks(view: BackupRequestView, counts: InstanceCounts): KnownBlock[] {
  if (counts.leftStopped === 0) return [];
  const left = view.instances.filter(isLeftStopped);
  const ids = summariseList(
    left.map((p) => p.instanceId),
    (id) => inlineCode(id, 64),
    600,
  );
  const reasons = [
    ...new Set(
      left.map((p) =>
        [
          p.restart?.errorCode ? inlineCode(p.restart.errorCode, 64) : '',
          inlineText(p.restart?.errorMessage ?? '', 300),
        ]
          .filter(Boolean)
          .join(': '),
      ),
    ),
  ].filter(Boolean);
  const why = reasons.length > 0 ? `\n${reasons.slice(0, 3).join('\n')}` : '';
  const them = left.length === 1 ? 'it' : 'them';
  const text = `🚨 *${mention(view.actor.userId)} ${leftStoppedPhrase(left.length)}:* ${ids}\nThe bot stopped ${them} for this backup and could not start ${them} again. Whoever uses ${them} cannot until ${left.length === 1 ? 'it is' : 'they are'} started.${why}`;
  return [
    {
      type: 'header',
      text: { type: 'plain_text', text: `🚨 ${truncate(leftStoppedPhrase(left.length), 140)}`, emoji: true },
    },
    section(text),
    {
      type: 'actions',
      block_id: BLOCK.startLeftPhones,
      elements: [
        {
          type: 'button',
          action_id: ACTION.startLeftPhones,
          text: { type: 'plain_text', text: 'Start it now', emoji: true },
          style: 'danger',
          value: view.id,
        },
      ],
    },
  ];
}

/** Answer to "Start it now", shown only to the person who pressed it. */
export function startNowMessage(
  result:
    | { ok: false; reason: 'denied'; message: string }
    | { ok: false; reason: 'nothing-left' }
    | { ok: true; running: string[]; starting: string[]; left: { instanceId: string; errorCode: string }[] },
): SlackMessage {
  let text: string;
  if (!result.ok) {
    text =
      result.reason === 'denied'
        ? `🔒 You can't start these phones: ${inlineText(result.message, 300)}`
        : 'The bot owes no phone of this backup a start any more: each has been seen running again.';
  } else {
    const parts: string[] = [];
    const list = (ids: string[]) => ids.map((id) => inlineCode(id, 64)).join(', ');
    if (result.running.length > 0) parts.push(`✅ Running again: ${list(result.running)}.`);
    if (result.starting.length > 0)
      parts.push(
        `🔄 Starting: ${list(result.starting)}. The bot keeps at it until ${result.starting.length === 1 ? 'it runs' : 'they run'}.`,
      );
    for (const phone of result.left)
      parts.push(
        `🚨 ${inlineCode(phone.instanceId, 64)} is still off: the cloud refused again (${inlineCode(phone.errorCode, 64)}).`,
      );
    text = parts.join('\n');
  }
  return { text, blocks: [section(text)] };
}

/** Packs lines into sections of at most 3000 characters, within a block and character budget. */
function packLines(lines: readonly string[], maxBlocks: number, maxChars: number) {
  const blocks: SectionBlock[] = [];
  let current = '';
  let used = 0;
  let count = 0;
  for (const line of lines) {
    const joined = current === '' ? line : `${current}\n${line}`;
    if (joined.length <= SLACK_LIMITS.sectionText) {
      if (used + line.length + 1 > maxChars || (current === '' && blocks.length >= maxBlocks)) break;
      current = joined;
    } else {
      if (blocks.length + 1 >= maxBlocks || used + line.length + 1 > maxChars) break;
      blocks.push(section(current));
      current = line;
    }
    used += line.length + 1;
    count += 1;
  }
  if (current !== '') blocks.push(section(current));
  return { blocks, count };
}

const CSV_COLUMNS = [
  'instance_id',
  'instance_name',
  'state',
  'backup_file_id',
  'backup_file_name',
  'size_bytes',
  'size',
  'error_code',
  'error_message',
  'request_id',
  'stopped_by_bot',
  'task_id',
] as const;

/** A CSV field: quoted when needed, one line, and never read as a formula by a spreadsheet. */
function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let text = String(value).replace(/[\r\n]+/g, ' ');
  if (typeof value === 'string' && /^[=+\-@\t]/.test(text)) text = `'${text}`;
  return /[",]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Every instance's outcome as CSV (header plus one row per instance, failures first). */
export function backupResultsCsv(view: BackupRequestView): string {
  const rows = sortedInstances(view).map((p) =>
    [
      p.instanceId,
      view.spec.instanceNames?.[p.instanceId],
      p.state,
      p.backupFileId,
      p.backupFileName,
      p.sizeBytes,
      p.sizeBytes !== undefined ? formatBytes(p.sizeBytes) : undefined,
      p.errorCode,
      p.errorMessage,
      p.requestId,
      p.stoppedByBot === true ? 'yes' : p.stoppedByBot === false ? 'no' : undefined,
      p.taskId,
    ]
      .map(csvField)
      .join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

function sortedInstances(view: BackupRequestView): InstanceProgress[] {
  return view.instances
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (STATE_RANK[a.p.state] ?? 2) - (STATE_RANK[b.p.state] ?? 2) || a.i - b.i)
    .map(({ p }) => p);
}

/** `cloudphone-backup-<request id>.csv`, with only safe characters. */
export function resultsFilename(view: BackupRequestView): string {
  const id =
    String(view.id)
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .slice(0, 80) || 'request';
  return `cloudphone-backup-${id}.csv`;
}

/**
 * Past this many instances a reply stops listing each one. A thread reply of more lines than a screen buries the few
 * failures a person must act on among successes they only need to count; the counts, the failures and the attached
 * file say the same in a glance. The same number caps how many failures the collapsed reply lists.
 */
export const LIST_IN_FULL_UP_TO = 20;

/**
 * The single threaded reply when a request is done: mentions the person, says the outcome plainly, and lists every
 * instance (failures first). A request of more than `LIST_IN_FULL_UP_TO` instances, or a list that does not fit a
 * message (50 blocks, 3000 characters a section, about 12k characters in all), collapses instead: one line of
 * counts, the instances not backed up (at most `LIST_IN_FULL_UP_TO`, as many as fit), and `fullTable` carries every
 * instance as CSV to upload as a file in the thread.
 */
export function backupCompletionReply(view: BackupRequestView): CompletionReply {
  const counts = countInstances(view);
  const who = mention(view.actor.userId);
  const sentence = outcomeSentence(view, counts);
  const alarm = leftStoppedBlocks(view, counts);
  const head: KnownBlock[] = [...alarm, section(`${who} ${sentence}`)];
  const scope = `${plural(view.spec.apps.length, 'app')}: ${summariseList(view.spec.apps, (a) => inlineCode(a, 80), 600)} → ${inlineCode(view.spec.backupPath, 200)}`;
  head.push(context(scope));
  const stopStart = stopStartSentence(view, counts);
  if (stopStart !== undefined) head.push(context(stopStart));
  if (view.failure !== undefined) head.push(section(failureText(view.failure)));
  const tail: KnownBlock[] = [];
  const next = nextSteps(view);
  if (next) tail.push(next);
  tail.push(context(`request ${inlineCode(view.id, 64)}`));
  if (view.simulated) tail.push(context(SIMULATED_LINE));

  const alarmText = counts.leftStopped > 0 ? `🚨 ${leftStoppedPhrase(counts.leftStopped)}. ` : '';
  const text = `${view.simulated ? '[Simulated] ' : ''}${alarmText}${who} ${sentence}`;
  // Lines are far shorter than a section by construction; the cut only guards against the impossible.
  const lines = sortedInstances(view).map((p) => truncate(instanceLine(p, view), SLACK_LIMITS.sectionText - 100));
  const fixedChars = blockTextLength(head) + blockTextLength(tail);
  const fixedBlocks = head.length + tail.length;

  if (lines.length <= LIST_IN_FULL_UP_TO) {
    const full = packLines(lines, SLACK_LIMITS.messageBlocks - fixedBlocks, MESSAGE_TEXT_BUDGET - fixedChars);
    if (full.count === lines.length) return { text, blocks: [...head, ...full.blocks, ...tail] };
  }

  // Collapsed: counts, the instances not backed up that fit, and the complete table as a file.
  const filename = resultsFilename(view);
  const n = (value: number) => value.toLocaleString('en-US');
  const tallyParts = [`✅ ${n(counts.succeeded)} of ${n(lines.length)} backed up`];
  if (counts.failed > 0) tallyParts.push(`❌ ${n(counts.failed)} failed`);
  if (counts.skipped > 0) tallyParts.push(`⏭️ ${n(counts.skipped)} skipped`);
  if (counts.running > 0) tallyParts.push(`⏳ ${n(counts.running)} still running`);
  const tally = section(tallyParts.join(' · '));
  const footer = context(
    `The attached file ${inlineCode(filename, 100)} lists all ${plural(lines.length, 'instance')}: backup file ids, sizes, errors and RequestIds.`,
  );
  // Sorted failures first, so everything before the successes is what was not backed up.
  const problems = lines.slice(0, lines.length - counts.succeeded);
  const reserve = 200; // the heading and the "…and N more" line
  const summaryChars = blockTextLength([tally, footer]) + reserve;
  const shown = packLines(
    problems.slice(0, LIST_IN_FULL_UP_TO),
    SLACK_LIMITS.messageBlocks - fixedBlocks - 4,
    MESSAGE_TEXT_BUDGET - fixedChars - summaryChars,
  );
  const listed: KnownBlock[] = [];
  if (problems.length > 0) {
    listed.push(section(`*Not backed up (${n(problems.length)}):*`), ...shown.blocks);
    const unlisted = problems.length - shown.count;
    if (unlisted > 0) listed.push(context(`…and ${n(unlisted)} more in the attached file`));
  }
  return {
    text,
    blocks: [...head, tally, ...listed, footer, ...tail],
    fullTable: { filename, content: backupResultsCsv(view) },
  };
}

/**
 * The reply when the whole request failed (BackupApp itself was refused, or its outcome is unknown): the code,
 * message and RequestId, and when the outcome is unknown, how to check before retrying.
 */
export function cloudErrorReply(view: BackupRequestView, failure: CloudFailure): SlackMessage {
  const who = mention(view.actor.userId);
  const sentence = failure.outcomeUnknown
    ? 'The bot could not tell whether your backup started.'
    : 'Your backup did not start: the cloud phone service refused the request.';
  const blocks: KnownBlock[] = [section(`${who} ${sentence}`), section(failureText(failure))];
  if (failure.outcomeUnknown) blocks.push(section(statusHint(view.id)));
  else blocks.push(context('Give the RequestId to support if you ask them about this error.'));
  // When the outcome is unknown the hint above already names the request.
  const request = failure.outcomeUnknown ? '' : ` · request ${inlineCode(view.id, 64)}`;
  blocks.push(
    context(`${plural(view.spec.apps.length, 'app')} on ${plural(countInstances(view).total, 'instance')}${request}`),
  );
  if (view.simulated) blocks.push(context(SIMULATED_LINE));
  const code = inlineText(failure.code || 'UnknownError', 64);
  return { text: `${view.simulated ? '[Simulated] ' : ''}${who} ${sentence} (${code})`, blocks };
}

/** At most this many backups are offered in the reply's restore menu (Slack allows 100 options). */
const RESTORE_MENU_MAX = 100;

/**
 * The next step after a backup: restore from it. One backup gets a button; several get a menu of them (by instance).
 * The values are the catalog menu's (`restore:bf-…`), checked by the same listener.
 */
function restoreNextStep(view: BackupRequestView): Button | StaticSelect | undefined {
  const made = sortedInstances(view).filter((p) => p.state === 'succeeded' && p.backupFileId);
  if (made.length === 0) return undefined;
  const restoreValue = (p: InstanceProgress) => catalogEntryValue('restore', p.backupFileId ?? '');
  if (made.length === 1) {
    return {
      type: 'button',
      action_id: ACTION.restoreFromBackup,
      text: { type: 'plain_text', text: 'Restore from this backup…' },
      value: restoreValue(made[0] as InstanceProgress),
    };
  }
  const options: PlainTextOption[] = made.slice(0, RESTORE_MENU_MAX).map((p) => {
    const name = view.spec.instanceNames?.[p.instanceId];
    const label = name ? `${name} (${p.instanceId})` : p.instanceId;
    return { text: { type: 'plain_text', text: truncate(`From ${label}`, 75) }, value: restoreValue(p) };
  });
  return {
    type: 'static_select',
    action_id: ACTION.restoreFromBackup,
    placeholder: { type: 'plain_text', text: 'Restore from one of these backups…' },
    options,
  };
}

/** The next steps on a backup's reply: restore from what it made, retry what failed (a confirmation lists them). */
function nextSteps(view: BackupRequestView): ActionsBlock | undefined {
  const elements: (Button | StaticSelect)[] = [];
  const restore = restoreNextStep(view);
  if (restore) elements.push(restore);
  const failed = view.instances.filter((p) => p.state === 'failed').length;
  if (failed > 0) {
    elements.push({
      type: 'button',
      action_id: ACTION.retryFailed,
      text: { type: 'plain_text', text: failed === 1 ? 'Retry the failed instance…' : `Retry ${failed} failed…` },
      value: view.id,
    });
  }
  return elements.length > 0 ? { type: 'actions', block_id: BLOCK.backupNextStep, elements } : undefined;
}

/** The confirmation before retrying: which instances, what is backed up where; Retry starts a new request. */
export function retryFailedModal(input: {
  requestId: string;
  channelId: string;
  spec: BackupRequestView['spec'];
  names: Record<string, string> | undefined;
}): ModalView {
  const { spec } = input;
  const list = summariseList(spec.instanceIds, (id) => instanceText(id, { ...spec, instanceNames: input.names }), 2000);
  return {
    type: 'modal',
    callback_id: CALLBACK.backupRetry,
    title: { type: 'plain_text', text: 'Retry failed backups' },
    submit: { type: 'plain_text', text: 'Retry' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: JSON.stringify({ r: input.requestId, c: input.channelId }),
    blocks: [
      section(
        `Back up ${summariseList(spec.apps, (a) => inlineCode(a, 80), 600)} again on *${plural(spec.instanceIds.length, 'instance')}* that failed in ${inlineCode(input.requestId, 64)}:`,
      ),
      section(list),
      context(
        `To ${inlineCode(spec.backupPath, 300)}. A new request with its own message in the channel; the first one's thread links to it.`,
      ),
    ],
  };
}

/** What the retry confirmation carries (`r`: the first request, `c`: its channel). */
export const RetryMetadata = z.object({ r: z.string().regex(/^req-[0-9a-f]{1,32}$/), c: z.string().min(1).max(40) });

/** Posted in the first request's thread when a person retries its failures. */
export function retryLinkText(input: {
  userId: string;
  instances: number;
  newRequestId: string;
  /** What was retried, as counted: `failed instance` (a backup's) or `failed target` (a restore's). */
  noun?: string | undefined;
}): string {
  return `🔁 ${mention(input.userId)} is retrying ${plural(input.instances, input.noun ?? 'failed instance')} as request ${inlineCode(input.newRequestId, 64)}; its progress is in its own message in this channel.`;
}
