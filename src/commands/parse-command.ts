/**
 * Parsing `/cloudphone …` text into what the person asked for. Pure and total: any input, however odd, becomes a
 * {@link ParsedCommand}; problems become `{kind:'unknown', reason}` where the reason says what is wrong.
 *
 * Slack may deliver the text escaped (`&lt;` `&gt;` `&amp;`), with links wrapped (`<http://host|host>`,
 * `<mailto:a@b|a@b>`) and with quotes turned "smart" (“ ” ‘ ’) by the person's keyboard or OS; all of that is
 * undone here so the rest of the bot sees what the person meant.
 *
 * `reason` is Slack mrkdwn: anything the person typed in it is already escaped and in code spans.
 */

import { inlineCode } from '../blocks/escape.js';
import { didYouMean } from '../did-you-mean.js';
import { readSince, type Since } from '../services/access/audit.js';
import { splitList } from '../services/backup/input.js';
import { SCHEDULE_AUDIT_ACTIONS } from '../services/schedules/service.js';
import type { ScheduleRawInput } from '../services/schedules/spec.js';

export const SUBCOMMANDS = ['backup', 'status', 'backups', 'restore', 'delete', 'audit', 'schedule', 'help'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/**
 * An inline backup request: the fields `validateBackupInput` takes. Missing `--apps` arrives empty; a missing `--path`
 * is left out, so the configured default path (the same one the form shows) applies.
 */
export interface InlineBackupRaw {
  instanceIds: string[];
  apps: string[];
  backupPath?: string;
  uploadEndpoint?: string;
  backupFileName?: string;
  description?: string;
  stopBeforeBackup?: boolean;
  startAfterBackup?: boolean;
}

export type ParsedCommand =
  | { kind: 'help'; topic?: Subcommand }
  | { kind: 'backup'; mode: 'modal'; instanceIds: string[] }
  | { kind: 'backup'; mode: 'inline'; raw: InlineBackupRaw }
  | { kind: 'status'; target?: string }
  | { kind: 'backups'; instanceId?: string; app?: string }
  | { kind: 'restore'; backupFileId?: string }
  | { kind: 'delete'; backupFileIds: string[] }
  | ({ kind: 'audit' } & AuditQueryArgs)
  | ScheduleCommand
  | { kind: 'unknown'; input: string; reason: string };

/**
 * `/cloudphone schedule …`. Each subcommand that names one schedule is in {@link SCHEDULE_NAMED_ACTIONS}; a new one
 * is one entry there and one case in commands/schedule.ts.
 */
export const SCHEDULE_NAMED_ACTIONS = ['show', 'edit', 'pause', 'resume', 'delete', 'run', 'prune-preview'] as const;
export type ScheduleNamedAction = (typeof SCHEDULE_NAMED_ACTIONS)[number];
/** Every `schedule` subcommand, in the order usage names them. */
export const SCHEDULE_ACTIONS = ['add', 'list', ...SCHEDULE_NAMED_ACTIONS] as const;

export type ScheduleCommand =
  | { kind: 'schedule'; action: 'form' }
  | { kind: 'schedule'; action: 'add'; raw: ScheduleRawInput }
  | { kind: 'schedule'; action: 'list' }
  | { kind: 'schedule'; action: ScheduleNamedAction; name: string };

/** Who an audit query is about: a Slack user id, or a handle the command resolves through Slack. */
export type AuditPerson = { userId: string } | { handle: string };

export interface AuditQueryArgs {
  person?: AuditPerson;
  /** An instance, instance group, backup file, task or request id. */
  subject?: string;
  since?: Since;
  /** One action only. */
  action?: string;
  /** Reads (status, list, audit) are hidden unless `--all` or `--action` names one. */
  all: boolean;
  /** 1-based. */
  page: number;
}

/** Longest command text parsed; Slack's own limit is lower, so anything longer is not from Slack. */
export const MAX_COMMAND_TEXT = 20_000;
/** DeleteBackupFile takes at most 100 ids per call. */
export const MAX_DELETE_IDS = 100;

const BACKUP_FILE_ID = /^bf-[A-Za-z0-9]{1,64}$/;

const show = (text: string): string => inlineCode(text, 40);

// ---------------------------------------------------------------------------------------------------------------
// Slack text → plain text

const SLACK_MARKUP = /<([^<>]*)>|&(lt|gt|amp);/g;

/**
 * Undoes Slack's escaping in one pass, so an entity decoded to `<` is never mistaken for markup. User, channel and
 * special mentions stay in their canonical `<@U…>` / `<#C…>` / `<!here>` form (labels dropped); links become their
 * label, or the address when there is none.
 */
export function unescapeSlackText(text: string): string {
  return text.replace(SLACK_MARKUP, (_match, inner: string | undefined, entity: string | undefined) => {
    if (entity !== undefined) return entity === 'lt' ? '<' : entity === 'gt' ? '>' : '&';
    const body = inner ?? '';
    const bar = body.indexOf('|');
    const target = bar === -1 ? body : body.slice(0, bar);
    const label = bar === -1 ? undefined : body.slice(bar + 1);
    const first = target.charAt(0);
    if (first === '@' || first === '#' || first === '!') return `<${target}>`;
    const shown = label !== undefined && label !== '' ? label : target.replace(/^mailto:/i, '');
    return shown.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens

interface Token {
  text: string;
  /** True when the token began inside quotes: it is a value even if it looks like `--flag`. */
  literal: boolean;
}

type Tokenized = { ok: true; tokens: Token[] } | { ok: false; reason: string };

const DOUBLE_QUOTES = new Set(['"', '“', '”', '„']);
const SINGLE_QUOTES = new Set(["'", '‘', '’']);
const DASHES = new Set(['—', '–']);

/**
 * Splits on whitespace, honouring quotes. Double quotes (straight or curly, mixed) quote anywhere. Single quotes quote
 * only at the start of a token or after `=`, and close only before whitespace or the end, so apostrophes in words
 * (`don’t`) stay apostrophes.
 */
export function tokenize(text: string): Tokenized {
  const chars = Array.from(text);
  const tokens: Token[] = [];
  let current = '';
  let inToken = false;
  let literal = false;
  let quote: 'double' | 'single' | undefined;
  let quoteStart = 0;
  const finish = () => {
    if (inToken) tokens.push({ text: current, literal });
    current = '';
    inToken = false;
    literal = false;
  };
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i] ?? '';
    if (quote === 'double') {
      if (DOUBLE_QUOTES.has(ch)) quote = undefined;
      else current += ch;
      continue;
    }
    if (quote === 'single') {
      const next = chars[i + 1];
      if (SINGLE_QUOTES.has(ch) && (next === undefined || /\s/.test(next))) quote = undefined;
      else current += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      finish();
      continue;
    }
    const atStart = !inToken;
    if (DOUBLE_QUOTES.has(ch)) {
      quote = 'double';
    } else if (SINGLE_QUOTES.has(ch) && (atStart || current.endsWith('='))) {
      quote = 'single';
    } else {
      current += ch;
      inToken = true;
      continue;
    }
    quoteStart = i;
    if (atStart) literal = true;
    inToken = true;
  }
  if (quote !== undefined) {
    const after = chars.slice(quoteStart, quoteStart + 21).join('');
    return {
      ok: false,
      reason: `The quote that starts at ${show(after)} is never closed: add the closing quote, or remove the opening one.`,
    };
  }
  finish();
  return { ok: true, tokens };
}

// ---------------------------------------------------------------------------------------------------------------
// Options

type Takes = 'value' | 'list' | 'none';

interface OptionSpec {
  name: string;
  takes: Takes;
  aliases?: readonly string[];
  example: string;
}

interface ParsedArgs {
  positionals: string[];
  values: Map<string, string[]>;
  switches: Set<string>;
  help: boolean;
}

type ArgsResult = { ok: true; args: ParsedArgs } | { ok: false; reason: string };

/** `—apps` / `–apps` are `--apps` after a keyboard's autocorrect. */
function asOption(token: Token): { name: string; value?: string } | undefined {
  if (token.literal) return undefined;
  let text = token.text;
  const first = text.charAt(0);
  if (DASHES.has(first) && /^[a-z]/i.test(text.charAt(1))) text = `--${text.slice(1)}`;
  if (!text.startsWith('--') || text.length < 3) return undefined;
  const eq = text.indexOf('=');
  if (eq === -1) return { name: text.slice(2).toLowerCase() };
  return { name: text.slice(2, eq).toLowerCase(), value: text.slice(eq + 1) };
}

function isListContinuation(value: string, next: Token | undefined): boolean {
  if (next === undefined || asOption(next) !== undefined) return false;
  return /[,，;]$/.test(value) || /^[,，;]/.test(next.text);
}

function parseArgs(subcommand: Subcommand, tokens: readonly Token[], specs: readonly OptionSpec[]): ArgsResult {
  const byName = new Map<string, OptionSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    for (const alias of spec.aliases ?? []) byName.set(alias, spec);
  }
  const args: ParsedArgs = { positionals: [], values: new Map(), switches: new Set(), help: false };
  const known = specs.map((s) => `\`--${s.name}\``);
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token === undefined) continue;
    const option = asOption(token);
    if (option === undefined) {
      if (!token.literal && (token.text === '-h' || token.text === '-?')) args.help = true;
      else args.positionals.push(token.text);
      continue;
    }
    if (option.name === 'help') {
      args.help = true;
      continue;
    }
    const spec = byName.get(option.name);
    if (spec === undefined) {
      const choices = known.length > 0 ? `Its options are ${joinOr(known)}.` : 'It takes no options.';
      return {
        ok: false,
        reason: `${show(`--${option.name}`)} is not an option of \`${subcommand}\`. ${choices}`,
      };
    }
    if (spec.takes === 'none') {
      if (option.value !== undefined) return { ok: false, reason: `\`--${spec.name}\` takes no value.` };
      args.switches.add(spec.name);
      continue;
    }
    let value = option.value;
    if (value === undefined) {
      const next = tokens[i + 1];
      if (next === undefined || asOption(next) !== undefined) {
        return { ok: false, reason: `\`--${spec.name}\` needs a value, like \`${spec.example}\`.` };
      }
      value = next.text;
      i += 1;
    }
    if (value.trim() === '') {
      return { ok: false, reason: `\`--${spec.name}\` needs a value, like \`${spec.example}\`.` };
    }
    if (spec.takes === 'list') {
      while (isListContinuation(value, tokens[i + 1])) {
        value += ` ${tokens[i + 1]?.text ?? ''}`;
        i += 1;
      }
    }
    const previous = args.values.get(spec.name);
    if (previous !== undefined && spec.takes !== 'list') {
      return { ok: false, reason: `\`--${spec.name}\` is given twice: give it once.` };
    }
    args.values.set(spec.name, [...(previous ?? []), value]);
  }
  return { ok: true, args };
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

