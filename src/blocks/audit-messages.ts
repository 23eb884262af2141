/** `/cloudphone audit`: recent audit entries, newest first, within Block Kit limits. */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../db/audit-log.js';
import { inlineCode, inlineText } from './escape.js';
import { slackDate } from './format.js';
import type { SlackMessage } from './limits.js';

const MAX_LINES = 40;

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

export function auditMessage(entries: readonly AuditEntry[]): SlackMessage {
  if (entries.length === 0) {
    const text = 'No audit entries match.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const lines = entries.slice(0, MAX_LINES).map(entryLine);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Audit log: ${entries.length} entries` } },
  ];
  let current = '';
  for (const line of lines) {
    if (current.length + line.length + 1 > 2900) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
  if (entries.length > MAX_LINES) {
    blocks.push({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `Showing the newest ${MAX_LINES}. Export everything with \`npm run audit\`.` },
      ],
    });
  }
  return { text: `Audit log: ${entries.length} entries`, blocks };
}
