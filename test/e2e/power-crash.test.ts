/**
 * The bot is killed (SIGKILL) between stopping phones for a backup and starting them again, and once more right after
 * a StartAndroidInstance that never reached the cloud (recorded as sent, or as failed). Whatever the backup
 * came to (one phone backed up, one failed), every phone the bot stopped runs again at the end, the request gets
 * exactly one reply, and the bot owes nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_TIMING, type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';
import { createSlackDriver, type SlackStandIn, startSlackStandIn } from '../../src/sandbox/slack/index.js';
import { completionMarker } from '../../src/slack/notifier.js';
import { killBot, startBotProcess } from '../support/bot-child.js';
import { ADMIN, BACKUP_PATH, botEnv, CHANNEL, SIGNING_SECRET } from '../support/harness.js';

let sim: Simulator | undefined;
let slack: SlackStandIn | undefined;
let current: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cloudphone-power-crash-'));

afterAll(async () => {
  if (current) await killBot(current);
  await slack?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL between stop and start', () => {
  it('starts again every phone it stopped, after being killed mid-backup and with a start lost on the wire', async () => {
    sim = await startSimulator({
      timing: { ...FAST_TIMING, backupMs: 1_500, stopMs: 300, startMs: 300 },
      seed: 5,
      runningBackupFailureRate: 0,
    });
    slack = await startSlackStandIn({ rateLimits: false });
    const env = botEnv({
      slack,
      sim,
      dbPath: join(dir, 'bot.db'),
      overrides: { CLOUDPHONE_POLL_INTERVAL_MS: '50', CLOUDPHONE_TRANSIENT_RETRY_MS: '30000', LOG_LEVEL: 'error' },
    });
    const idOf = (name: string) => [...sim!.state.instances.values()].find((i) => i.name === name)!.id;
    // support-01 has the app and is backed up; support-03 has not, so its backup fails. Both are running.
    const phones = [idOf('support-01'), idOf('support-03')];
    const status = (id: string) => sim!.state.instances.get(id)!.status;
    expect(phones.map(status)).toEqual(['RUNNING', 'RUNNING']);

    let bot = await startBotProcess(env);
    current = bot.child;
    const driver = (port: number) =>
      createSlackDriver({
        appUrl: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SIGNING_SECRET,
        standIn: slack!,
      });
    const res = await driver(bot.port).slashCommand({
      command: '/cloudphone',
      text: `backup ${phones.join(' ')} --apps com.tencent.mm --path ${BACKUP_PATH}`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    const requestId = /req-[0-9a-f]+/.exec(JSON.stringify(res.body))?.[0];
    expect(requestId, JSON.stringify(res.body)).toBeDefined();

    // Killed once both phones are off (stopped by the bot, the backup not done): nobody but the database remembers.
    await expect
      .poll(() => phones.every((id) => ['STOPPED', 'BACKUPING'].includes(status(id))), {
        timeout: 20_000,
        interval: 10,
      })
      .toBe(true);
    await killBot(bot.child);
    expect(sim.requests.some((r) => r.action === 'StartAndroidInstance')).toBe(false);

    // The next bot sends the start, which never reaches the cloud (the connection drops), and is killed right then:
    // the start is recorded as sent, or as failed, and the phones are still off.
    sim.setFaults({ drop: { actions: ['StartAndroidInstance'] } });
    bot = await startBotProcess(env);
    current = bot.child;
    await expect
      .poll(() => sim!.requests.filter((r) => r.action === 'StartAndroidInstance').length, {
        timeout: 30_000,
        interval: 10,
      })
      .toBeGreaterThan(0);
    await killBot(bot.child);
    sim.setFaults({});
    // Still off: stopped, or BACKUP_FAILED for the phone whose backup failed.
    for (const id of phones) expect(['STOPPED', 'BACKUP_FAILED']).toContain(status(id));

    // A third bot finds the phones it owes a start, sees them started (or starts them), and replies once.
    bot = await startBotProcess(env);
    current = bot.child;
    const replies = () =>
      slack!
        .messages(CHANNEL)
        .filter((m) =>
          (m.blocks as { block_id?: string }[] | undefined)?.some((b) => b.block_id === completionMarker(requestId!)),
        );
    await expect.poll(() => replies().length, { timeout: 30_000, interval: 50 }).toBe(1);
    const reply = JSON.stringify(replies()[0]!.blocks);
    expect(reply).not.toContain('still off');
    for (const id of phones) expect(status(id), id).toBe('RUNNING');
    expect(reply).toContain('AppNotInstalled');
    await killBot(bot.child);

    const db = new Database(env.DATABASE_PATH, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM stopped_phones').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect(replies()).toHaveLength(1);
  }, 120_000);
});
