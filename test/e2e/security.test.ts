/**
 * What a forged, stale or hostile request can do to the bot: nothing. And what the bot may reveal: no secret, ever.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, OPTION } from '../../src/blocks/ids.js';
import { DEFAULT_CREDENTIALS } from '../../src/sandbox/simulator/index.js';
import { createSlackDriver } from '../../src/sandbox/slack/index.js';
import {
  ADMIN,
  BACKUP_PATH,
  CHANNEL,
  type Harness,
  parents,
  SIGNING_SECRET,
  startHarness,
} from '../support/harness.js';

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

async function waitForAnyReply(harness: Harness) {
  return harness.slack.waitFor(
    (s) => {
      const parent = s.messages(CHANNEL, { topLevelOnly: true }).at(-1);
      return parent ? s.threadReplies(CHANNEL, parent.ts)[0] : undefined;
    },
    { timeoutMs: 20_000, description: 'a threaded reply' },
  );
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

    const view = await openModal(h);
    const submitted = await otherApp
      .submitView({ viewId: view.id, values: { [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' } } })
      .catch(() => ({ status: 0 }));
    expect(submitted.status).toBe(401);
    expect(h.sim.requests.filter((r) => r.action === 'BackupApp')).toHaveLength(0);
  });
});

describe('person-provided text', () => {
  it('is escaped in every message (no @channel, mention or link injection) and stored verbatim', async () => {
    h = await startHarness();
    const hostile = `<!channel> <@U0BOB> <http://evil.example|click> '); DROP TABLE backup_requests; --`;
    const view = await openModal(h);
    await h.driver.submitView({
      viewId: view.id,
      values: {
        [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' },
        [BLOCK.description]: { [ACTION.description]: hostile },
        [BLOCK.options]: { [ACTION.options]: [OPTION.stopBefore, OPTION.startAfter] },
      },
    });
    await waitForAnyReply(h);
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
    const db = new Database(h.dbPath, { readonly: true });
    const spec = JSON.parse(
      (db.prepare('SELECT spec_json FROM backup_requests').get() as { spec_json: string }).spec_json,
    );
    db.close();
    expect(spec.description).toBe(hostile);
  });
});

async function openModal(harness: Harness) {
  await harness.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${harness.instance('support-02')}`,
    userId: ADMIN,
    channelId: CHANNEL,
  });
  const views = await harness.slack.waitFor((s) => (s.openViews(ADMIN).length ? s.openViews(ADMIN) : undefined), {
    timeoutMs: 3000,
  });
  return views[0]!;
}

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
    await waitForAnyReply(h);
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
      const view = await openModal(h);
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
