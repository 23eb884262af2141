/**
 * Messages about one restore: the channel message that tracks it (updated in place), the one threaded reply when it
 * is done (with the "Mark restore verified" button, or who verified it), and the answers to pressing that button.
 */
import type { ActionsBlock, KnownBlock } from '@slack/types';
import { includedTargets } from '../services/restore/compat.js';
import {
  type RestoreRequestView,
  type RestoreStatus,
  type RestoreTarget,
  restoreNotSent,
} from '../services/restore/model.js';
import { cancelBlock } from './cancel-messages.js';
import {
  appsText,
  backupTitle,
  code,
  context,
  failureText,
  SIMULATED_NOTE,
  section,
  verifiedByText,
} from './common.js';
import { truncate } from './escape.js';
import { formatDuration, mention, plural, slackDate } from './format.js';
import { ACTION, BLOCK, COMMAND } from './ids.js';
import { MESSAGE_TEXT_BUDGET, SLACK_LIMITS, type SlackMessage } from './limits.js';
import { targetOutcomeLine } from './restore-text.js';
import { checksHeading, targetCheckText } from './verification-text.js';

/** The block_id that marks a restore's completion reply, so a re-run after a crash finds it instead of posting again. */
export function restoreCompletionMarker(requestId: string): string {
  return `restore-completion:${requestId}`;
}

const EMOJI: Record<RestoreStatus, string> = {
  planned: '📝',
  received: '⏳',
  'awaiting-approval': '✋',
  running: '🔄',
  succeeded: '✅',
  partial: '⚠️',
  failed: '❌',
  denied: '⛔',
  expired: '⌛',
  cancelled: '🛑',
};

export function restoreStatusText(view: RestoreRequestView): string {
  const targets = includedTargets(view);
  const done = targets.filter((t) => t.state === 'succeeded').length;
  const failed = targets.filter((t) => t.state === 'failed' || t.state === 'skipped').length;
  const running = targets.length - done - failed;
  const n = (value: number) => value.toLocaleString('en-US');
  switch (view.status) {
    case 'planned':
      return 'Planned, not confirmed';
    case 'received':
      return `Received: ${plural(targets.length, 'target')}`;
    case 'awaiting-approval':
      return 'Waiting for approval: nothing changes until it is approved (see the thread)';
    case 'denied':
      return 'Denied: nothing was restored or changed';
    case 'expired':
      return 'Not approved in time: nothing was restored or changed';
    case 'cancelled':
      return 'Cancelled before anything was restored';
    case 'running': {
      const starting = targets.filter((t) => t.state === 'starting').length;
      const note = starting > 0 ? `; starting ${plural(starting, 'stopped target')} first` : '';
      return `Running: ${n(done)} of ${n(targets.length)} restored${failed > 0 ? `, ${n(failed)} not` : ''}${running > 0 ? `, ${n(running)} in progress` : ''}${note}`;
    }
    case 'succeeded':
      return targets.length === 1 ? 'Finished: restored' : `Finished: restored on all ${n(targets.length)}`;
    case 'partial':
      return `Partly done: restored on ${n(done)} of ${n(targets.length)}`;
    case 'failed':
      if (view.failure) return 'Failed: the cloud phone service refused the restore';
      return targets.length === 1 ? 'Failed: not restored' : `Failed: restored on none of the ${n(targets.length)}`;
    default:
      return 'Status unknown';
  }
}

