import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/database.js';
import { runDbBackup } from '../../../src/ops/db-backup.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const error: string[] = [];
  return { out, error, io: { env, cwd: dir, out: (l: string) => out.push(l), error: (l: string) => error.push(l) } };
}

describe('npm run db:backup', () => {
  it('copies the live database with the online backup while the bot keeps writing, and checks the copy', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-dbbackup-'));
    const live = openDatabase(join(dir, 'bot.db'));
    const insert = live.prepare(
      `INSERT INTO audit_log (at, user_id, team_id, channel_id, action, params_json, decision, rule, subject_ids)
       VALUES (?, 'U1', 'T1', 'C1', 'backup', '{}', 'allowed', 'admins', '')`,
    );
    for (let i = 0; i < 50; i++) insert.run(i);
    // A write still in the WAL, not yet checkpointed into the main file: a file copy would miss it.
    insert.run(999);
    const { out, error, io: cli } = io({ DATABASE_PATH: 'bot.db' });
    const code = await runDbBackup(['backups/copy.db'], cli);
    expect(error).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(
      /^Backed up .*bot\.db to .*backups\/copy\.db \(\d+ pages, .* MB\)\. Integrity check ok; 0 requests, 0 tasks, 51 audit_log\.$/,
    );
    insert.run(1000);
    live.close();
    const copy = new Database(join(dir, 'backups/copy.db'), { readonly: true });
    expect(copy.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual({ n: 51 });
    copy.close();
  });

  it('reads DATABASE_PATH from .env, and --db wins', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-dbbackup-'));
    openDatabase(join(dir, 'from-file.db')).close();
    openDatabase(join(dir, 'from-flag.db')).close();
    writeFileSync(join(dir, '.env'), 'DATABASE_PATH=from-file.db\n');
    const first = io();
    expect(await runDbBackup(['a.db'], first.io)).toBe(0);
    expect(first.out[0]).toContain('from-file.db');
    const second = io();
    expect(await runDbBackup(['b.db', '--db', 'from-flag.db'], second.io)).toBe(0);
    expect(second.out[0]).toContain('from-flag.db');
  });

  it('refuses to overwrite, to run without a destination, or without a database', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-dbbackup-'));
    openDatabase(join(dir, 'bot.db')).close();
    writeFileSync(join(dir, 'exists.db'), 'keep me');
    const overwrite = io({ DATABASE_PATH: 'bot.db' });
    expect(await runDbBackup(['exists.db'], overwrite.io)).toBe(2);
    expect(overwrite.error[0]).toMatch(/already exists; choose a new file name/);
    const none = io({ DATABASE_PATH: 'bot.db' });
    expect(await runDbBackup([], none.io)).toBe(2);
    expect(none.error[0]).toMatch(/give exactly one destination file[\s\S]*usage: npm run db:backup/);
    const missing = io({ DATABASE_PATH: 'nope.db' });
    expect(await runDbBackup(['x.db'], missing.io)).toBe(2);
    expect(missing.error[0]).toMatch(/no database at .*nope\.db/);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });
});
