/**
 * Upgrade in place: a database written by the release before the one request pipeline (migrations 001-005, rows
 * shaped exactly as that release's statements wrote them) with backups, restores and deletions in flight and an audit
 * trail. The bot opens it (migrations 006 and 007 run), and every request in flight must finish exactly once, with
 * nothing that took effect sent twice, every phone the old bot stopped running again, and every audit entry still there. The only test that reads tables: it checks the migration itself.
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { restoreCompletionMarker } from '../../src/blocks/restore-messages.js';
import { initialSchema } from '../../src/db/migrations/001-initial.js';
import { auditLog } from '../../src/db/migrations/002-audit-log.js';
import { restores } from '../../src/db/migrations/003-restores.js';
import { tasksByRequest } from '../../src/db/migrations/004-tasks-by-request.js';
import { unfinishedByWake } from '../../src/db/migrations/005-unfinished-by-wake.js';
import type { SimInstance } from '../../src/sandbox/simulator/state.js';
import { deleteResultMarker } from '../../src/slack/delete-notifier.js';
import { completionMarker } from '../../src/slack/notifier.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, startHarness } from '../support/harness.js';

const TEAM = 'T0SANDBOX';
const APP = 'com.tencent.mm';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The schema of the release before: migrations 001-005, recorded as that release's migrate() recorded them. */
function previousReleaseDatabase(path: string): Database.Database {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  for (const migration of [initialSchema, auditLog, restores, tasksByRequest, unfinishedByWake]) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
  }
  return db;
}

/** The statements of the release before, as its repositories ran them. */
function previousReleaseWriter(db: Database.Database, now: number) {
  const spec = (instanceIds: string[]) =>
    JSON.stringify({
      instanceIds,
      apps: [APP],
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      backupPath: BACKUP_PATH,
      stopBeforeBackup: true,
      startAfterBackup: true,
    });
  const audit = db.prepare(`INSERT INTO audit_log
    (at, team_id, user_id, channel_id, action, params_json, decision, rule, reason, subject_ids, request_id)
    VALUES (@at, @teamId, @userId, @channelId, @action, @paramsJson, @decision, @rule, @reason, @subjectIds, @requestId)`);
  return {
    audit(entry: { action: string; params: object; decision?: 'allowed' | 'denied'; requestId?: string }): number {
      return Number(
        audit.run({
          at: now,
          teamId: TEAM,
          userId: ADMIN,
          channelId: CHANNEL,
          action: entry.action,
          paramsJson: JSON.stringify(entry.params),
          decision: entry.decision ?? 'allowed',
          rule: 'admin',
          reason: null,
          subjectIds: ' ',
          requestId: entry.requestId ?? null,
        }).lastInsertRowid,
      );
    },
    backup(id: string, instanceIds: string[]): void {
      db.prepare(`INSERT OR IGNORE INTO backup_requests
        (id, idempotency_key, team_id, user_id, channel_id, spec_json, status, step, next_run_at,
         step_started_at, simulated, created_at, updated_at)
        VALUES (@id, @idempotencyKey, @teamId, @userId, @channelId, @specJson, 'received', 'announce', @now,
         @now, @simulated, @now, @now)`).run({
        id,
        idempotencyKey: `view:${id}`,
        teamId: TEAM,
        userId: ADMIN,
        channelId: CHANNEL,
        specJson: spec(instanceIds),
        simulated: 0,
        now,
      });
      instanceIds.forEach((instanceId, position) => {
        db.prepare(
          `INSERT INTO request_instances (request_id, position, instance_id, state) VALUES (?, ?, ?, 'pending')`,
        ).run(id, position, instanceId);
      });
    },
    setStep(id: string, step: string, status: string): void {
      db.prepare(
        'UPDATE backup_requests SET step = ?, next_run_at = ?, step_started_at = ?, updated_at = ? WHERE id = ?',
      ).run(step, now, now, now, id);
      db.prepare('UPDATE backup_requests SET status = ?, updated_at = ? WHERE id = ?').run(status, now, id);
    },
    db,
  };
}

function facts(instance: SimInstance) {
  return {
    imageId: instance.imageId,
    imageVersion: instance.imageVersion,
    instanceType: instance.instanceType,
    imageKind: instance.bizImageType.toLowerCase() === 'system' ? 'public' : 'custom',
    serverType: instance.serverType,
  };
}

