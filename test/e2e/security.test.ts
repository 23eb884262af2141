/**
 * What a forged, stale or hostile request can do to the bot: nothing. And what the bot may reveal: no secret, ever.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CATALOG_PAGE_SIZE } from '../../src/blocks/catalog-messages.js';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../../src/blocks/ids.js';
import { DEFAULT_CREDENTIALS } from '../../src/sandbox/simulator/index.js';
import { createBatch } from '../../src/sandbox/simulator/tasks.js';
import { createSlackDriver } from '../../src/sandbox/slack/index.js';
import { openBackupModal, threadedReply } from '../support/backup-flows.js';
import {
  ADMIN,
  BACKUP_PATH,
  CHANNEL,
  type Harness,
  parents,
  SIGNING_SECRET,
  startHarness,
} from '../support/harness.js';
import { command, loadedAnswer, openRestoreForm, shown, topView } from '../support/restore-flows.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function databaseText(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
    return tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
  } finally {
    db.close();
  }
}

/** An admin's `/cloudphone backup` of one stopped phone: a command that opens a modal when accepted. */
function backupCommand(harness: Harness) {
  return {
    command: '/cloudphone',
    text: `backup ${harness.instance('support-02')}`,
    userId: ADMIN,
    channelId: CHANNEL,
  };
}

describe('forged and stale requests', () => {
  it('refuses a wrong signature, a stale timestamp and a tampered body with 401 and no side effect', async () => {
    h = await startHarness();
    const input = backupCommand(h);
    const forgeries = [
      { signingSecret: 'not-the-secret' },
      { timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 },
      { tamperBody: true },
      { omitSignature: true },
    ];
    for (const forge of forgeries) {
      const res = await h.driver.slashCommand({ ...input, forge });
      expect(res.status, JSON.stringify(forge)).toBe(401);
    }
    expect(h.slack.callsTo('views.open')).toHaveLength(0);
    expect(h.sim.requests).toHaveLength(0);
    expect(h.bot.services.audit.recent({})).toHaveLength(0);
  });
});