const one = (args: ParsedArgs, name: string): string | undefined => args.values.get(name)?.[0];

// ---------------------------------------------------------------------------------------------------------------
// Subcommands

type Parsed = Exclude<ParsedCommand, { kind: 'unknown' }> | { kind: 'error'; reason: string };

const BACKUP_OPTIONS: readonly OptionSpec[] = [
  { name: 'apps', takes: 'list', aliases: ['app'], example: '--apps com.example.app,com.example.chat' },
  { name: 'path', takes: 'value', example: '--path oss://cloudphone-saved-bucket-example/backups/' },
  { name: 'endpoint', takes: 'value', example: '--endpoint oss-cn-shanghai-internal.aliyuncs.com' },
  { name: 'name', takes: 'value', aliases: ['file-name'], example: '--name MyBackup' },
  { name: 'description', takes: 'value', aliases: ['desc'], example: '--description "before the upgrade"' },
  { name: 'instances', takes: 'list', aliases: ['instance'], example: '--instances acp-a,acp-b' },
  { name: 'no-stop', takes: 'none', example: '--no-stop' },
  { name: 'no-start', takes: 'none', example: '--no-start' },
];

function parseBackup(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('backup', tokens, BACKUP_OPTIONS);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { args } = parsed;
  if (args.help) return { kind: 'help', topic: 'backup' };
  const instanceIds = splitList([...args.positionals, ...(args.values.get('instances') ?? [])].join('\n'));
  const inline = args.switches.size > 0 || [...args.values.keys()].some((name) => name !== 'instances');
  if (!inline) return { kind: 'backup', mode: 'modal', instanceIds };
  const raw: InlineBackupRaw = {
    instanceIds,
    apps: splitList((args.values.get('apps') ?? []).join('\n')),
  };
  const path = one(args, 'path');
  if (path !== undefined) raw.backupPath = path;
  const endpoint = one(args, 'endpoint');
  if (endpoint !== undefined) raw.uploadEndpoint = endpoint;
  const name = one(args, 'name');
  if (name !== undefined) raw.backupFileName = name;
  const description = one(args, 'description');
  if (description !== undefined) raw.description = description;
  if (args.switches.has('no-stop')) raw.stopBeforeBackup = false;
  if (args.switches.has('no-start')) raw.startAfterBackup = false;
  return { kind: 'backup', mode: 'inline', raw };
}

