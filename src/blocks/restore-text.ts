/**
 * Restore words the restore and status builders share: the facts a restore must match, a backup's details, a
 * target's outcome. All person and cloud text is escaped here; what every flow uses is in common.ts.
 */
import type {
  BackupFileInfo,
  ImageFacts,
  RestoreSource,
  RestoreTarget,
  TargetState,
} from '../services/restore/model.js';
import { code, errorCode } from './common.js';
import { inlineText } from './escape.js';
import { formatBytes, plural, slackDate } from './format.js';

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

/** "3 apps · 9.8 MB · created Jan 31st at 14:05". */
export function backupDetails(backup: BackupFileInfo): string {
  const parts = [plural(backup.apps.length, 'app')];
  if (backup.sizeBytes !== undefined) parts.push(formatBytes(backup.sizeBytes));
  if (backup.createdAt !== undefined) parts.push(`created ${slackDate(new Date(backup.createdAt))}`);
  return parts.join(' · ');
}

/** The reason a target was refused or failed: code, words, RequestId. */
export function reasonText(target: Pick<RestoreTarget, 'errorCode' | 'errorMessage' | 'requestId'>): string {
  const parts: string[] = [];
  if (target.errorCode) parts.push(errorCode(target.errorCode));
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
