/** `/cloudphone audit`: one page of audit entries, newest first, within Block Kit limits. */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../db/audit-log.js';
import type { AuditPage } from '../services/access/audit.js';
import { inlineCode, inlineText, oneLine } from './escape.js';
import { plural, slackDate } from './format.js';
import type { SlackMessage } from './limits.js';

function entryLine(entry: AuditEntry): string {
  const when = slackDate(new Date(entry.at));
  const verdict = entry.decision === 'allowed' ? ':white_check_mark: allowed' : ':no_entry: denied';
  const subjects = entry.subjectIds
    .slice(0, 5)
    .map((id) => inlineCode(id, 40))
    .join(' ');
  const more = entry.subjectIds.length > 5 ? ` +${entry.subjectIds.length - 5}` : '';
  const outcome = typeof entry.outcome?.status === 'string' ? ` → ${inlineText(entry.outcome.status, 40)}` : '';
  const request = entry.requestId ? ` ${inlineCode(entry.requestId, 40)}` : '';
  return `${when} <@${entry.userId}> *${inlineText(entry.action, 20)}* ${verdict} (${inlineText(entry.rule, 60)})${request} ${subjects}${more}${outcome}`;
}

/** What the page footer needs to name the next page: the command as typed, without any `--page`. */
function nextPageCommand(typed: string, page: number): string {
  const rest = oneLine(typed)
    .replace(/^audit\b/i, '')
    .replace(/--page(?:=|\s+)\S+/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
  return `/cloudphone audit ${rest ? `${rest} ` : ''}--page ${page + 1}`;
}

/**
 * One page of `/cloudphone audit`, newest first. `typed` is the command text after `/cloudphone` (unescaped), used to
 * name the next page.
 */
export function auditMessage(result: AuditPage, typed = 'audit'): SlackMessage {
  const notes: string[] = [];
  if (result.readsHidden) notes.push('Reads (status, list, audit) are hidden: add `--all` to show them.');
  if (result.hasMore) notes.push(`More: ${inlineCode(nextPageCommand(typed, result.page), 200)}`);
  notes.push('Export everything with `npm run audit`.');
  const context: KnownBlock = { type: 'context', elements: [{ type: 'mrkdwn', text: notes.join(' · ') }] };
  if (result.entries.length === 0) {
    const text = result.page > 1 ? `No audit entries on page ${result.page}.` : 'No audit entries match.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, context] };
  }
  const title = `Audit log: ${plural(result.entries.length, 'entry', 'entries')}${result.page > 1 ? `, page ${result.page}` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: title } }];
  let current = '';
  for (const line of result.entries.map(entryLine)) {
    if (current.length + line.length + 1 > 2900) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
  blocks.push(context);
  return { text: title, blocks };
}

/** Shown at once while a typed `@handle` is looked up in Slack's directory. */
export function auditLookingUpMessage(handle: string): SlackMessage {
  const text = `⏳ Looking up ${inlineCode(`@${handle}`, 82)} in this workspace…`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** A typed `@handle` that names nobody, or several people. */
export function auditPersonUnknownMessage(handle: string, several: readonly string[] = []): SlackMessage {
  const shown = inlineCode(`@${handle}`, 82);
  const text =
    several.length > 0
      ? `${shown} could be ${several
          .slice(0, 10)
          .map((id) => `<@${id}>`)
          .join(', ')}: mention the one you mean (type \`@\` and pick them from Slack's list).`
      : `Nobody in this workspace has the handle ${shown}. Mention the person (type \`@\` and pick them from Slack's list) or give their user id (\`U…\`).`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