function parseStatus(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('status', tokens, []);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { positionals, help } = parsed.args;
  if (help) return { kind: 'help', topic: 'status' };
  if (positionals.length > 1) {
    return {
      kind: 'error',
      reason: '`status` takes one request id or instance id, or nothing for your recent requests.',
    };
  }
  const target = positionals[0];
  return target === undefined ? { kind: 'status' } : { kind: 'status', target };
}

const BACKUPS_OPTIONS: readonly OptionSpec[] = [
  { name: 'instance', takes: 'value', example: '--instance acp-2ze3abc…' },
  { name: 'app', takes: 'value', example: '--app com.example.app' },
];

function parseBackups(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('backups', tokens, BACKUPS_OPTIONS);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { args } = parsed;
  if (args.help) return { kind: 'help', topic: 'backups' };
  let instanceId = one(args, 'instance');
  let app = one(args, 'app');
  for (const word of args.positionals) {
    if (/^acp-/i.test(word) && instanceId === undefined) instanceId = word;
    else if (word.includes('.') && app === undefined) app = word;
    else {
      return {
        kind: 'error',
        reason: `${show(word)} is neither an instance id (\`acp-…\`) nor an app package name (\`com.example.app\`); \`backups\` takes at most one of each.`,
      };
    }
  }
  const result: { kind: 'backups'; instanceId?: string; app?: string } = { kind: 'backups' };
  if (instanceId !== undefined) result.instanceId = instanceId;
  if (app !== undefined) result.app = app;
  return result;
}

