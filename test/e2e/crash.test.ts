/**
 * Crash safety: the bot runs as a child process and is killed with SIGKILL at random points of several backup
 * workflows, then started again on the same database, until every request is done. Every request must end with
 * exactly one completion reply, no instance may be backed up twice, and no task may be left untracked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_TIMING, type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';
import { createSlackDriver, type SlackStandIn, startSlackStandIn } from '../../src/sandbox/slack/index.js';
import { completionMarker } from '../../src/slack/notifier.js';
import { ADMIN, BACKUP_PATH, botEnv, CHANNEL, SIGNING_SECRET } from '../support/harness.js';

const botScript = join(process.cwd(), 'test', 'support', 'bot-process.ts');

function startBotProcess(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // node itself with tsx as a loader, not the tsx CLI: the CLI runs the script in a child process that a SIGKILL
    // of the CLI would leave running.
    const child = spawn(process.execPath, ['--import', 'tsx', botScript], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bot did not start: ${out.slice(-2000)}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bot exited with ${code} before it was ready: ${out.slice(-2000)}`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sim: Simulator | undefined;
let slack: SlackStandIn | undefined;
let current: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cloudphone-crash-'));

afterAll(async () => {
  if (current) await kill(current);
  await slack?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('kills the bot at random points of many backups; each ends with exactly one reply and one backup', async () => {
    sim = await startSimulator({
      timing: { ...FAST_TIMING, backupMs: 3_000, stopMs: 800, startMs: 800 },
      seed: 3,
      runningBackupFailureRate: 0,
    });
    slack = await startSlackStandIn({ rateLimits: false });
    const env = botEnv({
      slack,
      sim,
      dbPath: join(dir, 'bot.db'),
      overrides: {
        CLOUDPHONE_POLL_INTERVAL_MS: '50',
        CLOUDPHONE_TRANSIENT_RETRY_MS: '5000',
        LOG_LEVEL: 'error',
      },
    });
    // Twelve stopped phones with the app, three per request, plus two running ones that must be stopped first.
    const ids = Array.from(
      { length: 12 },
      (_, i) => sim!.addInstance({ name: `crash-${i}`, status: 'STOPPED', packages: ['com.tencent.mm'] }).id,
    );
    const running = [h('support-01'), h('support-03')];
    function h(name: string): string {
      for (const instance of sim!.state.instances.values()) if (instance.name === name) return instance.id;
      throw new Error(name);
    }
    const batches = [ids.slice(0, 3), ids.slice(3, 6), ids.slice(6, 9), ids.slice(9, 12), running];
    const apps = ['com.tencent.mm', 'com.tencent.mm', 'com.tencent.mm', 'com.tencent.mm', 'com.xingin.xhs'];

    let { child, port } = await startBotProcess(env);
    current = child;
    const requestIds: string[] = [];
    for (const [index, batch] of batches.entries()) {
      const driver = createSlackDriver({
        appUrl: `http://127.0.0.1:${port}/slack/events`,
        signingSecret: SIGNING_SECRET,
        standIn: slack,
      });
      const res = await driver.slashCommand({
        command: '/cloudphone',
        text: `backup ${batch.join(' ')} --apps ${apps[index]} --path ${BACKUP_PATH}`,
        userId: ADMIN,
        channelId: CHANNEL,
      });
      const requestId = /req-[0-9a-f]+/.exec(JSON.stringify(res.body))?.[0];
      expect(requestId, JSON.stringify(res.body)).toBeDefined();
      requestIds.push(requestId!);
    }

    const replies = (requestId: string) =>
      slack!
        .messages(CHANNEL)
        .filter((m) =>
          (m.blocks as { block_id?: string }[] | undefined)?.some((b) => b.block_id === completionMarker(requestId)),
        );
    const allReplied = () => requestIds.every((id) => replies(id).length > 0);

    // Kill at random points until everything is done (bounded in kills and time).
    let kills = 0;
    const deadline = Date.now() + 150_000;
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Keep killing after the replies too: a restarted bot must not post them again.
    while ((kills < 8 || !allReplied()) && Date.now() < deadline) {
      if (kills < 12) {
        await sleep(100 + Math.floor(random() * 900));
        await kill(child);
        kills++;
        ({ child, port } = await startBotProcess(env));
        current = child;
      } else {
        await sleep(200);
      }
    }
    // Let the last bot settle, so a duplicate would have time to appear.
    await sleep(1_000);
    await kill(child);

    expect(kills).toBeGreaterThanOrEqual(8);
    for (const requestId of requestIds) {
      expect(replies(requestId), `replies for ${requestId}`).toHaveLength(1);
      // One backup file per instance: BackupApp never took effect twice for a request.
      const files = [...sim.state.backupFiles.values()].filter((f) => f.description?.includes(requestId));
      const perInstance = new Map<string, number>();
      for (const file of files) perInstance.set(file.instanceId, (perInstance.get(file.instanceId) ?? 0) + 1);
      expect(
        [...perInstance.values()].every((n) => n === 1),
        `files for ${requestId}`,
      ).toBe(true);
      const accepted = sim.requests.filter(
        (r) => r.action === 'BackupApp' && r.status === 200 && String(r.params.Description).includes(requestId),
      );
      expect(accepted.length, `accepted BackupApp calls for ${requestId}`).toBeLessThanOrEqual(1);
    }
    // No task forgotten, every request finished.
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM tasks WHERE finished_at IS NULL').get()).toEqual({ n: 0 });
      expect(db.prepare(`SELECT COUNT(*) AS n FROM backup_requests WHERE step <> 'done'`).get()).toEqual({ n: 0 });
      expect(db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'`).get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 200_000);
});
