import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/database.js';
import { checkHealth } from '../../../src/ops/health.js';

const T0 = Date.parse('2025-06-01T00:00:00Z');

describe('checkHealth', () => {
  it('is ok when the database takes a write and the poller ticked recently; names the last cloud success and error', () => {
    const db = openDatabase(':memory:');
    const report = checkHealth({
      db,
      clock: { now: () => T0 + 5_000 },
      maxTickAgeMs: 30_000,
      state: { lastTickAt: T0, lastCloudSuccessAt: T0 - 1_000, lastCloudErrorCode: 'Throttling.User' },
    });
    expect(report).toEqual({
      ok: true,
      status: 'ok',
      database: { writable: true },
      poller: { alive: true, lastTickAt: '2025-06-01T00:00:00.000Z' },
      cloud: { lastSuccessAt: '2025-05-31T23:59:59.000Z', lastErrorCode: 'Throttling.User' },
      phonesLeftStopped: [],
    });
    // The probe leaves nothing behind.
    expect(db.prepare(`SELECT name FROM sqlite_temp_master WHERE name = 'health_probe'`).all()).toEqual([]);
    db.close();
  });

  it('is not ok when the poller has not ticked for too long, or never did', () => {
    const db = openDatabase(':memory:');
    const stale = checkHealth({
      db,
      clock: { now: () => T0 + 60_000 },
      maxTickAgeMs: 30_000,
      state: { lastTickAt: T0, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined },
    });
    expect(stale.ok).toBe(false);
    expect(stale.poller.alive).toBe(false);
    const never = checkHealth({
      db,
      clock: { now: () => T0 },
      maxTickAgeMs: 30_000,
      state: { lastTickAt: undefined, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined },
    });
    expect(never.poller).toEqual({ alive: false, lastTickAt: null });
    expect(never.cloud).toEqual({ lastSuccessAt: null, lastErrorCode: null });
    db.close();
  });

  it('is degraded, and lists them, while phones the bot stopped are left off', () => {
    const db = openDatabase(':memory:');
    const report = checkHealth({
      db,
      clock: { now: () => T0 },
      maxTickAgeMs: 30_000,
      state: { lastTickAt: T0, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined },
      leftStopped: () => [{ instanceId: 'acp-1', requestId: 'req-1', stoppedAt: T0 - 60_000, errorCode: 'Forbidden' }],
    });
    expect(report.ok).toBe(true);
    expect(report.status).toBe('degraded');
    expect(report.phonesLeftStopped).toEqual([
      { instanceId: 'acp-1', requestId: 'req-1', stoppedAt: '2025-05-31T23:59:00.000Z', errorCode: 'Forbidden' },
    ]);
    db.close();
  });

  it('is not ok when the database refuses writes', () => {
    const db = openDatabase(':memory:');
    db.close();
    const report = checkHealth({
      db,
      clock: { now: () => T0 },
      maxTickAgeMs: 30_000,
      state: { lastTickAt: T0, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined },
    });
    expect(report.ok).toBe(false);
    expect(report.database.writable).toBe(false);
    expect(report.database.error).toMatch(/not open/);
  });
});
