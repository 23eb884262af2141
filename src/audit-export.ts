/**
 * `npm run audit -- --since 30d --format csv|jsonl [--db path]`: exports the audit trail to stdout for a security
 * team. Opens the database read-only, so it runs beside the live bot (WAL: readers never block the writer) and can
 * never change it. A CLI entry point, so it reads DATABASE_PATH itself when --db is not given.
 *
 * Exit codes: 0 done, 1 unexpected failure, 2 bad flags or no database.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type AuditEntry, createAuditLogRepository } from './db/audit-log.js';
import { AppError } from './errors.js';
import { parseSince } from './services/access/audit.js';

const USAGE = `Usage: npm run audit -- [--since 30d] [--format csv|jsonl] [--db path]

  --since   how far back: 30m, 12h, 7d, 2w or a date such as 2025-01-31 (default 30d)
  --format  csv (header row, RFC 4180 quoting) or jsonl (one JSON object per line) (default csv)
  --db      the bot's SQLite database (default: $DATABASE_PATH, else ./data/cloudphone-bot.db)
`;

const DEFAULT_DB = './data/cloudphone-bot.db';

export const CSV_COLUMNS = [
  'id',
  'at',
  'team_id',
  'user_id',
  'channel_id',
  'action',
  'decision',
  'rule',
  'reason',
  'subject_ids',
  'request_id',
  'params_json',
  'outcome_json',
  'outcome_at',
] as const;

/**
 * One CSV cell: a cell a spreadsheet would run as a formula (= + - @, tab, carriage return first) gets a leading `'`;
 * cells with quotes, commas or line breaks are quoted with quotes doubled.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function csvRow(entry: AuditEntry): string {
  const cells: (string | number | undefined)[] = [
    entry.id,
    iso(entry.at),
    entry.teamId,
    entry.userId,
    entry.channelId,
    entry.action,
    entry.decision,
    entry.rule,
    entry.reason,
    entry.subjectIds.join(' '),
    entry.requestId,
    JSON.stringify(entry.params),
    entry.outcome === undefined ? undefined : JSON.stringify(entry.outcome),
    iso(entry.outcomeAt),
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function jsonLine(entry: AuditEntry): string {
  return `${JSON.stringify({
    id: entry.id,
    at: iso(entry.at),
    teamId: entry.teamId,
    userId: entry.userId,
    channelId: entry.channelId ?? null,
    action: entry.action,
    decision: entry.decision,
    rule: entry.rule,
    reason: entry.reason ?? null,
    subjectIds: entry.subjectIds,
    requestId: entry.requestId ?? null,
    params: entry.params,
    outcome: entry.outcome ?? null,
    outcomeAt: iso(entry.outcomeAt) ?? null,
  })}\n`;
}

export interface ExportIo {
  env: Record<string, string | undefined>;
  now: number;
  write: (chunk: string) => Promise<void>;
  error: (line: string) => void;
}

/** Runs the export; returns the exit code. */
export async function runAuditExport(argv: readonly string[], io: ExportIo): Promise<number> {
  let values: { since?: string | undefined; format?: string | undefined; db?: string | undefined; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        since: { type: 'string' },
        format: { type: 'string' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.error(`audit export: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    await io.write(USAGE);
    return 0;
  }

  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') {
    io.error(`audit export: --format must be csv or jsonl, not "${format}"\n\n${USAGE}`);
    return 2;
  }
  let since: number;
  try {
    since = parseSince(values.since ?? '30d', io.now);
  } catch (error) {
    io.error(`audit export: ${error instanceof AppError ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const dbPath = values.db ?? (io.env.DATABASE_PATH?.trim() || DEFAULT_DB);
  if (!existsSync(dbPath)) {
    io.error(`audit export: no database at ${resolve(dbPath)}; pass --db with the bot's database file (DATABASE_PATH)`);
    return 2;
  }

  let db: Database.Database;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    io.error(`audit export: cannot open ${resolve(dbPath)} read-only: ${(error as Error).message}`);
    return 2;
  }
  try {
    const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'`).get();
    if (!table) {
      io.error(
        `audit export: ${resolve(dbPath)} has no audit_log table; is it the bot's database, and has this version of the bot run once?`,
      );
      return 2;
    }
    const repo = createAuditLogRepository(db);
    const line = format === 'csv' ? csvRow : jsonLine;
    // Batch writes: one write per row is slow, one huge string is memory-hungry on a long trail.
    let buffer = format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '';
    for (const entry of repo.iterate({ since })) {
      buffer += line(entry);
      if (buffer.length >= 64 * 1024) {
        await io.write(buffer);
        buffer = '';
      }
    }
    if (buffer) await io.write(buffer);
    return 0;
  } finally {
    db.close();
  }
}

function writeTo(stream: NodeJS.WritableStream): (chunk: string) => Promise<void> {
  return (chunk) =>
    new Promise((done, fail) => {
      stream.write(chunk, (error) => (error ? fail(error) : done()));
    });
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (isEntryPoint) {
  // `npm run audit | head` closes the pipe early: that is a normal end, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  runAuditExport(process.argv.slice(2), {
    env: process.env,
    now: Date.now(),
    write: writeTo(process.stdout),
    error: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`audit export failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