function parseRestore(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('restore', tokens, []);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { positionals, help } = parsed.args;
  if (help) return { kind: 'help', topic: 'restore' };
  if (positionals.length > 1) {
    return { kind: 'error', reason: '`restore` takes one backup file id (`bf-…`), or nothing to pick one in a form.' };
  }
  const id = positionals[0];
  if (id === undefined) return { kind: 'restore' };
  if (!BACKUP_FILE_ID.test(id)) {
    return { kind: 'error', reason: `${show(id)} is not a backup file id: ids look like \`bf-2ze3abc…\`.` };
  }
  return { kind: 'restore', backupFileId: id };
}

function parseDelete(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('delete', tokens, []);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { positionals, help } = parsed.args;
  if (help) return { kind: 'help', topic: 'delete' };
  const ids = splitList(positionals.join('\n'));
  if (ids.length === 0) {
    return {
      kind: 'error',
      reason: '`delete` needs the backup file ids to delete, like `/cloudphone delete bf-2ze3abc…`.',
    };
  }
  const bad = ids.filter((id) => !BACKUP_FILE_ID.test(id));
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map(show).join(', ');
    const more = bad.length > 3 ? ` (and ${bad.length - 3} more)` : '';
    const verb = bad.length === 1 ? 'is not a backup file id' : 'are not backup file ids';
    return { kind: 'error', reason: `${shown}${more} ${verb}: ids look like \`bf-2ze3abc…\`.` };
  }
  if (ids.length > MAX_DELETE_IDS) {
    return { kind: 'error', reason: `That's ${ids.length} backup files; delete at most ${MAX_DELETE_IDS} at a time.` };
  }
  return { kind: 'delete', backupFileIds: ids };
}

/** What `--action` may name: every action the audit log records. */
export const AUDIT_ACTIONS = [
  'backup',
  'restore',
  'delete',
  'status',
  'list',
  'audit',
  ...SCHEDULE_AUDIT_ACTIONS,
] as const;

const AUDIT_OPTIONS: readonly OptionSpec[] = [
  { name: 'since', takes: 'value', example: '--since 7d' },
  { name: 'action', takes: 'value', example: '--action restore' },
  { name: 'page', takes: 'value', example: '--page 2' },
  { name: 'all', takes: 'none', example: '--all' },
];

const MENTION = /^<@([UW][A-Z0-9]+)>$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** Slack handles: letters, digits and `. _ -`, at most 80. */
const HANDLE = /^@([\p{L}\p{N}._-]{1,80})$/u;
const AUDIT_SUBJECT = /^(?:acp|ag|bf|t|req)-[A-Za-z0-9_-]+$/;

