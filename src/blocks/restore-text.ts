/**
 * Words shared by the restore, catalog, status and delete builders: a backup in one line, the facts a restore must
 * match, a target's outcome. All person and cloud text is escaped here.
 */
import type { ContextBlock, SectionBlock } from '@slack/types';
import type { CloudFailure } from '../services/backup/model.js';
import type {
  BackupFileInfo,
  ImageFacts,
  RestoreSource,
  RestoreTarget,
  TargetState,
  Verification,
} from '../services/restore/model.js';
import { inlineCode, inlineText } from './escape.js';
import { formatBytes, mention, plural, slackDate, summariseList } from './format.js';

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

export const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

export const SIMULATED_NOTE = '🧪 *Simulated (no real cloud):* no real cloud phone is touched.';

export const code = (value: string | undefined, max = 64): string => inlineCode(value ?? '', max);

/** `com.a`, `com.b` and 3 more. */
export function appsText(apps: readonly string[], maxChars = 300): string {
  if (apps.length === 0) return 'no apps listed';
  return summariseList(apps, (app) => code(app, 80), maxChars);
}

/** "image 3.5.3.867 (public) · acp.basic.small · cpm.gx7.10xlarge"; unknown parts say so. */
export function factsText(facts: ImageFacts | undefined): string {
  if (!facts) return 'unknown image and architecture';
  const version = facts.imageVersion ? inlineText(facts.imageVersion, 40) : 'unknown version';
  const kind = facts.imageKind ? inlineText(facts.imageKind, 20) : 'unknown kind';
  const type = facts.instanceType ? inlineText(facts.instanceType, 40) : 'unknown instance type';
  const server = facts.serverType ? inlineText(facts.serverType, 40) : 'unknown architecture';
  return `image ${version} (${kind}) · ${type} · ${server}`;
}

/** Where the source facts came from, in words. */
export function factsOriginText(source: RestoreSource): string {
  if (!source.facts) return 'unknown';
  return source.factsOrigin === 'recorded'
    ? 'recorded by the bot when it made the backup'
    : 'read from the source instance now (the bot did not make this backup; the instance may have changed since)';
}

/** "`bf-…` `name.ab` from `acp-…` (support-01)". */
export function backupTitle(backup: BackupFileInfo): string {
  const name = backup.name ? ` ${code(backup.name, 80)}` : '';
  const source = backup.sourceInstanceId
    ? ` from ${code(backup.sourceInstanceId)}${backup.sourceInstanceName ? ` (${inlineText(backup.sourceInstanceName, 40)})` : ''}`
    : '';
  return `${code(backup.backupFileId)}${name}${source}`;
}

/** "3 apps · 9.8 MB · created Jan 31st at 14:05". */
export function backupDetails(backup: BackupFileInfo): string {
  const parts = [plural(backup.apps.length, 'app')];
  if (backup.sizeBytes !== undefined) parts.push(formatBytes(backup.sizeBytes));
  if (backup.createdAt !== undefined) parts.push(`created ${slackDate(new Date(backup.createdAt))}`);
  return parts.join(' · ');
}

export function verificationText(verification: Verification | undefined): string {
  if (!verification) return '⚠️ never verified by a restore';
  return `✅ restore verified by ${mention(verification.userId)} ${slackDate(verification.at)}`;
}

/** `Code`: message · RequestId `…`. */
export function failureText(failure: CloudFailure): string {
  const message = failure.message ? `: ${inlineText(failure.message, 500)}` : '';
  const requestId = failure.requestId ? ` · RequestId ${code(failure.requestId)}` : '';
  return `${code(failure.code || 'UnknownError')}${message}${requestId}`;
}

/** The reason a target was refused or failed: code, words, RequestId. */
export function reasonText(target: Pick<RestoreTarget, 'errorCode' | 'errorMessage' | 'requestId'>): string {
  const parts: string[] = [];
  if (target.errorCode) parts.push(code(target.errorCode));
  if (target.errorMessage) parts.push(inlineText(target.errorMessage, 400));
  const text = parts.length > 0 ? parts.join(' ') : 'no reason given';
  return target.requestId ? `${text} (RequestId ${code(target.requestId)})` : text;
}

/** "`acp-…` (support-01)". */
export function targetName(target: RestoreTarget): string {
  const name = target.facts?.name ? ` (${inlineText(target.facts.name, 40)})` : '';
  return `${code(target.instanceId)}${name}`;
}

const STILL: Partial<Record<TargetState, string>> = {
  planned: 'not confirmed',
  starting: 'starting',
  pending: 'waiting to restore',
  submitted: 'restoring',
};

/** One line per target: its outcome. */
export function targetOutcomeLine(target: RestoreTarget): string {
  const who = targetName(target);
  const started = target.startedByBot ? ' · started by the bot first' : '';
  switch (target.state) {
    case 'succeeded':
      return `✅ ${who} restored${started}`;
    case 'failed':
      return `❌ ${who} failed: ${reasonText(target)}${started}`;
    case 'skipped':
      return target.errorCode === 'LeftOut'
        ? `⏭️ ${who} left out: ${reasonText(target)}`
        : `🚫 ${who} not restored: ${reasonText(target)}`;
    default:
      return `⏳ ${who} ${STILL[target.state] ?? 'in progress'}${started}`;
  }
}
