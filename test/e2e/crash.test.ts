/**
 * Crash safety: the bot runs as a child process and is killed with SIGKILL at random points of several backups, and
 * of restores and deletions (right after their confirmation too), then started again on the same database, until
 * every request is done. Every request must end with exactly one reply, and nothing that may have taken effect
 * (BackupApp, RecoverApp, DeleteBackupFile) may reach the cloud twice.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, CHOICE } from '../../src/blocks/ids.js';
import { FAST_TIMING, type Simulator, startSimulator } from '../../src/sandbox/simulator/index.js';
import {
  createSlackDriver,
  type SlackDriver,
  type SlackStandIn,
  startSlackStandIn,
} from '../../src/sandbox/slack/index.js';
import { completionMarker } from '../../src/slack/notifier.js';
import { killBot as kill, seeded, startBotProcess } from '../support/bot-child.js';
import { ADMIN, BACKUP_PATH, botEnv, CHANNEL, type Harness, SIGNING_SECRET } from '../support/harness.js';
import { writePolicyFile } from '../support/policy-file.js';
import { checkTargets, command, openRestoreForm, recoverCalls, topView } from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sim: Simulator | undefined;
let slack: SlackStandIn | undefined;
let current: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cloudphone-crash-'));

afterEach(async () => {
  if (current) await kill(current);
  current = undefined;
  await slack?.close();
  await sim?.close();
  slack = undefined;
  sim = undefined;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Messages of the channel (top level and in threads) carrying this block_id. */
function withMarker(standIn: SlackStandIn, marker: (block: string) => boolean) {
  return standIn
    .messages(CHANNEL)
    .filter((m) => (m.blocks as { block_id?: string }[] | undefined)?.some((b) => b.block_id && marker(b.block_id)));
}

/**
 * A bot process tests kill (SIGKILL) and start again on the same database at random points, and a person acting in
 * Slack on whichever process runs now (the shared person-in-Slack steps take it as a harness).
 */
