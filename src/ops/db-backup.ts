/**
 * `npm run db:backup -- <destination>`: copies the bot's SQLite database with SQLite's online backup API, which is
 * consistent while the bot keeps running and writing (a plain file copy of a WAL database is not). Then opens the
 * copy and checks it. README "Back up and restore the bot's database" has the restore steps.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DEFAULT_DATABASE_PATH, type Env, withEnvFile } from '../config.js';
import { AppError } from '../errors.js';

const USAGE = `usage: npm run db:backup -- <destination file> [--db <database file>]

Copies the bot's SQLite database (default: DATABASE_PATH, else ${DEFAULT_DATABASE_PATH}) to a new file with
SQLite's online backup, safe while the bot runs, then checks the copy. The destination must not exist yet.`;

export interface BackupIo {
  env: Env;
  cwd: string;
  out(line: string): void;
  error(line: string): void;
}

/** Tables whose row counts the summary shows, so the operator sees the copy holds what they expect. */
const COUNTED = ['requests', 'tasks', 'audit_log'];

export async function runDbBackup(argv: readonly string[], io: BackupIo): Promise<number> {
  let destinationArg: string | undefined;
  let dbArg: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('give exactly one destination file');
    destinationArg = positionals[0];
    dbArg = values.db;
  } catch (error) {
    io.error(`db:backup: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let env: Env;
  try {
    env = withEnvFile(io.env, io.cwd).env;
  } catch (error) {
    io.error(`db:backup: ${error instanceof AppError ? error.message : String(error)}`);
    return 2;
  }
  const source = resolve(io.cwd, dbArg ?? (env.DATABASE_PATH?.trim() || DEFAULT_DATABASE_PATH));
  const destination = resolve(io.cwd, destinationArg ?? '');
  if (!existsSync(source)) {
    io.error(`db:backup: no database at ${source}; pass --db with the bot's database file (DATABASE_PATH)`);
    return 2;
  }
  if (existsSync(destination)) {
    io.error(`db:backup: ${destination} already exists; choose a new file name (backups are never overwritten)`);
    return 2;
  }

  let db: Database.Database;
  try {
    // Read-only: the backup reads pages; the running bot stays the only writer.
    db = new Database(source, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    io.error(`db:backup: cannot open ${source}: ${(error as Error).message}`);
    return 1;
  }
  try {
    mkdirSync(dirname(destination), { recursive: true });
    const progress = await db.backup(destination);
    const copy = new Database(destination, { readonly: true, fileMustExist: true });
    try {
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') {
        io.error(`db:backup: the copy at ${destination} fails SQLite's integrity check: ${String(integrity)}`);
        return 1;
      }
      const counts = COUNTED.filter((table) =>
        copy.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table),
      ).map((table) => {
        const row = copy.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
        return `${row.n} ${table}`;
      });
      const size = statSync(destination).size;
      io.out(
        `Backed up ${source} to ${destination} (${progress.totalPages} pages, ${(size / 1024 / 1024).toFixed(1)} MB). ` +
          `Integrity check ok${counts.length > 0 ? `; ${counts.join(', ')}` : ''}.`,
      );
      return 0;
    } finally {
      copy.close();
    }
  } catch (error) {
    // The destination did not exist before, so whatever is there now is a partial copy.
    rmSync(destination, { force: true });
    io.error(`db:backup: the backup failed: ${(error as Error).message}`);
    return 1;
  } finally {
    db.close();
  }
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (isEntryPoint) {
  runDbBackup(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    out: (line) => process.stdout.write(`${line}\n`),
    error: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`db:backup: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
