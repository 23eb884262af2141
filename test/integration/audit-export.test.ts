import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.js';
import { createRepositories } from '../../src/db/index.js';
import { createAuditTrail } from '../../src/services/access/audit.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;

/** Runs the CLI the way `npm run audit` does, as a child process. */
async function exportAudit(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/audit-export.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_PATH: '', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A strict RFC 4180 reader, so the test checks the quoting instead of trusting it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

describe('npm run audit (src/audit-export.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-export-'));
  const dbPath = join(dir, 'bot.db');
  let live: Db;
  const now = Date.now();

  beforeAll(() => {
    live = openDatabase(dbPath);
    let at = now - 40 * DAY;
    const audit = createAuditTrail({ repo: createRepositories(live).audit, clock: { now: () => at } });
    audit.recordDecision({
      actor: { userId: 'U0OLD', teamId: 'T1' },
      channelId: 'C0OPS1',
      action: 'status',
      decision: { allowed: true, rule: 'admins' },
    });
    at = now - 2 * DAY;
    audit.recordDecision({
      actor: { userId: 'U0AAA1', teamId: 'T1' },
      channelId: 'C0OPS1',
      action: 'backup',
      params: {
        instanceIds: ['acp-prod-1'],
        description: 'line one\nline "two", with comma',
        token: 'xoxb-123-456-abc',
      },
      decision: { allowed: true, rule: 'role:support' },
      requestId: 'req-1',
    });
    at = now - DAY;
    audit.recordOutcome('req-1', { status: 'succeeded', taskIds: ['t-1'], backupFileIds: ['bf-1'] });
    audit.recordDecision({
      actor: { userId: 'U0EVIL', teamId: 'T1' },
      channelId: 'C0OPS1',
      action: 'delete',
      params: { backupFileIds: ['bf-1'] },
      decision: { allowed: false, rule: 'default-deny', reason: '=HYPERLINK("http://evil","click")' },
    });
    // The bot keeps its connection (and WAL) open: the export must work beside it.
  });
  afterAll(() => {
    live.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports CSV with a header, proper quoting and a formula guard', async () => {
    const before = statSync(dbPath).mtimeMs;
    const { code, stdout, stderr } = await exportAudit(['--since', '30d', '--format', 'csv', '--db', dbPath]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [header, ...rows] = parseCsv(stdout);
    expect(header).toEqual([
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
    ]);
    expect(rows).toHaveLength(2); // the 40-day-old entry is left out
    const [backup, denied] = rows.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i]])));
    expect(backup).toMatchObject({
      user_id: 'U0AAA1',
      action: 'backup',
      decision: 'allowed',
      rule: 'role:support',
      subject_ids: 'acp-prod-1 t-1 bf-1',
      request_id: 'req-1',
      at: new Date(now - 2 * DAY).toISOString(),
      outcome_at: new Date(now - DAY).toISOString(),
    });
    expect(JSON.parse(backup!.params_json!)).toEqual({
      instanceIds: ['acp-prod-1'],
      description: 'line one\nline "two", with comma',
    });
    expect(JSON.parse(backup!.outcome_json!)).toMatchObject({ status: 'succeeded', backupFileIds: ['bf-1'] });
    expect(denied).toMatchObject({ decision: 'denied', reason: `'=HYPERLINK("http://evil","click")` });
    expect(stdout).not.toContain('xoxb-');
    expect(statSync(dbPath).mtimeMs).toBe(before);
  });

  it('exports JSONL, one object per line, using DATABASE_PATH when --db is not given', async () => {
    const { code, stdout } = await exportAudit(['--since', '30d', '--format', 'jsonl'], { DATABASE_PATH: dbPath });
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.pop()).toBe('');
    const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects).toHaveLength(2);
    expect(objects[0]).toMatchObject({
      userId: 'U0AAA1',
      teamId: 'T1',
      channelId: 'C0OPS1',
      action: 'backup',
      decision: 'allowed',
      requestId: 'req-1',
      subjectIds: ['acp-prod-1', 't-1', 'bf-1'],
      params: { instanceIds: ['acp-prod-1'], description: 'line one\nline "two", with comma' },
      outcome: { status: 'succeeded', taskIds: ['t-1'], backupFileIds: ['bf-1'] },
    });
    expect(objects[1]).toMatchObject({ decision: 'denied', reason: '=HYPERLINK("http://evil","click")' });

    const all = await exportAudit(['--since', '60d', '--format', 'jsonl', '--db', dbPath]);
    expect(all.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('exits 2 with a clear message on bad flags', async () => {
    const [badFormat, badSince, unknown] = await Promise.all([
      exportAudit(['--format', 'xml', '--db', dbPath]),
      exportAudit(['--since', 'last week', '--db', dbPath]),
      exportAudit(['--sinse', '7d', '--db', dbPath]),
    ]);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--format must be csv or jsonl, not "xml"');
    expect(badFormat.stdout).toBe('');

    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since "last week" is not a duration or date');

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--sinse'");
    expect(unknown.stderr).toContain('Usage: npm run audit');
  });

  it('exits 2 when the database is missing or is not the bot’s', async () => {
    const other = join(dir, 'other.db');
    new Database(other).close();
    const [missing, notOurs] = await Promise.all([
      exportAudit(['--db', join(dir, 'nope.db')]),
      exportAudit(['--db', other]),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no database at');
    expect(missing.stderr).toContain('nope.db');
    expect(notOurs.code).toBe(2);
    expect(notOurs.stderr).toContain('has no audit_log table');
  });
});
