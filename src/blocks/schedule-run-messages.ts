/**
 * A scheduled run's messages: the one parent message (updated in place with the wave progress), the threaded summary
 * at the end, and the full per-instance table as a file when it is long. A clean run is one quiet line; a run with
 * failures says so in the parent and mentions the schedule's owner.
 */

import type { RetentionPlan } from '../services/schedules/retention.js';
import type { ScheduleRunView } from '../services/schedules/run-steps.js';
import { waveInWords } from '../services/schedules/spec.js';
import { cancelBlock } from './cancel-messages.js';
import { inlineCode, truncate } from './escape.js';
import { progressBar, slackDate } from './format.js';

/** Rows shown in the summary itself; a longer table goes in a file. */
export const SUMMARY_ROWS = 20;

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: truncate(text, 2900) } });
const context = (text: string) => ({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, 2900) }] });

function title(view: ScheduleRunView): string {
  const name = `*${view.detail.scheduleName}*`;
  const when = view.detail.startedBy
    ? `started now by <@${view.detail.startedBy}>`
    : view.detail.slotAt !== undefined
      ? `slot ${slackDate(new Date(view.detail.slotAt))}`
      : '';
  return `Scheduled backup ${name}${when ? ` (${when})` : ''}`;
}

function simulatedNote(view: ScheduleRunView): string {
  return view.simulated ? ' _(simulator)_' : '';
}

/** Has anything gone wrong that the owner must look at? */
export function runHasFailures(view: ScheduleRunView): boolean {
  const prune = view.detail.prune;
  return (
    // A cancelled run is the owner's to know about too: it skipped instances and applied no retention.
    ['failed', 'partial', 'denied', 'cancelled'].includes(view.status) ||
    view.counts.failed > 0 ||
    (view.detail.unmatched?.length ?? 0) > 0 ||
    (prune?.status !== undefined && prune.status !== 'deleted') ||
    view.instances?.some((i) => i.restartFailed) === true
  );
}

function missedLine(view: ScheduleRunView): string | undefined {
  const missed = view.detail.missedSlots;
  if (!missed) return undefined;
  const span =
    missed.count === 1
      ? slackDate(new Date(missed.first))
      : `${slackDate(new Date(missed.first))} … ${slackDate(new Date(missed.last))}`;
  return `${missed.count} slot${missed.count === 1 ? ' was' : 's were'} missed while the bot was down (${span}); they were not run.`;
}

/** The parent message: what the run is doing, counts and a progress bar. */
export function scheduleRunParentMessage(view: ScheduleRunView): { text: string; blocks: unknown[] } {
  const { counts } = view;
  const ended = view.step === 'report' || view.step === 'done';
  if (view.status === 'missed') {
    const text = `⚠️ ${title(view)}: ${missedLine(view) ?? 'slots were missed'} <@${view.owner.userId}>`;
    return { text, blocks: [section(text)] };
  }
  if (view.status === 'denied') {
    const text = `⛔ ${title(view)} did not run: <@${view.owner.userId}> may no longer do it (${view.detail.denied ?? 'denied'}). Nothing was stopped.`;
    return { text, blocks: [section(text)] };
  }
  const done = counts.succeeded;
  const bar = progressBar(done, counts.failed + counts.skipped, counts.total);
  const wave = `wave ${view.detail.waveCount ?? '?'} (${waveInWords(view.detail.spec.wave)})`;
  let head: string;
  if (!ended) {
    head = `⏳ ${title(view)}: ${done}/${counts.total} backed up, ${counts.inFlight} in this wave, ${counts.queued} waiting · ${wave}`;
  } else if (view.status === 'cancelled') {
    head = `🛑 ${title(view)} was cancelled${view.cancelled ? ` by <@${view.cancelled.userId}>` : ''}: ${done}/${counts.total} backed up, ${counts.failed} failed, ${counts.skipped} skipped${view.detail.prune?.deleteId ? '' : ', no retention applied'}. <@${view.owner.userId}>`;
  } else if (runHasFailures(view)) {
    head = `❌ ${title(view)} had failures: ${done}/${counts.total} backed up, ${counts.failed} failed, ${counts.skipped} skipped. <@${view.owner.userId}>`;
  } else {
    head = `✅ ${title(view)}: ${done}/${counts.total} backed up`;
  }
  const text = `${head}${simulatedNote(view)}`;
  if (ended && !runHasFailures(view)) return { text, blocks: [section(text)] };
  const lines = [`${bar}`];
  if (view.detail.listingError) {
    lines.push(
      `Could not list the fleet: ${inlineCode(view.detail.listingError.code)} ${view.detail.listingError.message}`,
    );
  }
  const blocks: unknown[] = [section(text), context(lines.join('\n'))];
  // Cancel while the run is under way; once someone cancelled, who did (until the head says it).
  const cancel = ended ? undefined : cancelBlock('schedule-run', view, true);
  if (cancel) blocks.push(cancel);
  return { text, blocks };
}

function instanceRow(i: NonNullable<ScheduleRunView['instances']>[number]): string {
  if (i.state === 'skipped') return `${i.instanceId}\tskipped\t${i.reasonCode ?? ''}\t${i.reasonMessage ?? ''}`;
  const outcome = i.outcome ?? i.state;
  const restart = i.restartFailed ? '\tleft stopped' : '';
  return `${i.instanceId}\t${outcome}\t${i.errorCode ?? i.backupFileId ?? ''}\t${i.errorMessage ?? ''}${restart}`;
}

