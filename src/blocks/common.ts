/**
 * Block Kit pieces every flow's builders use (backup, restore, delete, catalog, status): the mrkdwn section and context
 * blocks, plain text, the simulated-cloud note, a backup in one line, a cloud failure in words, and the short notice
 * modal. All person and cloud text is escaped here.
 */

import type { ContextBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { isBotErrorCode } from '../bot-error-codes.js';
import type { CloudFailure } from '../services/backup/model.js';
import type { BackupFileInfo, FileVerifications } from '../services/restore/model.js';
import { inlineCode, inlineText, truncate } from './escape.js';
import { mention, slackDate, summariseList } from './format.js';
import { SLACK_LIMITS } from './limits.js';

export const section = (text: string, blockId?: string): SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
  ...(blockId ? { block_id: blockId } : {}),
});

export const context = (text: string, blockId?: string): ContextBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text }],
  ...(blockId ? { block_id: blockId } : {}),
});

/**
 * A heading (may be empty) and its lines in as few sections as Slack's 3,000-character section text allows; each line
 * cut to `maxLine` characters.
 */
export function packedSections(heading: string, lines: readonly string[], maxLine: number): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let current = heading;
  for (const line of lines) {
    const cut = truncate(line, Math.min(maxLine, SLACK_LIMITS.sectionText - 10));
    if (current !== '' && current.length + cut.length + 1 > SLACK_LIMITS.sectionText) {
      blocks.push(section(current));
      current = cut;
    } else current = current === '' ? cut : `${current}\n${cut}`;
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

export const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

export const SIMULATED_NOTE = '🧪 *Simulated (no real cloud):* no real cloud phone is touched.';

export const code = (value: string | undefined, max = 64): string => inlineCode(value ?? '', max);

/** An error code, marked when the bot made it up, so nobody looks for it among the cloud's codes. */
export function errorCode(value: string): string {
  return isBotErrorCode(value) ? `${code(value)} (the bot’s code)` : code(value);
}

/** `com.a`, `com.b` and 3 more. */
export function appsText(apps: readonly string[], maxChars = 300): string {
  if (apps.length === 0) return 'no apps listed';
  return summariseList(apps, (app) => code(app, 80), maxChars);
}

/** "`bf-…` `name.ab` from `acp-…` (support-01)". */
export function backupTitle(backup: BackupFileInfo): string {
  const name = backup.name ? ` ${code(backup.name, 80)}` : '';
  const source = backup.sourceInstanceId
    ? ` from ${code(backup.sourceInstanceId)}${backup.sourceInstanceName ? ` (${inlineText(backup.sourceInstanceName, 40)})` : ''}`
    : '';
  return `${code(backup.backupFileId)}${name}${source}`;
}

/** A backup file's status as the cloud lists it (doc §4.2), in words a person reads without the API docs. */
const BACKUP_STATUS_WORDS: Readonly<Record<string, string>> = {
  AVAILABLE: '✅ ready to restore',
  BACKUPING: '⏳ still being made',
  PART_BACKUP_FINISHED: '⚠️ only partly backed up',
  BACKUP_FAILED: '❌ the backup failed',
  RECOVERING: '↩️ being restored from right now',
  RECOVERY_FAILED: '⚠️ ready, but the last restore from it failed',
  DELETING: '🗑️ being deleted',
};

/** The status in words; a status the bot does not know is shown as the cloud wrote it. */
export function backupStatusText(status: string): string {
  return BACKUP_STATUS_WORDS[status] ?? `status ${code(status, 30)}`;
}

/** Who verified: a person (a mention) or the bot's own check. */
export function verifiedByText(verification: { kind?: string | undefined; userId?: string | undefined }): string {
  return verification.kind === 'automatic' || verification.userId === undefined
    ? 'automatically (the bot checked the restored apps)'
    : `by ${mention(verification.userId)}`;
}

/** Both kinds of verification of a backup, as the catalog and status show them. */
export function verificationText(verifications: FileVerifications | undefined): string {
  const { automatic, manual } = verifications ?? {};
  if (!automatic && !manual) return '⚠️ never verified by a restore';
  const parts: string[] = [];
  if (automatic) parts.push(`✅ restore verified automatically ${slackDate(automatic.at)}`);
  if (manual) parts.push(`✅ restore verified by ${mention(manual.userId ?? '')} ${slackDate(manual.at)}`);
  return parts.join(' · ');
}

/** `Code`: message · RequestId `…`. */
export function failureText(failure: CloudFailure): string {
  const message = failure.message ? `: ${inlineText(failure.message, 500)}` : '';
  const requestId = failure.requestId ? ` · RequestId ${code(failure.requestId)}` : '';
  return `${errorCode(failure.code || 'UnknownError')}${message}${requestId}`;
}

/**
 * Throws a RangeError when a modal's private_metadata is over Slack's limit: cutting it would corrupt what the
 * submission handler reads, so that is the caller's bug to fix.
 */
export function checkPrivateMetadata(privateMetadata: string): void {
  if (privateMetadata.length > SLACK_LIMITS.privateMetadata) {
    throw new RangeError(
      `private_metadata is ${privateMetadata.length} characters; Slack allows ${SLACK_LIMITS.privateMetadata}`,
    );
  }
}

/** A view with a message and a Close button only (loading, checking, refusals, errors). */
export function noticeView(options: {
  callbackId: string;
  title: string;
  text: string;
  privateMetadata?: string;
  simulated?: boolean;
}): ModalView {
  const blocks: KnownBlock[] = [];
  if (options.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(section(truncate(options.text, SLACK_LIMITS.sectionText)));
  return {
    type: 'modal',
    callback_id: options.callbackId,
    title: plain(truncate(options.title, SLACK_LIMITS.modalTitle)),
    close: plain('Close'),
    ...(options.privateMetadata ? { private_metadata: options.privateMetadata } : {}),
    blocks,
  };
}

/** A view submission's answer that puts a notice in place of the modal. */
export function noticeUpdate(options: { callbackId: string; title: string; text: string }) {
  return { response_action: 'update' as const, view: noticeView(options) };
}

/**
 * A refused confirmation in words (the policy's denial, or the problem `reason` names), as a view submission's
 * answer: under `fieldBlock` when the modal has such a field, else a notice in place of the modal (🔒 marks a denial).
 */
export function refusedConfirmation<R extends string>(
  refusal: { reason: R | 'denied'; message?: string | undefined },
  problems: Record<R, string>,
  where: { fieldBlock: string | undefined; callbackId: string; title: string },
) {
  const denied = refusal.reason === 'denied';
  const text = denied ? `Not allowed: ${refusal.message ?? 'no rule allows it'}` : problems[refusal.reason as R];
  if (where.fieldBlock) return { response_action: 'errors' as const, errors: { [where.fieldBlock]: text } };
  return noticeUpdate({ callbackId: where.callbackId, title: where.title, text: denied ? `🔒 ${text}` : text });
}

/** The view when the bot could not ask the cloud what it needed. */
export function cloudProblemView(callbackId: string, title: string, what: string, failure: CloudFailure): ModalView {
  return noticeView({
    callbackId,
    title,
    text: `❌ The bot could not ${what}: ${failureText(failure)}\nNothing was changed. Try again in a minute.`,
  });
}