/** Blocks of a message carrying this block_id marker. */
const marked = (marker: string) => (message: { blocks?: unknown[] }) =>
  (message.blocks as { block_id?: string }[] | undefined)?.some((block) => block.block_id === marker) ?? false;

describe('upgrading a database written by the release before', () => {
  it('carries every backup, restore and deletion in flight to one reply each, and keeps every audit entry', async () => {
    h = await startHarness();
    const harness = h;
    await harness.bot.stop();
    const sourceId = harness.instance('support-02');
    const targetId = harness.instance('support-01');
    const source = harness.sim.state.instances.get(sourceId)!;
    const target = harness.sim.state.instances.get(targetId)!;
    const restoreFile = harness.sim.addBackupFile({ instanceId: sourceId, apps: [APP] });
    const keptFile = harness.sim.addBackupFile({ instanceId: sourceId, apps: [APP] });
    const goneFile = harness.sim.addBackupFile({ instanceId: sourceId, apps: [APP] });
    // A deletion whose call took effect before the old bot stopped: the cloud is deleting the file.
    harness.sim.state.backupFiles.get(goneFile.id)!.status = 'DELETING';

    const now = Date.now();
    const old = previousReleaseWriter(previousReleaseDatabase(harness.dbPath), now);
    const { db } = old;
    const auditIds: number[] = [];

    // Backup A: submitted, not yet announced.
    old.backup('req-a00000000001', [sourceId]);
    auditIds.push(old.audit({ action: 'backup', params: { instanceIds: [sourceId] }, requestId: 'req-a00000000001' }));
    // Backup C: its BackupApp accepted and its task tracked, a task the cloud no longer knows.
    old.backup('req-c00000000003', [harness.instance('support-04')]);
    old.setStep('req-c00000000003', 'track', 'running');
    db.prepare(
      `INSERT INTO cloud_calls (request_id, action, instance_ids_json, status, sent_at) VALUES (?, ?, ?, 'sent', ?)`,
    ).run('req-c00000000003', 'BackupApp', JSON.stringify([harness.instance('support-04')]), now);
    db.prepare(`UPDATE cloud_calls SET status = 'accepted', cloud_request_id = 'R-OLD', batch_task_id = 't-old-batch',
      finished_at = ? WHERE request_id = 'req-c00000000003'`).run(now);
    db.prepare(`UPDATE request_instances SET state = 'submitted', call_id = 1, task_id = 't-forgotten',
      backup_file_id = 'bf-forgotten' WHERE request_id = 'req-c00000000003'`).run();
    db.prepare(`INSERT OR IGNORE INTO tasks (task_id, request_id, instance_id, status, next_poll_at, created_at)
      VALUES (?, ?, ?, 'Waiting', ?, ?)`).run(
      't-forgotten',
      'req-c00000000003',
      harness.instance('support-04'),
      now,
      now,
    );
    auditIds.push(old.audit({ action: 'backup', params: {}, requestId: 'req-c00000000003' }));
    // Backup D: its phone stopped by the old bot and backed up; the old bot died while sending the start (left 'sent',
    // which that release never sent again). The phone is still off.
    const stoppedId = harness.instance('support-03');
    harness.sim.state.instances.get(stoppedId)!.status = 'STOPPED';
    old.backup('req-d00000000005', [stoppedId]);
    old.setStep('req-d00000000005', 'start', 'running');
    db.prepare(`UPDATE request_instances SET state = 'succeeded', stopped_by_bot = 1, backup_file_id = 'bf-d'
      WHERE request_id = 'req-d00000000005'`).run();
    db.prepare(
      `INSERT INTO cloud_calls (request_id, action, instance_ids_json, status, sent_at) VALUES (?, ?, ?, 'sent', ?)`,
    ).run('req-d00000000005', 'StartAndroidInstance', JSON.stringify([stoppedId]), now);
    auditIds.push(old.audit({ action: 'backup', params: {}, requestId: 'req-d00000000005' }));
    // Backup B: finished, its completion reply queued but not posted.
    old.backup('req-b00000000002', [sourceId]);
    db.prepare(`UPDATE backup_requests SET status = 'succeeded', step = 'report', next_run_at = ?, finished_at = ?,
      updated_at = ? WHERE id = 'req-b00000000002'`).run(now, now, now);
    db.prepare(`UPDATE request_instances SET state = 'succeeded', backup_file_id = 'bf-done', backup_file_name = 'done.ab'
      WHERE request_id = 'req-b00000000002'`).run();
    db.prepare(`INSERT OR IGNORE INTO outbox (request_id, kind, status, next_attempt_at, created_at)
      VALUES ('req-b00000000002', 'completion', 'pending', ?, ?)`).run(now, now);
    auditIds.push(old.audit({ action: 'backup', params: {}, requestId: 'req-b00000000002' }));

    // Restore R: confirmed, not yet announced, onto a compatible running target.
    const backupJson = JSON.stringify({
      backupFileId: restoreFile.id,
      name: restoreFile.name,
      path: restoreFile.path,
      status: 'AVAILABLE',
      apps: [APP],
      sourceInstanceId: sourceId,
      uploadEndpoint: restoreFile.uploadEndpoint,
      facts: facts(source),
      factsOrigin: 'recorded',
    });
    db.prepare(`INSERT OR IGNORE INTO restore_requests
      (id, plan_key, team_id, user_id, channel_id, backup_file_id, backup_json, status, step, next_run_at,
       step_started_at, simulated, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', 'draft', ?, ?, 0, ?, ?)`).run(
      'req-r00000000004',
      'view:VPLAN',
      TEAM,
      ADMIN,
      CHANNEL,
      restoreFile.id,
      backupJson,
      now,
      now,
      now,
      now,
    );
    db.prepare(`INSERT INTO restore_targets
      (request_id, position, instance_id, verdict, state, facts_json, overwrites_json, error_code, error_message)
      VALUES (?, 0, ?, 'ready', 'planned', ?, '[]', NULL, NULL)`).run(
      'req-r00000000004',
      targetId,
      JSON.stringify({ ...facts(target), status: 'RUNNING', name: target.name }),
    );
    db.prepare(`UPDATE restore_requests SET confirm_key = 'view:VCONFIRM', start_stopped = 0, status = 'received',
      step = 'announce', next_run_at = ?, step_started_at = ?, confirmed_at = ?, updated_at = ?
      WHERE id = 'req-r00000000004' AND step = 'draft'`).run(now, now, now, now);
    db.prepare(`UPDATE restore_targets SET state = 'pending' WHERE request_id = 'req-r00000000004'`).run();
    auditIds.push(old.audit({ action: 'restore', params: { step: 'confirm' }, requestId: 'req-r00000000004' }));

    // Deletions: one planned (never confirmed), two confirmed and 'sent' when the old bot stopped, one settled.
    const deletion = (id: string, fileId: string, status: string) => {
      db.prepare(`INSERT OR IGNORE INTO delete_requests
        (id, plan_key, team_id, user_id, channel_id, files_json, status, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'planned', ?)`).run(
        id,
        `view:${id}`,
        TEAM,
        ADMIN,
        CHANNEL,
        JSON.stringify([{ backupFileId: fileId, apps: [APP], status: 'AVAILABLE', sourceInstanceId: sourceId }]),
        now,
      );
      if (status !== 'planned') {
        db.prepare(
          `UPDATE delete_requests SET status = 'sent', confirmed_at = ? WHERE id = ? AND status = 'planned'`,
        ).run(now, id);
      }
      if (status === 'deleted') {
        db.prepare(`UPDATE delete_requests SET status = 'deleted', cloud_request_id = 'R-DEL', finished_at = ?
          WHERE id = ?`).run(now, id);
      }
      auditIds.push(old.audit({ action: 'delete', params: { step: 'open confirmation', backupFileIds: [fileId] } }));
      if (status !== 'planned') {
        auditIds.push(
          old.audit({ action: 'delete', params: { step: 'confirm', deleteId: id, backupFileIds: [fileId] } }),
        );
      }
    };
    deletion('del-planned0001', keptFile.id, 'planned');
    deletion('del-notsent0001', keptFile.id, 'sent');
    deletion('del-tookeffect1', goneFile.id, 'sent');
    deletion('del-settled0001', 'bf-long-gone', 'deleted');
    auditIds.push(old.audit({ action: 'delete', params: { step: 'open confirmation' }, decision: 'denied' }));
    const auditBefore = db.prepare('SELECT * FROM audit_log ORDER BY id').all() as Record<string, unknown>[];
    db.close();

    harness.sim.clearRequests();
    await harness.restart();

    const inFlight = [
      'req-a00000000001',
      'req-b00000000002',
      'req-c00000000003',
      'req-r00000000004',
      'req-d00000000005',
    ];
    const deletions = ['del-notsent0001', 'del-tookeffect1'];
    const bot = harness.bot;
    const unfinished = () =>
      (
        bot.repos.db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE step NOT IN ('draft', 'done')`).get() as {
          n: number;
        }
      ).n;
    // The runner's progress is in the database alone (no Slack event marks the last step): look a few times a tick.
    await vi.waitFor(() => expect(unfinished(), 'requests in flight').toBe(0), { timeout: 20_000, interval: 50 });

    const messages = harness.slack.messages(CHANNEL);
    for (const id of inFlight.filter((id) => id.startsWith('req-r'))) {
      expect(messages.filter(marked(restoreCompletionMarker(id))), id).toHaveLength(1);
    }
    for (const id of inFlight.filter((id) => !id.startsWith('req-r'))) {
      expect(messages.filter(marked(completionMarker(id))), id).toHaveLength(1);
    }
    for (const id of deletions) expect(messages.filter(marked(deleteResultMarker(id))), id).toHaveLength(1);
    for (const id of ['del-planned0001', 'del-settled0001']) {
      expect(messages.filter(marked(deleteResultMarker(id))), id).toHaveLength(0);
    }

    // Nothing that took effect was sent again; what had not started ran once. The deletion left 'sent' whose file is
    // still there was looked up and, not having taken effect, sent (issue 19); the one the cloud took was not.
    const calls = (action: string) => harness.sim.requests.filter((r) => r.action === action && r.status === 200);
    expect(calls('DeleteBackupFile').map((r) => Object.values(r.params))).toEqual([
      expect.arrayContaining([keptFile.id]),
    ]);
    expect(calls('BackupApp')).toHaveLength(1);
    expect(calls('RecoverApp')).toHaveLength(1);
    const status = (id: string) =>
      (bot.repos.db.prepare('SELECT status FROM requests WHERE id = ?').get(id) as { status: string }).status;
    expect(status('req-a00000000001')).toBe('succeeded');
    expect(status('req-b00000000002')).toBe('succeeded');
    expect(status('req-c00000000003')).toBe('failed');
    expect(status('req-r00000000004')).toBe('succeeded');
    expect(status('req-d00000000005')).toBe('succeeded');
    // The phone the old bot stopped runs again: its start, lost with the old bot, was looked up and sent once.
    await vi.waitFor(() => expect(harness.sim.state.instances.get(stoppedId)?.status).toBe('RUNNING'), {
      timeout: 10_000,
      interval: 50,
    });
    expect(calls('StartAndroidInstance').map((r) => Object.values(r.params))).toEqual([[stoppedId]]);
    expect(bot.repos.stoppedPhones.all()).toEqual([]);
    expect(status('del-tookeffect1')).toBe('deleted');
    expect(status('del-notsent0001')).toBe('deleted');
    expect(status('del-planned0001')).toBe('planned');

    // Every audit entry is still there as it was, and the confirmed deletions got their outcome.
    const auditAfter = bot.repos.db.prepare('SELECT * FROM audit_log ORDER BY id').all() as Record<string, unknown>[];
    expect(auditAfter.map((row) => row.id)).toEqual(auditIds);
    for (const [index, before] of auditBefore.entries()) {
      const { outcome_json: _o, outcome_at: _a, request_id: _r, subject_ids: _s, ...kept } = before;
      expect(auditAfter[index]).toMatchObject(kept);
    }
    const outcomeOf = (deleteId: string) =>
      auditAfter.find((row) => row.request_id === deleteId && String(row.params_json).includes('"confirm"'))
        ?.outcome_json;
    expect(JSON.parse(String(outcomeOf('del-tookeffect1')))).toMatchObject({ status: 'deleted' });
    expect(JSON.parse(String(outcomeOf('del-notsent0001')))).toMatchObject({ status: 'deleted' });

    // No table of the release before is left.
    const tables = (
      bot.repos.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
    ).map((row) => row.name);
    for (const gone of ['backup_requests', 'restore_requests', 'restore_calls', 'restore_tasks', 'restore_outbox']) {
      expect(tables).not.toContain(gone);
    }
    expect(tables).not.toContain('delete_requests');
    expect(tables).toContain('stopped_phones');
  }, 60_000);
});
