/**
 * Help text for `/cloudphone`, and the answer to a command that could not be read.
 */
import type { KnownBlock } from '@slack/types';
import type { Subcommand } from '../commands/parse-command.js';
import { BACKUP_BUCKET_PREFIX, BACKUP_LIMITS, EXAMPLES } from '../services/backup/input.js';
import { section } from './common.js';
import { inlineCode } from './escape.js';
import { COMMAND } from './ids.js';
import type { SlackMessage } from './limits.js';

const HELP: Record<Exclude<Subcommand, 'help'>, string> = {
  backup: [
    '*Back up apps* (each app with its data)',
    `\`${COMMAND} backup\` opens a form.`,
    `\`${COMMAND} backup acp-2ze3abc01 acp-2ze3abc02\` opens the form with those instances filled in.`,
    `\`${COMMAND} backup acp-2ze3abc01 acp-2ze3abc02 --apps com.example.app,com.example.chat --path ${EXAMPLES.backupPath}\` starts at once. Also:`,
    `• \`--endpoint ${EXAMPLES.uploadEndpoint}\` the OSS endpoint (the default is set by your admins)`,
    '• `--name MyBackup` a name for the backup files (letters, digits, `.`, `_`, `-`)',
    '• `--description "before the upgrade"` a note stored with the backups (quote text with spaces)',
    '• `--no-stop` do not stop running instances first (a running instance can make the backup fail)',
    '• `--no-start` leave the instances the bot stopped stopped',
    `Up to ${BACKUP_LIMITS.maxInstances} instances and ${BACKUP_LIMITS.maxApps} apps a request. The folder must be in a bucket named \`${BACKUP_BUCKET_PREFIX}…\`.`,
  ].join('\n'),
  status: [
    '*Follow a request*',
    `\`${COMMAND} status\` your recent requests.`,
    `\`${COMMAND} status <request id>\` or \`${COMMAND} status acp-2ze3abc01\` one backup or restore, or the latest for an instance; \`${COMMAND} status t-…\` one cloud task. Task states are refreshed from the cloud.`,
  ].join('\n'),
  backups: [
    '*Find backups*',
    `\`${COMMAND} backups\` every backup, newest first: the bot's and those made elsewhere, with whether a restore from each was verified. Narrow it down: \`${COMMAND} backups acp-2ze3abc01 --app com.example.app\` (either or both).`,
  ].join('\n'),
  restore: [
    '*Restore an app backup*',
    `\`${COMMAND} restore\` opens a form; \`${COMMAND} restore bf-2ze3abc…\` starts from that backup file.`,
    'Targets must run the same image version, image kind (public or custom), instance type and architecture as the backed-up instance. Any copy of the apps on a target is uninstalled first: the bot shows what will be overwritten, and which targets it refuses and why, before anything happens. Stopped targets can be started first.',
    'When it is done, open the apps and press *Mark restore verified* in the thread.',
  ].join('\n'),
  delete: [
    '*Delete backups*',
    `\`${COMMAND} delete bf-2ze3abc01 bf-2ze3abc02\` (up to 100). You confirm before anything is deleted, and confirm again for a backup no restore was ever verified from.`,
  ].join('\n'),
  schedule: [
    '*Scheduled backups*',
    `\`${COMMAND} schedule\` opens a form that shows the next three runs and how many instances the targets match now.`,
    `\`${COMMAND} schedule add nightly-qa --targets acp-2ze3abc01,ag-qa,acp-qa* --apps com.example.app --path ${EXAMPLES.backupPath} --cron "0 3 * * *"\` creates one at once (quote the cron expression). Also:`,
    '• `--tz Asia/Shanghai` the time zone the cron is read in (default UTC)',
    '• `--keep 7` and/or `--max-age 30d` retention: which backups each run keeps (you then need the delete right too)',
    '• `--wave 50` (or `10%`) at most this many phones stopped or backed up at once (default 50)',
    '• `--endpoint …` the OSS endpoint (default: the instances’ region’s), `--channel #ops` where runs report',
    `\`${COMMAND} schedule list\` · \`schedule show <name>\` · \`schedule edit <name>\` (the form, filled in) · \`schedule pause <name>\` · \`schedule resume <name>\` · \`schedule delete <name>\` · \`schedule run <name>\` (now, outside the cadence) · \`schedule prune-preview <name>\` (what retention would delete today, deleting nothing). The owner and admins may change a schedule; others see those on instances in their scope.`,
  ].join('\n'),
  audit: [
    '*Audit*',
    `\`${COMMAND} audit\` who did what, newest first, 25 a page. Narrow it down by person, instance or request: \`${COMMAND} audit @alex --since 7d\` (\`30m\`, \`24h\`, \`7d\`, \`2w\` or a date like \`2026-01-31\`). Reads are hidden: \`--all\` shows them, \`--action restore\` shows one action, \`--page 2\` the next page.`,
  ].join('\n'),
};

const ORDER: readonly Exclude<Subcommand, 'help'>[] = [
  'backup',
  'status',
  'backups',
  'restore',
  'delete',
  'schedule',
  'audit',
];

/** Help for every subcommand with examples, or for one when `topic` is given. */
export function usageMessage(topic?: Subcommand): SlackMessage {
  const topics = topic === undefined || topic === 'help' ? ORDER : [topic];
  const blocks: KnownBlock[] = [];
  if (topics.length > 1) {
    blocks.push(
      section(
        `*${COMMAND}* backs up Android apps on Alibaba Cloud cloud phones, and helps you find and restore the backups.`,
      ),
    );
  }
  for (const t of topics) blocks.push(section(HELP[t]));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Ids: instances look like \`acp-…\`, backup files like \`bf-…\`. \`${COMMAND} help <command>\` shows one command.`,
      },
    ],
  });
  const text =
    topics.length > 1
      ? `${COMMAND} commands: ${ORDER.join(', ')}. Try \`${COMMAND} backup\`.`
      : `${COMMAND} ${topics.join('')}: ${HELP[topics[0] ?? 'backup'].split('\n')[1] ?? ''}`;
  return { text, blocks };
}

/** Angle brackets only: `reason` is already mrkdwn with person text escaped, so `&` must stay as it is. */
function neutraliseMarkup(text: string): string {
  return text.replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The answer to a command that could not be read: what was typed, what is wrong (`reason` from `parseCommand`,
 * already mrkdwn), and where to find help.
 */
export function unknownCommandMessage(input: string, reason: string): SlackMessage {
  const typed = inlineCode(`${COMMAND} ${typeof input === 'string' ? input : ''}`.trim(), 200);
  const why = neutraliseMarkup(typeof reason === 'string' && reason.trim() !== '' ? reason : 'It is not a command.');
  const blocks: KnownBlock[] = [
    section(`I couldn't read ${typed}.\n${why}`),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `\`${COMMAND} help\` lists every command with examples.` }] },
  ];
  return { text: `I couldn't read that command: ${why}`, blocks };
}