/** Lines in sections, within the message's block and text budget; the rest counted. */
function targetSections(
  targets: readonly RestoreTarget[],
  maxBlocks: number,
  maxChars: number,
  requestId: string,
): KnownBlock[] {
  const lines = targets.map((t) => truncate(targetOutcomeLine(t), 600));
  const blocks: KnownBlock[] = [];
  let current = '';
  let used = 0;
  let shown = 0;
  for (const line of lines) {
    if (used + line.length + 1 > maxChars) break;
    if (current.length + line.length + 1 > SLACK_LIMITS.sectionText) {
      if (blocks.length + 2 > maxBlocks) break;
      blocks.push(section(current));
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
    used += line.length + 1;
    shown++;
  }
  if (current !== '') blocks.push(section(current));
  if (shown < lines.length) {
    blocks.push(
      context(
        `…and ${plural(lines.length - shown, 'more target')}: \`${COMMAND} status ${requestId}\` lists them all.`,
      ),
    );
  }
  return blocks;
}

/** The channel message that tracks a restore: who, what onto what, status, and each target's state. */
export function restoreParentMessage(view: RestoreRequestView): SlackMessage {
  const targets = includedTargets(view);
  const who = mention(view.actor.userId);
  const asked = `${who} asked to restore ${backupTitle(view.backup)} (${plural(view.backup.apps.length, 'app')}) onto *${plural(targets.length, 'instance')}*`;
  const status = restoreStatusText(view);
  const blocks: KnownBlock[] = [];
  if (view.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(section(asked), section(`${EMOJI[view.status]} *${status}*`));
  if (view.failure) blocks.push(section(failureText(view.failure)));
  blocks.push(...targetSections(view.targets, 40, MESSAGE_TEXT_BUDGET - 2000, view.id));
  // Cancel while some target's restore is not yet sent, or who cancelled it.
  const open = view.finishedAt === undefined && includedTargets(view).some(restoreNotSent);
  const cancel = cancelBlock('restore', view, open);
  if (cancel) blocks.push(cancel);
  const times = [`Requested ${slackDate(view.createdAt)}`];
  if (view.finishedAt) {
    times.push(
      `finished ${slackDate(view.finishedAt)} (took ${formatDuration(view.finishedAt.getTime() - view.createdAt.getTime())})`,
    );
  }
  times.push(`restore ${code(view.id)}`);
  blocks.push(context(times.join(' · ')));
  const text = `${view.simulated ? '[Simulated] ' : ''}${who} asked to restore ${view.backup.backupFileId} onto ${plural(targets.length, 'instance')}: ${status}`;
  return { text, blocks };
}

function outcomeSentence(view: RestoreRequestView): string {
  const targets = includedTargets(view);
  const done = targets.filter((t) => t.state === 'succeeded').length;
  switch (view.status) {
    case 'succeeded':
      // The backup is named once, in the line below the sentence.
      return targets.length === 1
        ? 'The restore finished: the instance has the backed-up apps.'
        : `The restore finished on all ${targets.length} instances.`;
    case 'partial':
      return `The restore worked on only ${done} of ${targets.length} instances.`;
    case 'denied':
      return 'The restore was denied by an approver: nothing was restored or changed.';
    case 'expired':
      return 'The restore was not approved in time: nothing was restored or changed.';
    case 'cancelled':
      return 'The restore was cancelled before anything was restored.';
    default:
      return 'The restore failed: nothing was restored.';
  }
}

/** What the bot's checks after the restore found, per target and app (at most ~2000 characters). */
function checkSections(view: RestoreRequestView): KnownBlock[] {
  const checks = view.checks;
  if (!checks || checks.targets.length === 0) return [];
  const blocks: KnownBlock[] = [section(checksHeading(view, checks))];
  let budget = 2000;
  for (const [index, target] of checks.targets.entries()) {
    const text = truncate(targetCheckText(target), SLACK_LIMITS.sectionText);
    if (text.length > budget) {
      blocks.push(
        context(
          `…and ${plural(checks.targets.length - index, 'more instance')} checked (see \`/cloudphone status ${view.id}\`)`,
        ),
      );
      break;
    }
    budget -= text.length;
    blocks.push(section(text));
  }
  return blocks;
}

/** "Retry failed…" when targets failed: the restore form again with the backup and those targets filled in. */
function retryBlock(view: RestoreRequestView): KnownBlock | undefined {
  const failed = view.targets.filter((t) => t.state === 'failed').length;
  if (failed === 0 || view.finishedAt === undefined) return undefined;
  return {
    type: 'actions',
    block_id: BLOCK.restoreRetry,
    elements: [
      {
        type: 'button',
        action_id: ACTION.retryFailedRestore,
        text: { type: 'plain_text', text: failed === 1 ? 'Retry the failed target…' : `Retry ${failed} failed…` },
        value: view.id,
      },
    ],
  };
}

/** The verify button, or who verified and when. */
function verifyBlock(view: RestoreRequestView): KnownBlock | undefined {
  if (view.verification) {
    return context(
      `✅ *Restore verified* ${verifiedByText(view.verification)} ${slackDate(view.verification.at)}: backup ${code(view.backup.backupFileId)} is known to restore.`,
      BLOCK.restoreVerify,
    );
  }
  const restored = view.targets.some((t) => t.state === 'succeeded');
  if (!restored) return undefined;
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: BLOCK.restoreVerify,
    elements: [
      {
        type: 'button',
        action_id: ACTION.markVerified,
        text: { type: 'plain_text', text: 'Mark restore verified', emoji: true },
        style: 'primary',
        value: view.id,
        confirm: {
          title: { type: 'plain_text', text: 'Mark this restore verified?' },
          text: {
            type: 'mrkdwn',
            text: 'Only if you opened the restored apps and their data is there. Everyone will see the backup as verified.',
          },
          confirm: { type: 'plain_text', text: 'Yes, I checked' },
          deny: { type: 'plain_text', text: 'Not yet' },
        },
      },
    ],
  };
  return actions;
}

/** A target whose restore was never sent or did not work: what the thread reply still names. */
function notRestored(target: RestoreTarget): boolean {
  return target.state === 'failed' || target.state === 'skipped';
}

/** "✅ 3 restored · ❌ 1 failed · ⏭️ 2 skipped"; zero counts left out, empty when no target has an outcome yet. */
function outcomeCounts(targets: readonly RestoreTarget[]): string {
  const count = (state: RestoreTarget['state']) => targets.filter((t) => t.state === state).length;
  const parts: [emoji: string, n: number, words: string][] = [
    ['✅', count('succeeded'), 'restored'],
    ['❌', count('failed'), 'failed'],
    ['⏭️', count('skipped'), 'skipped'],
  ];
  return parts
    .filter(([, n]) => n > 0)
    .map(([emoji, n, words]) => `${emoji} ${n.toLocaleString('en-US')} ${words}`)
    .join(' · ');
}

/**
 * The single threaded reply when a restore is done: mentions the person, says the outcome and the counts, names the
 * targets that were not restored and why, and (when anything was restored) asks whoever checks the apps to mark the
 * restore verified. It sits in the thread of the channel message, which already lists every target, so the targets
 * that were restored are only counted here.
 */
export function restoreCompletionReply(view: RestoreRequestView): SlackMessage {
  const who = mention(view.actor.userId);
  const sentence = outcomeSentence(view);
  const blocks: KnownBlock[] = [context(`Restore ${code(view.id)}`, restoreCompletionMarker(view.id))];
  blocks.push(section(`${who} ${sentence}`));
  // The targets the person confirmed, as the sentence counts them; refused or left-out ones are listed, not counted.
  const counts = outcomeCounts(includedTargets(view));
  if (counts !== '') blocks.push(section(counts));
  blocks.push(context(`${appsText(view.backup.apps, 600)} · backup ${backupTitle(view.backup)}`));
  if (view.failure) blocks.push(section(failureText(view.failure)));
  blocks.push(...targetSections(view.targets.filter(notRestored), 40, MESSAGE_TEXT_BUDGET - 4500, view.id));
  blocks.push(...checkSections(view));
  const verify = verifyBlock(view);
  if (verify && !view.verification) {
    blocks.push(
      section(
        view.automaticVerification
          ? 'The bot checked what it can see. For what it cannot (logins, features), open the apps and, when they work, mark the restore verified too.'
          : 'Open the restored apps and check their data. When they work, mark the restore verified: the catalog then shows this backup as one that restores, and deleting it no longer needs a second confirmation.',
      ),
    );
  }
  if (verify) blocks.push(verify);
  const retry = retryBlock(view);
  if (retry) blocks.push(retry);
  if (view.simulated) blocks.push(context(SIMULATED_NOTE));
  const text = `${view.simulated ? '[Simulated] ' : ''}${who} ${sentence}`;
  return { text, blocks };
}

/** Ephemeral answer when the verify button cannot be used. */
export function verifyRefusedMessage(reason: 'not-found' | 'denied' | 'not-restored', detail?: string): SlackMessage {
  const text =
    reason === 'denied'
      ? `🔒 You can't mark this restore verified: ${detail ?? 'no rule allows it'}`
      : reason === 'not-restored'
        ? 'Nothing was restored, so there is nothing to verify.'
        : 'The bot has no record of this restore.';
  return { text, blocks: [section(text)] };
}