async function startCrashingBot(
  env: Record<string, string>,
  standIn: SlackStandIn,
  simulator: Simulator,
  seed: number,
) {
  let { child, port } = await startBotProcess(env);
  current = child;
  const driverOn = (p: number) =>
    createSlackDriver({ appUrl: `http://127.0.0.1:${p}/slack/events`, signingSecret: SIGNING_SECRET, standIn });
  let driver: SlackDriver = driverOn(port);
  const random = seeded(seed);
  const bot = {
    kills: 0,
    get driver() {
      return driver;
    },
    person: {
      sim: simulator,
      slack: standIn,
      get driver() {
        return driver;
      },
    } as unknown as Harness,
    /** Kills the bot within `maxDelayMs` (at a seeded random moment) and starts a new one. */
    async crashAndRestart(maxDelayMs: number): Promise<void> {
      await sleep(Math.floor(random() * maxDelayMs));
      await kill(child);
      bot.kills++;
      ({ child, port } = await startBotProcess(env));
      current = child;
      driver = driverOn(port);
    },
    stop: () => kill(child),
  };
  return bot;
}

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
    const random = seeded(42);
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
  }, 200_000);

  it('kills the bot right after restores and deletions are confirmed and at random points after; one reply each, nothing sent twice', async () => {
    sim = await startSimulator({ timing: { ...FAST_TIMING, recoverMs: 2_000 }, seed: 5 });
    slack = await startSlackStandIn({ rateLimits: false });
    const standIn = slack;
    const simulator = sim;
    const env = botEnv({
      slack,
      sim,
      dbPath: join(dir, 'restores.db'),
      overrides: { CLOUDPHONE_POLL_INTERVAL_MS: '50', LOG_LEVEL: 'error' },
    });
    const APP = 'com.tencent.mm';
    // Restores: a backup of its own source onto a target of its own each (compatible: the same default image).
    const restores = Array.from({ length: 3 }, (_, i) => {
      const source = simulator.addInstance({ name: `src-${i}`, status: 'STOPPED', packages: [APP] });
      const target = simulator.addInstance({ name: `tgt-${i}`, status: 'RUNNING', packages: [] });
      return { file: simulator.addBackupFile({ instanceId: source.id, apps: [APP] }).id, target: target.id };
    });
    const doomed = Array.from({ length: 3 }, (_, i) => {
      const source = simulator.addInstance({ name: `old-${i}`, status: 'STOPPED', packages: [APP] });
      return simulator.addBackupFile({ instanceId: source.id, apps: [APP] }).id;
    });

    const bot = await startCrashingBot(env, standIn, simulator, 7);
    const { person } = bot;

    // Each confirmation is followed by a kill within moments: between the record and the cloud call, or just after.
    for (const { file, target } of restores) {
      const form = await openRestoreForm(person, file);
      const { confirmation } = await checkTargets(person, form, [target]);
      expect(confirmation?.callback_id).toBe(CALLBACK.restoreConfirm);
      await bot.driver.submitView({ viewId: confirmation!.id });
      await bot.crashAndRestart(400);
    }
    for (const file of doomed) {
      await command(person, `delete ${file}`);
      const first = await topView(person, CALLBACK.deleteConfirm);
      await bot.driver.submitView({ viewId: first.id });
      const second = await topView(person, CALLBACK.deleteConfirmUnverified);
      await bot.driver.submitView({
        viewId: second.id,
        values: { [BLOCK.deleteAcknowledge]: { [ACTION.deleteAcknowledge]: [CHOICE.understood] } },
      });
      await bot.crashAndRestart(150);
    }

    const restoreReplies = () => withMarker(standIn, (id) => id.startsWith('restore-completion:'));
    const deleteResults = () => withMarker(standIn, (id) => id.startsWith('delete-result:'));
    const allReplied = () =>
      new Set(
        restoreReplies()
          .flatMap((m) => m.blocks as { block_id?: string }[])
          .map((b) => b.block_id),
      ).size >= restores.length && deleteResults().length >= doomed.length;
    const deadline = Date.now() + 90_000;
    // Keep killing after the replies too: a restarted bot must not post them again.
    while ((bot.kills < 10 || !allReplied()) && Date.now() < deadline) {
      if (bot.kills < 12) await bot.crashAndRestart(800);
      else await sleep(200);
    }
    // Let the last bot settle, so a duplicate would have time to appear.
    await sleep(1_000);
    await bot.stop();

    // One reply per restore and per deletion, each carrying its own request's marker once.
    const markers = (messages: { blocks?: unknown[] }[], prefix: string) =>
      messages.flatMap((m) =>
        (m.blocks as { block_id?: string }[]).flatMap((b) => (b.block_id?.startsWith(prefix) ? [b.block_id] : [])),
      );
    const restoreMarkers = markers(restoreReplies(), 'restore-completion:');
    expect(restoreMarkers).toHaveLength(restores.length);
    expect(new Set(restoreMarkers).size).toBe(restores.length);
    const deleteMarkers = markers(deleteResults(), 'delete-result:');
    expect(deleteMarkers).toHaveLength(doomed.length);
    expect(new Set(deleteMarkers).size).toBe(doomed.length);
    // RecoverApp reached each target at most once (a second would uninstall the apps again).
    for (const { target } of restores) {
      const sent = recoverCalls(person).filter((call) => call.status === 200 && call.targets.includes(target));
      expect(sent.length, `RecoverApp calls for ${target}`).toBeLessThanOrEqual(1);
    }
    // DeleteBackupFile reached each file at most once; a deletion whose call may not have been sent says so.
    for (const file of doomed) {
      const sent = simulator.requests.filter(
        (r) => r.action === 'DeleteBackupFile' && r.status === 200 && Object.values(r.params).includes(file),
      );
      expect(sent.length, `DeleteBackupFile calls for ${file}`).toBeLessThanOrEqual(1);
      const result = deleteResults().find((m) => JSON.stringify(m.blocks).includes(file));
      expect(result?.text, `the result for ${file}`).toMatch(
        sent.length === 1 ? /deleted 1 backup/ : /asked to delete/,
      );
    }
  }, 200_000);

  it('kills the bot while restores wait for approval and right after they are approved; each restores once, with one reply', async () => {
    sim = await startSimulator({ timing: { ...FAST_TIMING, recoverMs: 1_000 }, seed: 9 });
    slack = await startSlackStandIn({ rateLimits: false });
    const standIn = slack;
    const simulator = sim;
    const APP = 'com.tencent.mm';
    const BOB = 'U0BOB';
    const APPROVALS = 'C0GENERAL';
    const policy = writePolicyFile([
      'roles:',
      '  - name: leads',
      `    members: [${BOB}]`,
      '    actions: [restore]',
      '    instances: ["acp-*"]',
      `    locations: ["${BACKUP_PATH}"]`,
      'approvals:',
      '  - name: all-restores',
      '    actions: [restore]',
      '    instances: ["acp-*"]',
      `    approvers: [${BOB}]`,
      `    channel: ${APPROVALS}`,
    ]);
    const env = botEnv({
      slack,
      sim,
      dbPath: join(dir, 'approvals.db'),
      overrides: { CLOUDPHONE_POLL_INTERVAL_MS: '50', LOG_LEVEL: 'error', CLOUDPHONE_POLICY: policy.path },
    });
    const restores = Array.from({ length: 3 }, (_, i) => {
      const source = simulator.addInstance({ name: `asrc-${i}`, status: 'STOPPED', packages: [APP] });
      const target = simulator.addInstance({ name: `atgt-${i}`, status: 'RUNNING', packages: [] });
      return { file: simulator.addBackupFile({ instanceId: source.id, apps: [APP] }).id, target: target.id };
    });

    const bot = await startCrashingBot(env, standIn, simulator, 11);
    const { person } = bot;
    /** The approvers' message about this target that still offers Approve. */
    const askFor = (target: string) =>
      standIn
        .messages(APPROVALS, { topLevelOnly: true })
        .find(
          (m) => JSON.stringify(m.blocks).includes(target) && JSON.stringify(m.blocks).includes(ACTION.approvalApprove),
        );

    try {
      for (const { file, target } of restores) {
        const form = await openRestoreForm(person, file);
        const { confirmation } = await checkTargets(person, form, [target]);
        await bot.driver.submitView({ viewId: confirmation!.id });
        // Killed while the restore waits (before or after the approvers were asked).
        await bot.crashAndRestart(300);
        const ask = await waitUntil(() => askFor(target), { timeoutMs: 20_000, description: `the ask for ${target}` });
        expect(recoverCalls(person).filter((call) => call.targets.includes(target))).toHaveLength(0);
        await bot.driver.clickButton({
          channel: APPROVALS,
          messageTs: ask.ts,
          actionId: ACTION.approvalApprove,
          userId: BOB,
        });
        // Killed between the approval and RecoverApp, or just after.
        await bot.crashAndRestart(300);
      }
      const replies = () => withMarker(standIn, (id) => id.startsWith('restore-completion:'));
      await waitUntil(() => replies().length >= restores.length, {
        timeoutMs: 60_000,
        description: 'a reply for every approved restore',
      });
      await bot.crashAndRestart(200);
      await sleep(1_500);
      await bot.stop();
      const markers = replies().flatMap((m) =>
        (m.blocks as { block_id?: string }[]).flatMap((b) =>
          b.block_id?.startsWith('restore-completion:') ? [b.block_id] : [],
        ),
      );
      expect(new Set(markers).size).toBe(restores.length);
      expect(markers).toHaveLength(restores.length);
      for (const { target } of restores) {
        const sent = recoverCalls(person).filter((call) => call.status === 200 && call.targets.includes(target));
        expect(sent, `RecoverApp calls for ${target}`).toHaveLength(1);
      }
    } finally {
      policy.remove();
    }
  }, 200_000);
});
