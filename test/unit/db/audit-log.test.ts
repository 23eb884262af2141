import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '../../../src/db/audit-log.js';
import { type Db, openDatabase } from '../../../src/db/database.js';
import { createRepositories, type Repositories } from '../../../src/db/index.js';

const entry = (overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: 1_000,
  teamId: 'T1',
  userId: 'U0AAA1',
  channelId: 'C0OPS1',
  action: 'backup',
  params: { instanceIds: ['acp-prod-1'] },
  decision: 'allowed',
  rule: 'role:support',
  subjectIds: ['acp-prod-1'],
  ...overrides,
});

describe('audit log repository on a real SQLite database', () => {
  let db: Db;
  let repos: Repositories;
  beforeEach(() => {
    db = openDatabase(':memory:');
    repos = createRepositories(db);
  });
  afterEach(() => db.close());

  it('is created by migration 2 with its indexes', () => {
    const versions = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(versions).toContainEqual({ version: 2, name: 'audit log' });
    const indexes = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log'`).all() as {
        name: string;
      }[]
    ).map((row) => row.name);
    expect(indexes).toEqual(expect.arrayContaining(['audit_log_at', 'audit_log_user']));
  });

  it('records an entry and reads it back', () => {
    const id = repos.audit.record(entry({ requestId: 'req-1' }));
    expect(repos.audit.query()).toEqual([
      {
        id,
        at: 1_000,
        teamId: 'T1',
        userId: 'U0AAA1',
        channelId: 'C0OPS1',
        action: 'backup',
        params: { instanceIds: ['acp-prod-1'] },
        decision: 'allowed',
        rule: 'role:support',
        reason: undefined,
        subjectIds: ['acp-prod-1'],
        requestId: 'req-1',
        outcome: undefined,
        outcomeAt: undefined,
      },
    ]);
  });

  it('rejects a decision other than allowed or denied', () => {
    expect(() => repos.audit.record(entry({ decision: 'maybe' as 'allowed' }))).toThrow(/CHECK constraint/);
  });

  it('sets the outcome by entry id or by request id, adding subject ids', () => {
    const first = repos.audit.record(entry({ requestId: 'req-1' }));
    const second = repos.audit.record(entry({ at: 2_000, subjectIds: ['acp-prod-2'] }));
    expect(
      repos.audit.setOutcome('req-1', { status: 'submitted', taskIds: ['t-1'] }, { at: 1_500, subjectIds: ['t-1'] }),
    ).toBe(1);
    expect(repos.audit.setOutcome('req-1', { status: 'succeeded' }, { at: 1_600, subjectIds: ['t-1', 'bf-9'] })).toBe(
      1,
    );
    expect(repos.audit.setOutcome(second, { status: 'failed' }, { at: 2_500 })).toBe(1);
    expect(repos.audit.setOutcome('req-unknown', { status: 'x' })).toBe(0);
    expect(repos.audit.setOutcome(999, { status: 'x' })).toBe(0);

    const [newest, oldest] = repos.audit.query();
    expect(oldest).toMatchObject({
      id: first,
      outcome: { status: 'succeeded' },
      outcomeAt: 1_600,
      subjectIds: ['acp-prod-1', 't-1', 'bf-9'],
    });
    expect(newest).toMatchObject({ id: second, outcome: { status: 'failed' }, outcomeAt: 2_500 });
  });

  it('links a request id recorded after the decision', () => {
    const id = repos.audit.record(entry());
    repos.audit.linkRequest(id, 'req-7');
    expect(repos.audit.setOutcome('req-7', { status: 'ok' })).toBe(1);
    expect(repos.audit.query()[0]?.outcomeAt).toBeGreaterThan(1_000);
  });

  it('queries by user, subject, time and limit, newest first', () => {
    repos.audit.record(entry({ at: 1_000, userId: 'U0A', subjectIds: ['acp-prod-1'] }));
    repos.audit.record(entry({ at: 2_000, userId: 'U0B', subjectIds: ['acp-prod-10'] }));
    repos.audit.record(entry({ at: 3_000, userId: 'U0A', subjectIds: ['acp-prod-1', 'bf-1'], requestId: 'req-3' }));
    repos.audit.record(entry({ at: 4_000, userId: 'U0B', subjectIds: ['acp_prod_1'] }));

    const ats = (rows: { at: number }[]) => rows.map((row) => row.at);
    expect(ats(repos.audit.query())).toEqual([4_000, 3_000, 2_000, 1_000]);
    expect(ats(repos.audit.query({ userId: 'U0A' }))).toEqual([3_000, 1_000]);
    // a whole id only: acp-prod-1 does not find acp-prod-10, and _ is not a LIKE wildcard here
    expect(ats(repos.audit.query({ subject: 'acp-prod-1' }))).toEqual([3_000, 1_000]);
    expect(ats(repos.audit.query({ subject: 'acp_prod_1' }))).toEqual([4_000]);
    expect(ats(repos.audit.query({ subject: 'acp%' }))).toEqual([]);
    expect(ats(repos.audit.query({ subject: 'req-3' }))).toEqual([3_000]);
    expect(ats(repos.audit.query({ since: 2_000 }))).toEqual([4_000, 3_000, 2_000]);
    expect(ats(repos.audit.query({ since: 1_000, until: 3_000 }))).toEqual([2_000, 1_000]);
    expect(ats(repos.audit.query({ limit: 2 }))).toEqual([4_000, 3_000]);
    expect(ats(repos.audit.query({ userId: 'U0B', subject: 'acp-prod-10', since: 1_500 }))).toEqual([2_000]);
  });

  it('iterates from a time on, oldest first', () => {
    for (const at of [3_000, 1_000, 2_000]) repos.audit.record(entry({ at }));
    expect([...repos.audit.iterate({ since: 2_000 })].map((row) => row.at)).toEqual([2_000, 3_000]);
  });

  it('stores SQL-looking text verbatim', () => {
    const hostile = "x'); DROP TABLE audit_log; --";
    repos.audit.record(entry({ reason: hostile, params: { description: hostile } }));
    expect(repos.audit.query()[0]).toMatchObject({ reason: hostile, params: { description: hostile } });
  });
});
