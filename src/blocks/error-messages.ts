/**
 * What a person sees when something stops their request: bad inline input, a permission rule, the bot missing from
 * the channel, or an unexpected error.
 */
import type { AccessDenial } from '../services/access/permissions.js';
import type { BackupField, BackupFieldErrors } from '../services/backup/input.js';
import { context, section } from './common.js';
import { inlineCode, inlineText, mrkdwnToPlain, oneLine, truncate } from './escape.js';
import { channelLink, mention } from './format.js';
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

/**
 * A denial's reason is mrkdwn the bot wrote (channel links, echoed input already escaped). Only user and channel links
 * are kept as links; any other `<…>` (a broadcast, a link) is made inert.
 */
function denialReason(reason: string): string {
  const cut = truncate(oneLine(reason), 1000);
  return cut.replace(/<(?![#@][A-Z0-9]{2,30}>)/g, '&lt;').replace(/(?<!<[#@][A-Z0-9]{2,30})>/g, '&gt;');
}

const GROUP_ID = /^S[A-Z0-9]{2,30}$/;

/**
 * A policy member as a mention: a person, a user group by id, or a group handle, as a group mention when its id is
 * known (a group mention stays right when the handle is renamed) and as text otherwise.
 */
function memberMention(member: string, groupIds: Readonly<Record<string, string>> | undefined): string {
  const groupId = member.startsWith('@') ? groupIds?.[member] : member;
  if (groupId !== undefined && GROUP_ID.test(groupId)) return `<!subteam^${groupId}>`;
  if (member.startsWith('@')) return inlineText(member, 40);
  return mention(member);
}

const NO_ADMINS = 'This bot has no admins yet: ask whoever runs it to name some.';

/** Who to ask, from a denial: the admins (who can grant it) and people who already may. */
function whomToAsk(denial: Pick<AccessDenial, 'admins' | 'members' | 'groupIds'>): string {
  const admins = denial.admins ?? [];
  const members = denial.members ?? [];
  const ask =
    admins.length > 0 ? `To get access, ask an admin of this bot: ${admins.map(mention).join(', ')}.` : NO_ADMINS;
  const shown = members.map((member) => memberMention(member, denial.groupIds));
  const already = members.length > 0 ? ` People who may do this: ${shown.join(', ')}.` : '';
  return `${ask}${already}`;
}

/** A channel link with its name, if any: `<#C1|name>` carries one, else the denial's names may. */
const CHANNEL_REF = /<#([A-Z0-9]+)(?:\|([^>]*))?>/;
/** Channel links one after another (`<#C1>, <#C2>`), as a denial lists the channels allowed. */
const CHANNEL_RUN = new RegExp(`${CHANNEL_REF.source}(?:, ${CHANNEL_REF.source})*`, 'g');

/**
 * Channel links as plain text: `#name` when the name is known; the person's own channel as "this channel"; others
 * counted ("another channel", "2 other channels"), since a bare id means nothing to a person and a form error
 * cannot link.
 */
function plainChannels(reason: string, names: Readonly<Record<string, string>>, channelId: string | undefined): string {
  return reason.replace(CHANNEL_RUN, (run) => {
    const shown: string[] = [];
    let unnamed = 0;
    for (const [, id = '', label] of run.matchAll(new RegExp(CHANNEL_REF.source, 'g'))) {
      const name = label || names[id];
      if (name) shown.push(`#${name.replace(/^#/, '')}`);
      else if (id === channelId) shown.push('this channel');
      else unnamed += 1;
    }
    if (unnamed > 0) shown.push(unnamed === 1 ? 'another channel' : `${unnamed} other channels`);
    return shown.join(', ');
  });
}

/** Whom to ask, in plain text: people by name when the denial carries their names, else "a bot admin". */
function plainWhomToAsk(denial: Pick<AccessDenial, 'admins' | 'members' | 'names'>): string {
  const names = denial.names ?? {};
  const admins = denial.admins ?? [];
  const adminNames = admins.flatMap((id) => names[id] ?? []);
  const ask =
    admins.length === 0
      ? NO_ADMINS
      : adminNames.length > 0
        ? `To get access, ask a bot admin: ${adminNames.join(', ')}.`
        : 'To get access, ask a bot admin.';
  // A handle reads as it is; an id without a name would show as a raw id, so it is left out.
  const members = (denial.members ?? []).flatMap((member) => names[member] ?? (member.startsWith('@') ? member : []));
  return members.length > 0 ? `${ask} People who may do this: ${members.join(', ')}.` : ask;
}

/**
 * A denial under a form field (the backup and schedule forms): the rule's reason and whom to ask, as plain text,
 * because Slack shows field errors as typed, so a mention would read `<@U…>` and a channel link `<#C…>`.
 * `channelId` is the channel the form was opened from.
 */
export function formDenialText(
  denial: Pick<AccessDenial, 'reason' | 'admins' | 'members' | 'names'>,
  channelId?: string,
): string {
  const given = typeof denial.reason === 'string' && denial.reason.trim() !== '' ? denial.reason : 'no rule allows it';
  const reason = oneLine(mrkdwnToPlain(plainChannels(given, denial.names ?? {}, channelId))).replace(/[.;:,\s]+$/, '');
  return `Not allowed: ${reason}. ${plainWhomToAsk(denial)}`;
}

/** Ephemeral answer when a permission rule says no: the rule's reason, and whom to ask. */
export function permissionDeniedMessage(
  denial: string | Pick<AccessDenial, 'reason' | 'admins' | 'members' | 'groupIds'>,
): SlackMessage {
  const reason = typeof denial === 'string' ? denial : denial?.reason;
  const why = denialReason(typeof reason === 'string' && reason.trim() !== '' ? reason : 'no rule allows it');
  const text = `You can't do that here: ${why}`;
  const ask = typeof denial === 'string' ? 'Ask an admin of this bot if you need access.' : whomToAsk(denial);
  return { text, blocks: [section(`🔒 ${text}`), context(ask)] };
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
  // The bot may not be a member of this channel; then the progress comes by direct message (said once it knows).
  const text = `Backup request ${inlineCode(requestId, 64)} accepted. The bot posts its progress in this channel, or sends it to you in a direct message if it cannot post here, and answers in a thread when it is done.`;
  return { text, blocks: [section(text)] };
}
