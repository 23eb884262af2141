import type { BackupField, BackupFieldErrors } from '../services/backup/input.js';
import { context, section } from './common.js';
import { inlineCode, inlineText } from './escape.js';
import { channelLink } from './format.js';
import { BOT_DISPLAY_NAME, COMMAND } from './ids.js';
import type { SlackMessage } from './limits.js';

/** How each field is called in an inline command. */
const INLINE_FIELD: Record<BackupField, string> = {
  instanceIds: 'Instance ids (after `backup`)',
  apps: '`--apps`',
  uploadEndpoint: '`--endpoint`',
  backupPath: '`--path`',
  backupFileName: '`--name`',
  description: '`--description`',
};

const FIELD_ORDER: readonly BackupField[] = [
  'instanceIds',
  'apps',
  'backupPath',
  'uploadEndpoint',
  'backupFileName',
  'description',
];

/** Validation messages are mrkdwn with person text escaped; this keeps any stray markup inert without re-escaping `&`. */
function neutraliseMarkup(text: string): string {
  return text.replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Each message stays short; a full section holds all six. */
const MAX_MESSAGE = 450;

/** Ephemeral answer to an inline backup command with bad fields: each field and what to fix. */
export function inlineErrorsMessage(errors: BackupFieldErrors): SlackMessage {
  const lines = FIELD_ORDER.flatMap((field) => {
    const message = errors[field];
    if (typeof message !== 'string' || message.trim() === '') return [];
    const shown = neutraliseMarkup(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message);
    return [`• *${INLINE_FIELD[field]}:* ${shown}`];
  });
  const body = lines.length > 0 ? lines.join('\n') : '• The request could not be read. Check it and try again.';
  const count = Math.max(1, lines.length);
  const intro = `The backup was not started: fix ${count === 1 ? 'this' : `these ${count} things`} and run the command again.`;
  return {
    text: `${intro}\n${body}`,
    blocks: [
      section(`*${intro}*`),
      section(body),
      context(`Or use the form: \`${COMMAND} backup\`. \`${COMMAND} help backup\` shows every option.`),
    ],
  };
}

/** Ephemeral answer when a permission rule says no; `reason` names the rule (it is escaped here). */
export function permissionDeniedMessage(reason: string): SlackMessage {
  const why = inlineText(typeof reason === 'string' && reason.trim() !== '' ? reason : 'no rule allows it', 1000);
  const text = `You can't do that here: ${why}`;
  return {
    text,
    blocks: [section(`🔒 ${text}`), context('Ask an admin of this bot if you need access.')],
  };
}

/**
 * Ephemeral (or DM) text when the bot cannot post in the channel: how to add it, and that the outcome comes by DM.
 */
export function notInChannelMessage(channelId: string): SlackMessage {
  const where = channelLink(channelId);
  const text = `I can't post in ${where} because I'm not a member. Type \`/invite @${BOT_DISPLAY_NAME}\` there, or use \`${COMMAND}\` in a channel I'm in. I'll send you the outcome of this request as a direct message.`;
  return { text, blocks: [section(text)] };
}

/** The answer when something unexpected broke: an apology and the reference id the logs carry. */
export function unexpectedErrorMessage(referenceId: string): SlackMessage {
  const ref = inlineCode(typeof referenceId === 'string' ? referenceId : '', 64);
  const text = `Something went wrong on the bot's side, and your request may not have finished. If it keeps happening, give the bot's maintainers this reference: ${ref}.`;
  return {
    text,
    blocks: [
      section(`⚠️ ${text}`),
      context(`Before retrying a backup, check \`${COMMAND} status\` to see whether it started.`),
    ],
  };
}

/** Ephemeral answer to an inline backup command that was accepted. */
export function requestAcceptedMessage(requestId: string): SlackMessage {
  const text = `Backup request ${inlineCode(requestId, 64)} accepted. The bot posts its progress in this channel and answers in a thread when it is done.`;
  return { text, blocks: [section(text)] };
}