function auditSubject(word: string, query: AuditQueryArgs): string | undefined {
  const mention = MENTION.exec(word) ?? (USER_ID.test(word) ? [word, word] : null);
  if (mention) {
    if (query.person !== undefined) return '`audit` takes at most one person.';
    query.person = { userId: mention[1] ?? '' };
    return undefined;
  }
  const handle = HANDLE.exec(word);
  if (handle) {
    if (query.person !== undefined) return '`audit` takes at most one person.';
    query.person = { handle: (handle[1] ?? '').toLowerCase() };
    return undefined;
  }
  if (AUDIT_SUBJECT.test(word)) {
    if (query.subject !== undefined) return '`audit` takes at most one id: an instance, backup file, task or request.';
    query.subject = word;
    return undefined;
  }
  return `${show(word)} is not a person (\`@name\`) or an id (\`acp-…\`, \`bf-…\`, \`t-…\`, \`ag-…\`, \`req-…\`). Example: \`/cloudphone audit @alex --since 7d\`.`;
}

/**
 * The one grammar for `/cloudphone audit [@person] [acp-…|bf-…|t-…|ag-…|req-…] [--since 7d] [--action a] [--all]
 * [--page n]`. A person arrives as `<@U…|name>` when Slack escapes the command (manifest `should_escape: true`), or as
 * a plain `@handle` that the command resolves through Slack.
 */
function parseAudit(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('audit', tokens, AUDIT_OPTIONS);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { args } = parsed;
  if (args.help) return { kind: 'help', topic: 'audit' };
  const query: AuditQueryArgs = { all: args.switches.has('all'), page: 1 };
  for (const word of args.positionals) {
    const problem = auditSubject(word, query);
    if (problem !== undefined) return { kind: 'error', reason: problem };
  }
  const since = one(args, 'since');
  if (since !== undefined) {
    try {
      query.since = readSince(since);
    } catch {
      return {
        kind: 'error',
        reason: `${show(since)} is not a time for \`--since\`: use a span like \`30m\`, \`24h\`, \`7d\` or \`2w\`, or a date like \`2026-01-31\`.`,
      };
    }
  }
  const action = one(args, 'action')?.toLowerCase();
  if (action !== undefined) {
    if (!(AUDIT_ACTIONS as readonly string[]).includes(action)) {
      return {
        kind: 'error',
        reason: `${show(action)} is not an action for \`--action\`: use ${joinOr(AUDIT_ACTIONS.map((a) => `\`${a}\``))}.`,
      };
    }
    query.action = action;
  }
  const page = one(args, 'page');
  if (page !== undefined) {
    if (!/^\d{1,4}$/.test(page) || Number(page) < 1) {
      return { kind: 'error', reason: `${show(page)} is not a page number: use \`--page 2\`.` };
    }
    query.page = Number(page);
  }
  return { kind: 'audit', ...query };
}

const SCHEDULE_OPTIONS: readonly OptionSpec[] = [
  { name: 'targets', takes: 'list', aliases: ['target'], example: '--targets acp-2ze3abc01,ag-qa,acp-qa*' },
  { name: 'apps', takes: 'list', aliases: ['app'], example: '--apps com.example.app,com.example.chat' },
  { name: 'path', takes: 'value', example: '--path oss://cloudphone-saved-bucket-example/backups/' },
  { name: 'cron', takes: 'value', example: '--cron "0 3 * * *"' },
  { name: 'tz', takes: 'value', aliases: ['timezone', 'time-zone'], example: '--tz Asia/Shanghai' },
  { name: 'keep', takes: 'value', example: '--keep 7' },
  { name: 'max-age', takes: 'value', example: '--max-age 30d' },
  { name: 'wave', takes: 'value', example: '--wave 50' },
  { name: 'endpoint', takes: 'value', example: '--endpoint oss-cn-shanghai-internal.aliyuncs.com' },
  { name: 'channel', takes: 'value', example: '--channel #ops' },
  { name: 'description', takes: 'value', aliases: ['desc'], example: '--description "nightly QA phones"' },
];