function rowText(i: NonNullable<ScheduleRunView['instances']>[number]): string {
  if (i.state === 'skipped') return `• ${inlineCode(i.instanceId)} skipped: ${i.reasonMessage ?? i.reasonCode ?? ''}`;
  const outcome = i.outcome ?? i.state;
  if (outcome === 'succeeded') {
    return `• ${inlineCode(i.instanceId)} ✓ ${i.backupFileId ? inlineCode(i.backupFileId) : ''}${i.restartFailed ? ' — *left stopped*' : ''}`;
  }
  return `• ${inlineCode(i.instanceId)} ${outcome}: ${i.errorCode ? inlineCode(i.errorCode) : ''} ${truncate(i.errorMessage ?? '', 200)}`;
}

/** The threaded summary at the end; `fullTable` when the per-instance table is too long for a message. */
export function scheduleRunSummary(view: ScheduleRunView): {
  text: string;
  blocks: unknown[];
  fullTable?: { filename: string; content: string } | undefined;
} {
  const parent = scheduleRunParentMessage(view);
  if (view.status === 'missed' || view.status === 'denied')
    return { text: parent.text, blocks: [section(parent.text)] };
  const instances = view.instances ?? [];
  const prune = view.detail.prune;
  const pruned = prune?.files ?? [];
  if (!runHasFailures(view)) {
    // A clean run: one quiet line.
    const removed =
      pruned.length > 0 ? `; retention removed ${pruned.map((f) => inlineCode(f.backupFileId)).join(', ')}` : '';
    const text = `✅ ${view.counts.succeeded} backed up, nothing failed${removed}.`;
    return { text, blocks: [section(text)] };
  }
  const lines: string[] = [];
  const missed = missedLine(view);
  if (missed) lines.push(missed);
  for (const target of view.detail.unmatched ?? []) lines.push(`• target ${inlineCode(target)} matched no instance`);
  const notable = instances.filter((i) => i.state === 'skipped' || i.outcome !== 'succeeded' || i.restartFailed);
  for (const i of notable.slice(0, SUMMARY_ROWS)) lines.push(rowText(i));
  if (notable.length > SUMMARY_ROWS) lines.push(`… and ${notable.length - SUMMARY_ROWS} more in the attached table.`);
  if (prune?.deleteId) {
    const outcome =
      prune.status === 'deleted' ? 'removed' : `could not be removed (${prune.errorCode ?? prune.status ?? 'unknown'})`;
    lines.push(`Retention ${outcome}: ${pruned.map((f) => inlineCode(f.backupFileId)).join(', ')}`);
  }
  const text = `${parent.text}\n${lines.join('\n')}`;
  const long = instances.length > SUMMARY_ROWS;
  return {
    text: truncate(text, 3000),
    blocks: [section(parent.text), ...(lines.length > 0 ? [section(lines.join('\n'))] : [])],
    fullTable: long
      ? {
          filename: `${view.detail.scheduleName}-${view.id}.tsv`,
          content: ['instance\toutcome\tbackup or error\tdetail', ...instances.map(instanceRow)].join('\n'),
        }
      : undefined,
  };
}

/** `schedule run <name>` accepted: where the run will report. */
export function scheduleRunStartedMessage(name: string, runId: string, channelId: string): { text: string } {
  const where = channelId.startsWith('U') ? 'your direct messages' : `<#${channelId}>`;
  return { text: `▶️ Running schedule ${inlineCode(name)} now (run ${inlineCode(runId)}); it reports in ${where}.` };
}

/** Why `schedule run` / `schedule prune-preview` did nothing. */
export function scheduleRunRefusedMessage(
  name: string,
  reason: 'not-found' | 'not-allowed' | 'held',
): {
  text: string;
} {
  if (reason === 'not-found') {
    return { text: `No schedule is named ${inlineCode(name)}. \`/cloudphone schedule list\` shows the schedules.` };
  }
  if (reason === 'held') {
    return {
      text: `✋ ${inlineCode(name)} has retention and is not approved (it waits for its approval, or was denied or expired), so it does not run. \`/cloudphone schedule show ${name}\` shows its state.`,
    };
  }
  return { text: `⛔ Only the schedule's owner and the bot's admins may do that with ${inlineCode(name)}.` };
}

/** `schedule prune-preview <name>`: what retention would delete today (nothing is deleted). */
export function prunePreviewMessage(input: { name: string; hasRetention: boolean; plan: RetentionPlan }): {
  text: string;
} {
  const { name, plan } = input;
  if (!input.hasRetention) return { text: `Schedule ${inlineCode(name)} has no retention: it deletes nothing.` };
  const lines = [
    plan.delete.length === 0
      ? `Retention of ${inlineCode(name)} would delete nothing today.`
      : `Retention of ${inlineCode(name)} would delete ${plan.delete.length} backup${plan.delete.length === 1 ? '' : 's'} today (nothing is deleted now):`,
  ];
  for (const file of plan.delete.slice(0, 40)) {
    lines.push(
      `• ${inlineCode(file.backupFileId)} of ${inlineCode(file.instanceId)}, made ${slackDate(new Date(file.createdAt))}`,
    );
  }
  if (plan.delete.length > 40) lines.push(`… and ${plan.delete.length - 40} more.`);
  for (const kept of plan.protected.slice(0, 20)) {
    const why = kept.why === 'newest-good-backup' ? 'the newest good backup' : 'the only verified backup';
    lines.push(
      `• kept ${inlineCode(kept.backupFileId)} of ${inlineCode(kept.instanceId)}: it is the instance's ${why}`,
    );
  }
  return { text: truncate(lines.join('\n'), 3500) };
}
