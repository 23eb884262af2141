import { beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../../src/errors.js';
import { REDACTED } from '../../../../src/logger.js';
import { type AuditTrail, createAuditTrail, parseSince, redactSecrets } from '../../../../src/services/access/audit.js';
import { useMemoryDatabase } from '../../../support/memory-db.js';

const actor = { userId: 'U0AAA1', teamId: 'T0TEAM' };
const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const BOT_TOKEN = 'xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const AK_SECRET = 'Ab3dEfGh1jKlMnOpQrStUvWxYz0123';

describe('audit trail', () => {
  const memory = useMemoryDatabase();
  let audit: AuditTrail;
  let now: number;
  beforeEach(() => {
    now = NOW;
    audit = createAuditTrail({ repo: memory.repos.audit, clock: { now: () => now } });
  });

  it('records an allowed decision with who, where, what and the rule', () => {
    const id = audit.recordDecision({
      actor,
      channelId: 'C0OPS1',
      action: 'backup',
      params: {
        instanceIds: ['acp-prod-1', 'acp-prod-2'],
        apps: ['com.example.app'],
        backupPath: 'oss://cloudphone-saved-bucket-prod/backups/',
      },
      decision: { allowed: true, rule: 'role:support' },
      requestId: 'req-abc',
    });
    expect(audit.recent()).toEqual([
      expect.objectContaining({
        id,
        at: NOW,
        teamId: 'T0TEAM',
        userId: 'U0AAA1',
        channelId: 'C0OPS1',
        action: 'backup',
        decision: 'allowed',
        rule: 'role:support',
        reason: undefined,
        subjectIds: ['acp-prod-1', 'acp-prod-2'],
        requestId: 'req-abc',
      }),
    ]);
  });

  it('search: hides reads unless --all or --action, filters by action, and pages newest first', () => {
    const allowed = { allowed: true as const, rule: 'admin' };
    for (let i = 0; i < 30; i += 1) {
      now = NOW + i;
      audit.recordDecision({ actor, action: i % 3 === 0 ? 'status' : 'backup', decision: allowed });
    }
    const first = audit.search({ all: false, page: 1 });
    expect(first.readsHidden).toBe(true);
    expect(first.entries.map((e) => e.action)).not.toContain('status');
    expect(first.entries).toHaveLength(20);
    expect(first.hasMore).toBe(false);
    const everything = audit.search({ all: true, page: 1 });
    expect(everything.entries).toHaveLength(25);
    expect(everything.entries[0]?.at).toBe(NOW + 29);
    expect(everything.hasMore).toBe(true);
    const second = audit.search({ all: true, page: 2 });
    expect(second.entries.map((e) => e.at)).toEqual([NOW + 4, NOW + 3, NOW + 2, NOW + 1, NOW]);
    expect(second.hasMore).toBe(false);
    const reads = audit.search({ all: false, action: 'status', page: 1 });
    expect(reads.readsHidden).toBe(false);
    expect(reads.entries).toHaveLength(10);
    expect(reads.entries.every((e) => e.action === 'status')).toBe(true);
  });

  it('records a denial with its reason', () => {
    audit.recordDecision({
      actor,
      channelId: 'C0X',
      action: 'delete',
      params: { backupFileIds: ['bf-1'] },
      decision: { allowed: false, rule: 'default-deny', reason: 'your roles do not include delete' },
    });
    expect(audit.recent({ subject: 'bf-1' })).toEqual([
      expect.objectContaining({ decision: 'denied', rule: 'default-deny', reason: 'your roles do not include delete' }),
    ]);
  });

  it('records the outcome later, by request id, and finds it by task and backup file id', () => {
    audit.recordDecision({
      actor,
      channelId: 'C0OPS1',
      action: 'backup',
      params: { instanceIds: ['acp-prod-1'] },
      decision: { allowed: true, rule: 'admins' },
      requestId: 'req-1',
    });
    now += 60_000;
    expect(
      audit.recordOutcome('req-1', {
        status: 'partial',
        taskIds: ['t-100'],
        backupFileIds: ['bf-200'],
        errors: [{ instanceId: 'acp-prod-2', code: 'InvalidStatus', message: 'not stopped', requestId: 'R-1' }],
      }),
    ).toBe(1);
    const [row] = audit.recent({ subject: 'bf-200' });
    expect(row).toMatchObject({
      outcomeAt: NOW + 60_000,
      outcome: { status: 'partial', taskIds: ['t-100'], backupFileIds: ['bf-200'] },
      subjectIds: ['acp-prod-1', 't-100', 'bf-200'],
    });
    expect(audit.recent({ subject: 't-100' })).toHaveLength(1);
  });

  it('records the outcome by entry id after linking a request', () => {
    const id = audit.recordDecision({ actor, action: 'status', decision: { allowed: true, rule: 'admins' } });
    audit.linkRequest(id, 'req-9');
    expect(audit.recordOutcome(id, { status: 'succeeded' })).toBe(1);
    expect(audit.recent({ subject: 'req-9' })[0]).toMatchObject({
      requestId: 'req-9',
      outcome: { status: 'succeeded' },
    });
  });

  it('never stores a Slack token, an AccessKey secret or a secret-named key', () => {
    audit.recordDecision({
      actor,
      channelId: 'C0OPS1',
      action: 'backup',
      params: {
        description: `please use ${BOT_TOKEN} thanks`,
        note: BOT_TOKEN,
        app: 'xapp-1-A0123-456-abcdef',
        nested: { list: [AK_SECRET, 'keep-me'], slackToken: 'whatever', Authorization: 'Basic abc' },
        accessKeySecret: 'plain',
        password: 'hunter2',
        clientSecret: 'x',
        signedUrl: 'https://bucket.oss.example.com/x?Expires=1&OSSAccessKeyId=LTAIxxxx&Signature=abc%2Bdef',
      },
      decision: { allowed: false, rule: 'default-deny', reason: `denied ${BOT_TOKEN}` },
    });
    audit.recordOutcome(1, { status: 'failed', errors: [{ code: 'X', message: `token ${BOT_TOKEN} rejected` }] });

    const stored = JSON.stringify(memory.db.prepare('SELECT * FROM audit_log').all());
    expect(stored).not.toContain('xoxb-');
    expect(stored).not.toContain('xapp-');
    expect(stored).not.toContain(AK_SECRET);
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('whatever');
    expect(stored).not.toContain('Basic abc');
    expect(stored).not.toContain('abc%2Bdef');
    expect(stored).not.toContain('LTAIxxxx');

    const [row] = audit.recent();
    expect(row?.params).toEqual({
      description: `please use ${REDACTED} thanks`,
      note: REDACTED,
      app: REDACTED,
      nested: { list: [REDACTED, 'keep-me'] },
      signedUrl: `https://bucket.oss.example.com/x?Expires=1&OSSAccessKeyId=${REDACTED}&Signature=${REDACTED}`,
    });
  });
});

describe('redactSecrets', () => {
  it('keeps ordinary parameters as they are', () => {
    const params = {
      instanceIds: ['acp-prod-1'],
      apps: ['com.example.app'],
      backupPath: 'oss://cloudphone-saved-bucket-prod/backups/',
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      stopBeforeBackup: true,
      count: 2,
    };
    expect(redactSecrets(params)).toEqual(params);
  });

  it('survives cycles, deep nesting and non-JSON values', () => {
    const cyclic: Record<string, unknown> = { a: 1, fn: () => 1, big: 10n, when: new Date(0) };
    cyclic.self = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ a: 1, when: '1970-01-01T00:00:00.000Z', self: REDACTED });
  });
});

describe('parseSince', () => {
  it('reads durations back from now', () => {
    expect(parseSince('30m', NOW)).toBe(NOW - 30 * 60_000);
    expect(parseSince('12h', NOW)).toBe(NOW - 12 * 3_600_000);
    expect(parseSince('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseSince('2w', NOW)).toBe(NOW - 14 * 86_400_000);
    expect(parseSince(' 7D ', NOW)).toBe(NOW - 7 * 86_400_000);
  });

  it('reads dates', () => {
    expect(parseSince('2025-01-31', NOW)).toBe(Date.UTC(2025, 0, 31));
    expect(parseSince('2025-01-31T10:00:00Z', NOW)).toBe(Date.UTC(2025, 0, 31, 10));
  });

  it('rejects anything else with a UsageError naming the text', () => {
    for (const bad of ['', '7', 'd', '7 days', '-7d', '0d', '1.5h', '7y', 'yesterday', '2025-13-45', '2025-02-30']) {
      expect(() => parseSince(bad, NOW), bad).toThrow(UsageError);
    }
    expect(() => parseSince('7 days', NOW)).toThrow('--since "7 days" is not a duration or date');
  });
});