const CHANNEL_MENTION = /^<#([CG][A-Z0-9]+)>$/;
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/**
 * `--channel` as Slack sends it: a channel link (`<#C123|ops>`, already `<#C123>` here) or a channel id. A plain
 * `#ops` is what Slack sends when the name was not picked from its list (or the command is not escaped): the bot
 * cannot tell which channel that is, so it says how to give one.
 */
function scheduleChannel(value: string): { ok: true; channelId: string } | { ok: false; reason: string } {
  const trimmed = value.trim();
  const id = CHANNEL_MENTION.exec(trimmed)?.[1] ?? (CHANNEL_ID.test(trimmed) ? trimmed : undefined);
  if (id !== undefined) return { ok: true, channelId: id };
  return {
    ok: false,
    reason: `${show(trimmed)} is not a channel Slack recognised for \`--channel\`: type \`#\` and pick the channel from Slack's list, so it becomes a link, or give the channel id (\`C…\`).`,
  };
}

function scheduleUsageReason(word: string | undefined): string {
  const choices = SCHEDULE_ACTIONS.map((a) => `\`${a}\``).join(', ');
  const close = word === undefined ? undefined : didYouMean(word, SCHEDULE_ACTIONS, 2);
  const hint = close === undefined ? '' : ` Did you mean \`${close}\`?`;
  const what =
    word === undefined ? '`schedule` needs a subcommand.' : `${show(word)} is not a \`schedule\` subcommand.`;
  return `${what}${hint} Use ${choices}, or \`schedule\` alone for the form. \`help schedule\` shows examples.`;
}

/**
 * The one grammar for `/cloudphone schedule [add <name> --targets … --apps … --path … --cron "…" [--tz …] [--keep n]
 * [--max-age 30d] [--wave 50] [--endpoint …] [--channel #ops] | list | show|edit|pause|resume|delete|run|prune-preview <name>]`. Values are
 * checked by the schedule's own checks (services/schedules/spec.ts), exactly as the form's are.
 */
function parseSchedule(tokens: readonly Token[]): Parsed {
  const [head, ...rest] = tokens;
  if (head === undefined) return { kind: 'schedule', action: 'form' };
  const word = head.text.toLowerCase();
  if (!head.literal && (word === '--help' || word === '-h')) return { kind: 'help', topic: 'schedule' };
  if (word === 'add') return parseScheduleAdd(rest);
  if (word === 'list' || word === 'ls') {
    const parsed = parseArgs('schedule', rest, []);
    if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
    if (parsed.args.help) return { kind: 'help', topic: 'schedule' };
    if (parsed.args.positionals.length > 0) return { kind: 'error', reason: '`schedule list` takes nothing more.' };
    return { kind: 'schedule', action: 'list' };
  }
  const named = SCHEDULE_NAMED_ACTIONS.find((action) => action === word);
  if (named === undefined) return { kind: 'error', reason: scheduleUsageReason(head.text) };
  const parsed = parseArgs('schedule', rest, []);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  if (parsed.args.help) return { kind: 'help', topic: 'schedule' };
  const [name, ...extra] = parsed.args.positionals;
  if (name === undefined || extra.length > 0) {
    return {
      kind: 'error',
      reason: `\`schedule ${named}\` takes one schedule name, like \`/cloudphone schedule ${named} nightly-qa\`.`,
    };
  }
  return { kind: 'schedule', action: named, name };
}

function parseScheduleAdd(tokens: readonly Token[]): Parsed {
  const parsed = parseArgs('schedule', tokens, SCHEDULE_OPTIONS);
  if (!parsed.ok) return { kind: 'error', reason: parsed.reason };
  const { args } = parsed;
  if (args.help) return { kind: 'help', topic: 'schedule' };
  const [name, ...extra] = args.positionals;
  if (name === undefined) {
    return {
      kind: 'error',
      reason: '`schedule add` needs a name first, like `/cloudphone schedule add nightly-qa --targets acp-qa* …`.',
    };
  }
  if (extra.length > 0) {
    return {
      kind: 'error',
      reason: `${show(extra[0] ?? '')} is not an option: after the name, each value follows its option, like \`--cron "0 3 * * *"\` (quote the cron expression).`,
    };
  }
  const list = (option: string) => (args.values.has(option) ? (args.values.get(option) ?? []).join('\n') : undefined);
  const raw: ScheduleRawInput = {
    name,
    targets: list('targets'),
    apps: list('apps'),
    backupPath: one(args, 'path'),
    cron: one(args, 'cron'),
    timeZone: one(args, 'tz'),
    keep: one(args, 'keep'),
    maxAge: one(args, 'max-age'),
    wave: one(args, 'wave'),
    uploadEndpoint: one(args, 'endpoint'),
    description: one(args, 'description'),
  };
  const channel = one(args, 'channel');
  if (channel !== undefined) {
    const checked = scheduleChannel(channel);
    if (!checked.ok) return { kind: 'error', reason: checked.reason };
    raw.channelId = checked.channelId;
  }
  return { kind: 'schedule', action: 'add', raw };
}