describe('requests for another app or workspace that shares the signing secret', () => {
  it('are refused with 401 and no side effect; the installed team and app (auth.test) get through', async () => {
    h = await startHarness();
    const input = backupCommand(h);
    const appUrl = `http://127.0.0.1:${h.bot.port}/slack/events`;
    const otherTeam = createSlackDriver({ appUrl, signingSecret: SIGNING_SECRET, standIn: h.slack, teamId: 'T0OTHER' });
    const otherApp = createSlackDriver({
      appUrl,
      signingSecret: SIGNING_SECRET,
      standIn: h.slack,
      apiAppId: 'A0OTHER',
    });
    expect((await otherTeam.slashCommand(input)).status).toBe(401);
    expect((await otherApp.slashCommand(input)).status).toBe(401);
    expect(h.slack.callsTo('views.open')).toHaveLength(0);
    expect(h.bot.services.audit.recent({})).toHaveLength(0);

    const view = await openBackupModal(h, [h.instance('support-02')]);
    const submitted = await otherApp
      .submitView({ viewId: view.id, values: { [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' } } })
      .catch(() => ({ status: 0 }));
    expect(submitted.status).toBe(401);
    expect(h.sim.requests.filter((r) => r.action === 'BackupApp')).toHaveLength(0);
  });
});

describe('person-provided text', () => {
  it('is escaped in every message (no @channel, mention or link injection) and given to the cloud verbatim', async () => {
    h = await startHarness();
    const hostile = `<!channel> <@U0BOB> <http://evil.example|click> '); DROP TABLE backup_requests; --`;
    const view = await openBackupModal(h, [h.instance('support-02')]);
    await h.driver.submitView({
      viewId: view.id,
      values: {
        [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' },
        [BLOCK.description]: { [ACTION.description]: hostile },
        [BLOCK.options]: { [ACTION.options]: [OPTION.stopBefore, OPTION.startAfter] },
      },
    });
    await threadedReply(h);
    const posted = h.slack.calls
      .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
      .map((c) => JSON.stringify(c.args));
    expect(posted.length).toBeGreaterThan(1);
    for (const body of posted) {
      expect(body).not.toContain('<!channel>');
      expect(body).not.toContain('<@U0BOB>');
      expect(body).not.toContain('<http://evil.example');
    }
    expect(posted.some((body) => body.includes('&lt;!channel&gt;'))).toBe(true);
    // Verbatim where it is not markup: the cloud gets the description as the person typed it.
    const backupApp = h.sim.requests.find((r) => r.action === 'BackupApp');
    expect(String(backupApp?.params.Description)).toContain(hostile);
  });
});

describe('secrets', () => {
  it('appear in no log line, Slack message or database row during a whole backup', async () => {
    const logLines: string[] = [];
    h = await startHarness({ logLines });
    const secrets = [SIGNING_SECRET, h.slack.botToken, DEFAULT_CREDENTIALS.accessKeySecret];
    // Inline, with an error on the way, so the error paths log too.
    h.sim.setFaults({ throttle: { rate: 0.5, retryAfterMs: 10 } });
    await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${h.instance('support-01')} acp-missing00 --apps com.tencent.mm --path ${BACKUP_PATH}`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    await threadedReply(h);
    await h.bot.stop();
    expect(logLines.length).toBeGreaterThan(5);
    const slackText = JSON.stringify(h.slack.calls.map((c) => [c.args, c.response]));
    const dbText = databaseText(h.dbPath);
    for (const secret of secrets) {
      for (const line of logLines) expect(line).not.toContain(secret);
      expect(slackText).not.toContain(secret);
      expect(dbText).not.toContain(secret);
    }
    expect(parents(h.slack)).toHaveLength(1);
  });
});

describe('hostile input, thrown at the running bot', () => {
  it('never crashes, never answers 500, and every rejected command says what to fix', async () => {
    h = await startHarness();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const hostileText = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'grapheme', maxLength: 100 }),
        fc
          .array(
            fc.constantFrom(
              'backup',
              '--apps',
              '--path',
              '--name',
              'acp-x1',
              'oss://',
              '"',
              '“',
              '<!channel>',
              ',',
              '\u0000',
              '--no-stop',
            ),
            {
              maxLength: 12,
            },
          )
          .map((parts) => parts.join(' ')),
        fc.constant('backup '.repeat(500)),
      );
      await fc.assert(
        fc.asyncProperty(hostileText, async (text) => {
          const res = await h!.driver.slashCommand({
            command: '/cloudphone',
            text,
            userId: 'U0BOB',
            channelId: CHANNEL,
          });
          expect(res.status).toBe(200);
          expect(res.withinAckBudget).toBe(true);
          const body = res.body as { text?: string } | string;
          // Either a modal opened (empty ack) or the person got words back.
          if (typeof body !== 'string') expect((body.text ?? '').length).toBeGreaterThan(0);
        }),
        { numRuns: 60, seed: 20261129 },
      );
      const view = await openBackupModal(h, [h.instance('support-02')]);
      const hostileValue = fc.oneof(
        fc.constant(null),
        fc.string({ maxLength: 50 }),
        fc.string({ unit: 'grapheme', maxLength: 3000 }),
        fc.constant('x'.repeat(3000)),
      );
      await fc.assert(
        fc.asyncProperty(hostileValue, hostileValue, async (apps, path) => {
          const res = await h!.driver
            .submitView({
              viewId: view.id,
              values: {
                [BLOCK.apps]: { [ACTION.apps]: apps ?? '' },
                [BLOCK.path]: { [ACTION.path]: path ?? '' },
              },
            })
            .catch((error: Error) => ({ status: 0, error }));
          if ('error' in res) return; // the driver refuses what a person could not type (e.g. an empty required field)
          expect(res.status).toBe(200);
          if (res.outcome.kind === 'errors') {
            const errors = (res.body as { errors: Record<string, string> }).errors;
            for (const message of Object.values(errors)) expect(message.length).toBeGreaterThan(10);
          }
        }),
        { numRuns: 25, seed: 7 },
      );
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Scope: what a person with a narrow role may see and touch (issue 14, items 1-3)

const BOB = 'U0BOB';
const SECRET_PATH = 'oss://cloudphone-saved-bucket-secret/hr-payroll/';

/**
 * The bot with a policy giving Bob list, restore, delete and status on support-02 only, with backups in BACKUP_PATH
 * only; the admin (CLOUDPHONE_ADMINS) sees everything. Backups in the account: Bob's (support-02 in BACKUP_PATH),
 * sales-01's in the same folder, support-02's in another bucket, and one whose instance the cloud does not report.
 */
async function startScoped() {
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-scope-'));
  const policyPath = join(dir, 'policy.yaml');
  // Instance ids are known once the simulator runs (same seed, same ids after the restart).
  const first = await startHarness();
  const bobs = first.instance('support-02');
  await first.close();
  writeFileSync(
    policyPath,
    [
      'roles:',
      '  - name: qa',
      `    members: [${BOB}]`,
      '    actions: [list, restore, delete, status]',
      `    instances: ["${bobs}"]`,
      `    locations: ["${BACKUP_PATH}"]`,
      '',
    ].join('\n'),
  );
  h = await startHarness({ env: { CLOUDPHONE_POLICY: policyPath } });
  const harness = h;
  const sales = harness.instance('sales-01');
  const files = {
    inScope: harness.sim.addBackupFile({ instanceId: bobs, dir: BACKUP_PATH }),
    otherInstance: harness.sim.addBackupFile({ instanceId: sales, dir: BACKUP_PATH }),
    otherPath: harness.sim.addBackupFile({ instanceId: bobs, dir: SECRET_PATH }),
    noInstance: harness.sim.addBackupFile({ instanceId: bobs, dir: BACKUP_PATH }),
  };
  // The cloud's record may lack AndroidInstanceId (the schema allows it).
  harness.sim.state.backupFiles.get(files.noInstance.id)!.instanceId = '';
  return { harness, bobs, sales, files, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const outOfScope = (files: Awaited<ReturnType<typeof startScoped>>['files']) => [
  files.otherInstance.id,
  files.otherPath.id,
  files.noInstance.id,
];

describe("a narrow role's scope", () => {
  it('lists (unfiltered, and page after page) only backups whose instance and location the role covers; admins see all', async () => {
    const { harness, files, sales, cleanup } = await startScoped();
    try {
      // Enough of Bob's own backups for a second page, so the paging is checked too.
      for (let i = 0; i < CATALOG_PAGE_SIZE; i++) {
        harness.sim.addBackupFile({ instanceId: harness.instance('support-02'), dir: BACKUP_PATH });
      }
      const first = await respondedTo(harness, BOB, 'backups');
      // Bob's nine, of the account's twelve.
      expect(shown(first.blocks)).toContain('9 backups');
      for (const id of outOfScope(files)) expect(shown(first.blocks)).not.toContain(id);
      expect(shown(first.blocks)).not.toContain(sales);
      expect(first.text).toContain('page 1 of 2');
      await harness.driver.clickButton({
        channel: CHANNEL,
        messageTs: first.ts,
        actionId: ACTION.catalogNext,
        userId: BOB,
      });
      const second = await harness.slack.waitFor((s) => s.ephemerals(BOB).find((e) => e.text.includes('page 2 of 2')), {
        description: 'page 2',
      });
      for (const id of outOfScope(files)) expect(shown(second.blocks)).not.toContain(id);
      expect(shown(first.blocks) + shown(second.blocks)).toContain(files.inScope.id);

      const admin = await respondedTo(harness, ADMIN, 'backups');
      expect(shown(admin.blocks)).toContain(files.otherInstance.id);
    } finally {
      cleanup();
    }
  });
});

describe("a narrow role's scope, when acting", () => {
  it("offers in the restore form only backups in scope, and refuses another's at once when it is named", async () => {
    const { harness, files, cleanup } = await startScoped();
    try {
      // Named in the command: refused at once (issue 16), naming nothing of it but the id the person typed.
      await command(harness, `restore ${files.otherPath.id}`, BOB);
      const notice = await topView(harness, CALLBACK.restoreNotice, BOB);
      expect(shown(notice)).toContain(`There is no backup \`${files.otherPath.id}\` that you can restore`);
      expect(shown(notice)).not.toContain(files.otherPath.name);
      expect(shown(notice)).not.toContain(SECRET_PATH);
      // The form without a named backup offers only those in scope.
      const form = await openRestoreForm(harness, undefined, BOB);
      expect(shown(form.blocks)).toContain(files.inScope.id);
      for (const id of [files.otherPath.id, files.otherInstance.id, files.noInstance.id]) {
        expect(shown(form.blocks)).not.toContain(id);
      }
      expect(harness.sim.requests.map((r) => r.action)).not.toContain('RunSyncCommand');
    } finally {
      cleanup();
    }
  });

  it("refuses to delete a backup stored outside the role's locations, or one whose instance the cloud does not report", async () => {
    const { harness, files, cleanup } = await startScoped();
    try {
      await command(harness, `delete ${files.otherPath.id} ${files.noInstance.id}`, BOB);
      const confirmation = await topView(harness, CALLBACK.deleteConfirm, BOB);
      const text = shown(confirmation.blocks);
      expect(text).toContain('OutsideYourScope');
      expect(text).toContain('SourceUnknown');
      expect(text).toContain('only an admin may delete it');
      // Nothing about the other bucket's file is shown: not its name, not its apps.
      expect(text).not.toContain(files.otherPath.name);
      expect(text).not.toContain(SECRET_PATH);
      expect(confirmation.submit ?? null).toBeNull();
      expect(harness.sim.requests.map((r) => r.action)).not.toContain('DeleteBackupFile');

      // The same request from the admin is offered.
      await command(harness, `delete ${files.noInstance.id}`);
      const forAdmin = await topView(harness, CALLBACK.deleteConfirm);
      expect(shown(forAdmin.blocks)).not.toContain('SourceUnknown');
      expect(forAdmin.submit).toBeTruthy();
    } finally {
      cleanup();
    }
  });

  it('shows a task (t-…) or a cloud RequestId only when its instance is in scope; admins see all', async () => {
    const { harness, sales, cleanup } = await startScoped();
    try {
      // Work on sales-01 that the bot knows nothing of (started elsewhere).
      const invokeId = '3D3B5B4C-1111-4222-8333-444455556666';
      const salesPhone = harness.sim.state.instances.get(sales)!;
      const { parent, children } = createBatch(
        harness.sim.state,
        harness.sim.now(),
        'StopInstance',
        invokeId,
        [salesPhone],
        '{}',
      );
      const child = children.get(sales)!;
      for (const text of [child.id, invokeId]) {
        const forBob = shown(await respondedTo(harness, BOB, `status ${text}`));
        expect(forBob).not.toContain(sales);
        expect(forBob).not.toContain(parent.id);
        if (text === child.id) expect(forBob).not.toContain('StopInstance');
        const forAdmin = shown(await respondedTo(harness, ADMIN, `status ${text}`));
        expect(forAdmin).toContain(sales);
      }
    } finally {
      cleanup();
    }
  });
});

/** `backups` and `status` answer at once with a loading line; this is the answer that replaced it. */
async function respondedTo(harness: Harness, user: string, text: string) {
  return loadedAnswer(harness, text, user);
}
