/**
 * Cancel, as every kind shows it (pipeline/cancel.ts): the button on a running request's message (confirmed first),
 * the line saying who cancelled once someone did, and the answer to the person who pressed it. What a cancel cannot
 * undo is said plainly: what the cloud already has finishes on its own.
 */
import type { ActionsBlock, ContextBlock } from '@slack/types';
import type { Cancellation } from '../services/backup/model.js';
import type { CancellableKind, CancelTally } from '../services/pipeline/cancel.js';
import { context } from './common.js';
import { mention, plural, slackDate } from './format.js';
import { ACTION, BLOCK } from './ids.js';

interface Words {
  /** What one item is (an instance backed up, a target restored onto, a backup file deleted). */
  item: string;
  /** What happens to the items the cloud already has (or, for a run, the items of the wave under way). */
  inCloud(count: number): string;
  /** The confirmation before cancelling. */
  confirm: { title: string; text: string; button: string };
  /** Once cancelled, after "Cancelled by @x:". */
  after: string;
}

const WORDS: Record<CancellableKind, Words> = {
  backup: {
    item: 'instance',
    inCloud: (count) =>
      `${plural(count, 'backup')} had already reached the cloud and cannot be called back: they finish on their own, and the reply in the thread lists them.`,
    confirm: {
      title: 'Cancel this backup?',
      text: 'Instances whose backup has not been sent yet are skipped. A backup already sent to the cloud cannot be called back.',
      button: 'Cancel the backup',
    },
    after:
      'instances whose backup was not yet sent are skipped; a backup the cloud already had cannot be called back and finishes on its own.',
  },
  restore: {
    item: 'target',
    inCloud: (count) =>
      `${plural(count, 'restore')} had already reached the cloud and cannot be called back: they finish on their own, and the reply in the thread lists them.`,
    confirm: {
      title: 'Cancel this restore?',
      text: 'Targets not yet restored onto are skipped and keep their apps as they are. A restore already sent to the cloud cannot be called back. Instances the bot already started stay running.',
      button: 'Cancel the restore',
    },
    after:
      'targets not yet restored onto are skipped and left as they are; a restore the cloud already had cannot be called back and finishes on its own.',
  },
  delete: {
    item: 'backup',
    inCloud: (count) =>
      `The deletion of ${plural(count, 'backup')} had already been sent to the cloud and cannot be called back: the result message says how it went.`,
    confirm: {
      title: 'Cancel this deletion?',
      text: 'Nothing is deleted if the deletion has not been sent to the cloud yet. Once sent, it cannot be called back.',
      button: 'Cancel the deletion',
    },
    after: 'nothing that was not yet sent to the cloud is deleted.',
  },
  'schedule-run': {
    item: 'instance',
    inCloud: (count) =>
      `${plural(count, 'instance')} ${count === 1 ? 'was' : 'were'} in the wave under way: a backup not yet sent is skipped, one the cloud already has finishes on its own. The summary in the thread lists them.`,
    confirm: {
      title: 'Cancel this run?',
      text: 'Instances not yet backed up are skipped, including those of the wave under way whose backup was not sent yet. Backups already sent finish on their own. No retention is applied.',
      button: 'Cancel the run',
    },
    after:
      'instances not yet backed up are skipped; backups already sent finish on their own; no retention is applied.',
  },
};

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/** The Cancel button (confirmed first) for a request still running. */
export function cancelButtonBlock(kind: CancellableKind, requestId: string): ActionsBlock {
  const { confirm } = WORDS[kind];
  return {
    type: 'actions',
    block_id: BLOCK.requestCancel,
    elements: [
      {
        type: 'button',
        action_id: ACTION.cancelRequest,
        text: plain('Cancel'),
        value: requestId,
        confirm: {
          title: plain(confirm.title),
          text: plain(confirm.text),
          confirm: plain(confirm.button),
          deny: plain('Keep going'),
          style: 'danger',
        },
      },
    ],
  };
}

/** Who cancelled, and what that means, in place of the button. */
function cancelledNote(kind: CancellableKind, cancelled: Cancellation): ContextBlock {
  return context(`🛑 Cancelled by ${mention(cancelled.userId)}: ${WORDS[kind].after}`, BLOCK.requestCancel);
}

/**
 * What a request's own message shows for Cancel: who cancelled, once someone did; else the button while there is
 * something left to cancel (`open`); else nothing.
 */
export function cancelBlock(
  kind: CancellableKind,
  request: { id: string; cancelled?: Cancellation | undefined },
  open: boolean,
): ActionsBlock | ContextBlock | undefined {
  if (request.cancelled) return cancelledNote(kind, request.cancelled);
  return open ? cancelButtonBlock(kind, request.id) : undefined;
}

/** The answer to a second press: who cancelled it first, and when. */
export function alreadyCancelledAnswer(by: Cancellation): string {
  return `🛑 ${mention(by.userId)} already cancelled this ${slackDate(new Date(by.at))}: what it had not sent is skipped.`;
}

/** The answer to the person who pressed Cancel (only they see it). */
export function cancelAnswer(result: CancelTally & { kind: CancellableKind; awaitingApproval: boolean }): string {
  const words = WORDS[result.kind];
  if (result.awaitingApproval) {
    return '🛑 Cancelled while it waited for approval: nothing was sent to the cloud, and the approvers are told it no longer needs them.';
  }
  if (result.notSent === 0 && result.inCloud === 0) {
    return '🛑 Cancelled before it had sent anything to the cloud: it stops at its next step.';
  }
  const skipped =
    result.notSent > 0
      ? `${plural(result.notSent, words.item)} not yet sent will be skipped.`
      : `Every ${words.item} had already been sent, so nothing is left to skip.`;
  const sent = result.inCloud > 0 ? ` ${words.inCloud(result.inCloud)}` : ' Nothing had reached the cloud yet.';
  return `🛑 Cancelled. ${skipped}${sent}`;
}