const PARSERS: Record<Exclude<Subcommand, 'help'>, (tokens: readonly Token[]) => Parsed> = {
  backup: parseBackup,
  schedule: parseSchedule,
  status: parseStatus,
  backups: parseBackups,
  restore: parseRestore,
  delete: parseDelete,
  audit: parseAudit,
};

const ALIASES: Record<string, Subcommand> = { recover: 'restore', '-h': 'help', '--help': 'help', '?': 'help' };

function asSubcommand(word: string): Subcommand | undefined {
  const lower = word.toLowerCase();
  if ((SUBCOMMANDS as readonly string[]).includes(lower)) return lower as Subcommand;
  return ALIASES[lower];
}

/**
 * Words people type for what a command does, which spelling distance cannot find (`list` is nowhere near `backups`).
 * Suggested, never run: the person sees the real command once.
 */
const MEANT: Record<string, { command: Subcommand; what: string }> = {
  list: { command: 'backups', what: 'the backup catalog' },
  ls: { command: 'backups', what: 'the backup catalog' },
  catalog: { command: 'backups', what: 'the backup catalog' },
  files: { command: 'backups', what: 'the backup catalog' },
  save: { command: 'backup', what: 'back up apps' },
  snapshot: { command: 'backup', what: 'back up apps' },
  remove: { command: 'delete', what: 'delete a backup' },
  rm: { command: 'delete', what: 'delete a backup' },
  progress: { command: 'status', what: 'requests and cloud tasks' },
  tasks: { command: 'status', what: 'requests and cloud tasks' },
  history: { command: 'audit', what: 'who did what' },
  log: { command: 'audit', what: 'who did what' },
};

function unknownSubcommandReason(word: string): string {
  const meant = MEANT[word.toLowerCase()];
  const close = didYouMean(word, SUBCOMMANDS, 2);
  const hint = meant
    ? ` Did you mean \`${meant.command}\` (${meant.what})?`
    : close !== undefined
      ? ` Did you mean \`${close}\`?`
      : '';
  return `${show(word)} is not a \`/cloudphone\` command.${hint} Commands: ${SUBCOMMANDS.map((s) => `\`${s}\``).join(', ')}.`;
}

function parse(text: string): ParsedCommand {
  if (text.length > MAX_COMMAND_TEXT) {
    return {
      kind: 'unknown',
      input: text.slice(0, 200),
      reason: `The command is too long (${text.length} characters). For many instances, use the form: \`/cloudphone backup\`.`,
    };
  }
  const tokenized = tokenize(unescapeSlackText(text));
  if (!tokenized.ok) return { kind: 'unknown', input: text, reason: tokenized.reason };
  const [head, ...rest] = tokenized.tokens;
  if (head === undefined) return { kind: 'help' };
  const subcommand = head.literal ? undefined : asSubcommand(head.text);
  if (subcommand === undefined) return { kind: 'unknown', input: text, reason: unknownSubcommandReason(head.text) };
  if (subcommand === 'help') {
    const topic = rest[0] === undefined ? undefined : asSubcommand(rest[0].text);
    return topic === undefined || topic === 'help' ? { kind: 'help' } : { kind: 'help', topic };
  }
  const result = PARSERS[subcommand](rest);
  if (result.kind === 'error') return { kind: 'unknown', input: text, reason: result.reason };
  return result;
}

/** Parses the text after `/cloudphone`. Never throws. */
export function parseCommand(text: string): ParsedCommand {
  if (typeof text !== 'string') {
    return { kind: 'unknown', input: '', reason: 'The command text could not be read.' };
  }
  try {
    return parse(text);
  } catch {
    return {
      kind: 'unknown',
      input: text.slice(0, 200),
      reason: 'The command could not be read. Check it and try again.',
    };
  }
}
