/**
 * Deleting backups: the confirmation that lists what goes (and what cannot), the second confirmation pushed on top
 * for backups no restore was ever verified from (it names the risk and needs an explicit tick), and the message that
 * reports the outcome in the channel.
 */
import type { Checkboxes, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { DeleteFile, DeleteRecord } from '../db/delete-requests.js';
import { deletableFiles, unverifiedFiles } from '../services/delete/service.js';
import {
  appsText,
  backupStatusText,
  backupTitle,
  code,
  context,
  errorCode,
  failureText,
  plain,
  SIMULATED_NOTE,
  section,
  verifiedByText,
} from './common.js';
import { inlineText, truncate } from './escape.js';
import { formatBytes, mention, plural, slackDate } from './format.js';
import { ACTION, BLOCK, CALLBACK, CHOICE, COMMAND } from './ids.js';
import { SLACK_LIMITS, type SlackMessage } from './limits.js';

export const DELETE_TEXT = {
  title: 'Delete backups',
  secondTitle: 'Never verified',
  submit: 'Delete',
  continue: 'Continue',
  submitAnyway: 'Delete anyway',
  close: 'Cancel',
  back: 'Back',
} as const;

export function deleteLoadingView(count: number, simulated: boolean): ModalView {
  const blocks: KnownBlock[] = [];
  if (simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(section(`⏳ Looking up ${plural(count, 'backup')} and whether a restore from each was verified…`));
  return {
    type: 'modal',
    callback_id: CALLBACK.deleteLoading,
    title: plain(DELETE_TEXT.title),
    close: plain('Close'),
    blocks,
  };
}

function fileText(file: DeleteFile): string {
  const facts = [appsText(file.apps, 300)];
  if (file.sizeBytes !== undefined) facts.push(formatBytes(file.sizeBytes));
  facts.push(backupStatusText(file.status));
  const verified = file.verifiedBy
    ? `✅ a restore from it was verified ${verifiedByText(file.verifiedBy)} ${slackDate(new Date(file.verifiedBy.at))}`
    : '⚠️ *never verified*: nobody has checked that a restore from it works';
  return truncate(
    `${backupTitle({ ...file, status: file.status })}\n${facts.join(' · ')}\n${verified}`,
    SLACK_LIMITS.sectionText,
  );
}

/** The first confirmation: every file that would go, and those that cannot (with why). */
export function buildDeleteConfirm(plan: DeleteRecord, options: { simulated: boolean }): ModalView {
  const files = deletableFiles(plan);
  const refused = plan.files.filter((file) => file.refused);
  const unverified = unverifiedFiles(plan);
  const blocks: KnownBlock[] = [];
  if (options.simulated) blocks.push(context(SIMULATED_NOTE));
  if (files.length > 0) {
    blocks.push(
      section(
        `*Delete ${plural(files.length, 'backup')}?* Deleting removes ${files.length === 1 ? 'it' : 'them'} from OSS for good; nobody can undo it.`,
      ),
    );
    for (const file of files.slice(0, 40)) blocks.push(section(fileText(file)));
    if (files.length > 40) blocks.push(context(`…and ${plural(files.length - 40, 'more backup')}.`));
  }
  if (refused.length > 0) {
    const lines = refused.map(
      (file) =>
        `• ${code(file.backupFileId)}: ${errorCode(file.refused?.code ?? 'Refused')} ${inlineText(file.refused?.message ?? '', 300)}`,
    );
    blocks.push(
      section(truncate(`*Cannot be deleted (${refused.length}):*\n${lines.join('\n')}`, SLACK_LIMITS.sectionText)),
    );
  }
  if (files.length === 0) {
    blocks.push(context('Nothing here can be deleted, so there is nothing to confirm.'));
  } else if (unverified.length > 0) {
    blocks.push(
      context(
        `⚠️ ${unverified.length === files.length ? (files.length === 1 ? 'It was' : 'None of them was') : `${unverified.length} of them ${unverified.length === 1 ? 'was' : 'were'}`} never verified by a restore: the next step asks you to confirm that separately.`,
      ),
    );
  }
  return {
    type: 'modal',
    callback_id: CALLBACK.deleteConfirm,
    title: plain(DELETE_TEXT.title),
    ...(files.length > 0 ? { submit: plain(unverified.length > 0 ? DELETE_TEXT.continue : DELETE_TEXT.submit) } : {}),
    close: plain(files.length > 0 ? DELETE_TEXT.close : 'Close'),
    private_metadata: JSON.stringify({ deleteId: plan.id }),
    blocks: blocks.slice(0, SLACK_LIMITS.modalBlocks),
  };
}

/**
 * The second confirmation, for backups no restore was ever verified from: it names the risk and needs the person
 * to tick that they understand it.
 */
export function buildDeleteSecondConfirm(plan: DeleteRecord): ModalView {
  const unverified = unverifiedFiles(plan);
  const ids = unverified.map((file) => code(file.backupFileId));
  const them = unverified.length === 1 ? 'it' : 'them';
  const risk = [
    `⚠️ *${unverified.length === 1 ? 'This backup has' : `These ${unverified.length} backups have`} never been verified by a restore:* ${truncate(ids.join(', '), 1500)}`,
    `Nobody has checked that a restore from ${them} works, so you cannot know ${unverified.length === 1 ? 'it is' : 'they are'} a good copy to replace with another backup. If ${unverified.length === 1 ? 'it is' : 'they are'} the only copy of ${unverified.length === 1 ? 'its' : 'their'} apps' data (the source instance was reset, changed or deleted since), deleting ${them} *loses that data for good*: the bot cannot undo a deletion.`,
    `Safer: restore ${unverified.length === 1 ? 'it' : 'one'} onto a spare instance first, check the apps, and press *Mark restore verified*.`,
  ];
  const option: PlainTextOption = {
    text: plain(
      truncate(
        `I understand: delete ${unverified.length === 1 ? 'a never-verified backup' : `${unverified.length} never-verified backups`} anyway`,
        SLACK_LIMITS.optionText,
      ),
    ),
    value: CHOICE.understood,
  };
  const checkbox: Checkboxes = { type: 'checkboxes', action_id: ACTION.deleteAcknowledge, options: [option] };
  return {
    type: 'modal',
    callback_id: CALLBACK.deleteConfirmUnverified,
    title: plain(DELETE_TEXT.secondTitle),
    submit: plain(DELETE_TEXT.submitAnyway),
    close: plain(DELETE_TEXT.back),
    private_metadata: JSON.stringify({ deleteId: plan.id }),
    blocks: [
      ...risk.map((text) => section(text)),
      { type: 'input', block_id: BLOCK.deleteAcknowledge, label: plain('Confirm'), element: checkbox },
    ],
  };
}

/** Whether the second confirmation's box was ticked. */
export function readDeleteAcknowledge(values: unknown): boolean {
  const block = (values as Record<string, Record<string, { selected_options?: { value?: string }[] }>> | undefined)?.[
    BLOCK.deleteAcknowledge
  ];
  const selected = block?.[ACTION.deleteAcknowledge]?.selected_options;
  return Array.isArray(selected) && selected.some((option) => option?.value === CHOICE.understood);
}

const NOT_DONE_EMOJI = { denied: '⛔', expired: '⌛', cancelled: '🛑' } as const;

/** The deletion's outcome, posted in the channel it was asked from. */
export function deleteResultMessage(record: DeleteRecord): SlackMessage {
  const who = mention(record.actor.userId);
  const files = deletableFiles(record);
  const list = files
    .map(
      (file) =>
        `• ${code(file.backupFileId)}${file.name ? ` ${code(file.name, 80)}` : ''}${file.sourceInstanceId ? ` from ${code(file.sourceInstanceId)}` : ''}${file.verifiedBy ? '' : ' · never verified by a restore (confirmed twice)'}`,
    )
    .join('\n');
  const requestId = record.cloudRequestId ? ` · RequestId ${code(record.cloudRequestId)}` : '';
  let sentence: string;
  switch (record.status) {
    case 'deleted':
      sentence = `🗑️ ${who} deleted ${plural(files.length, 'backup')}.`;
      break;
    case 'failed':
      sentence = `❌ ${who} asked to delete ${plural(files.length, 'backup')}, and the cloud refused: ${failureText({ code: record.errorCode ?? 'UnknownError', message: record.errorMessage ?? '' })}. Nothing was deleted.`;
      break;
    case 'denied':
    case 'expired':
    case 'cancelled':
      sentence = `${NOT_DONE_EMOJI[record.status]} ${who} asked to delete ${plural(files.length, 'backup')}: ${inlineText(record.errorMessage ?? 'it was not approved', 600)}. Nothing was deleted.`;
      break;
    default:
      sentence = `⚠️ ${who} asked to delete ${plural(files.length, 'backup')}: ${inlineText(record.errorMessage ?? 'the bot could not tell whether it happened', 600)}. Check \`${COMMAND} backups\`.`;
  }
  const blocks: KnownBlock[] = [
    section(truncate(sentence, SLACK_LIMITS.sectionText)),
    section(truncate(list || '—', SLACK_LIMITS.sectionText)),
    context(`deletion ${code(record.id)}${requestId}`),
  ];
  return { text: sentence.replace(/\*/g, ''), blocks };
}
