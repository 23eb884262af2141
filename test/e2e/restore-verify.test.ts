/**
 * Restores that check themselves (issue 17), end to end: the bot records the apps on the source before a backup,
 * checks them on the target after a restore (RunSyncCommand against the simulator's phones), says what it found in the
 * restore's thread, and records "verified automatically" only when everything matched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/blocks/format.js';
import { ACTION, CALLBACK } from '../../src/blocks/ids.js';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import {
  botBackup,
  checkTargets,
  command,
  loadedAnswer,
  openRestoreForm,
  restoreIdOf,
  restoreReply,
  shown,
  topView,
} from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const APP = 'com.tencent.mm';

/** Backs up WeChat on support-01 (running: the bot stops it), restores it onto support-03, returns the reply. */
async function backupAndRestore(h: Harness, beforeConfirm?: (target: string) => void) {
  const bf = await botBackup(h, 'support-01', [APP]);
  const target = h.instance('support-03');
  const form = await openRestoreForm(h, bf);
  const { confirmation } = await checkTargets(h, form, [target]);
  beforeConfirm?.(target);
  await h.driver.submitView({ viewId: confirmation!.id });
  const { parent, reply } = await restoreReply(h);
  return { bf, target, parent, reply, text: shown(reply.blocks) };
}

/** RunSyncCommand calls of the app probe (the restore form also lists packages with `pm list packages -3`). */
function probeCalls(h: Harness) {
  return h.sim.requests.filter((r) => r.action === 'RunSyncCommand' && r.params.CommandContent?.includes('dumpsys'));
}

describe('automatic restore verification', () => {
  it('checks the restored app against the backup, says so in the thread, and marks the backup verified automatically', async () => {
    h = await startHarness();
    const source = h.instance('support-01');
    // The source's WeChat as the probe will find it before the backup.
    h.sim.setApp(source, APP, { versionName: '8.0.50', versionCode: 2460, dataBytes: 43 * 1024 * 1024 });
    const { bf, target, reply, text } = await backupAndRestore(h);

    // One probe on the source before it was stopped, one on the target after the restore; each signed (the
    // simulator's gateway checked the signature and named the key) and within RunSyncCommand's 3 s wait.
    const probes = probeCalls(h);
    expect(probes.map((r) => [r.status, r.params['InstanceIds.1'], r.params.WaitTime, Boolean(r.accessKeyId)])).toEqual(
      [
        [200, source, '3000', true],
        [200, target, '3000', true],
      ],
    );
    expect(probes[1]?.params.CommandContent).toContain('android.intent.category.LAUNCHER');
    const order = h.sim.requests;
    expect(order.indexOf(probes[0]!)).toBeLessThan(order.findIndex((r) => r.action === 'StopAndroidInstance'));
    expect(order.indexOf(probes[1]!)).toBeGreaterThan(order.findIndex((r) => r.action === 'RecoverApp'));

    expect(text).toContain('Verified automatically');
    expect(text).toContain(
      `${APP}\` \`8.0.50\` installed, data ${formatBytes(43 * 1024 * 1024)} vs ${formatBytes(43 * 1024 * 1024)} at backup, started`,
    );
    // The restored app is the backup's, with its data.
    expect(h.sim.state.instances.get(target)?.appDetails[APP]).toMatchObject({ versionName: '8.0.50' });

    const auto = h.bot.services.restores.get(restoreIdOf(reply))?.automaticVerification;
    expect(auto).toMatchObject({ kind: 'automatic', backupFileId: bf, instanceIds: [target], userId: undefined });
    // The button stays, for what a person checks by hand.
    expect(text).toContain(ACTION.markVerified);

    const catalog = shown((await loadedAnswer(h, 'backups')).blocks);
    expect(catalog).toMatch(new RegExp(`${bf}.{0,600}restore verified automatically`));

    // A person confirms too: the catalog shows both kinds.
    await h.driver.clickButton({ channel: CHANNEL, messageTs: reply.ts, actionId: ACTION.markVerified, userId: ADMIN });
    await waitUntil(() => shown(h.slack.message(CHANNEL, reply.ts)?.blocks).includes('Restore verified'), {
      timeoutMs: 5_000,
      description: 'the manual verification on the reply',
    });
    // The reply, updated in place, still shows what the bot checked.
    expect(shown(h.slack.message(CHANNEL, reply.ts)?.blocks)).toContain('Verified automatically');
    const both = shown((await loadedAnswer(h, 'backups')).blocks);
    expect(both).toMatch(
      new RegExp(`${bf}.{0,600}restore verified automatically.{0,80}restore verified by <@${ADMIN}>`),
    );
  });

  it('the delete guard accepts an automatic verification and says which kind it was', async () => {
    h = await startHarness();
    const { bf } = await backupAndRestore(h);
    await command(h, `delete ${bf}`);
    const first = await topView(h, CALLBACK.deleteConfirm);
    expect(shown(first.blocks)).toContain('a restore from it was verified automatically');
    expect(shown(first.blocks)).not.toContain('never verified');
  });

  it.each([
    [
      'a restore that installs another version',
      { restoredVersion: { versionName: '7.0.21', versionCode: 2100 } },
      /version `7\.0\.21` \(2100\), but the backup had `8\.0\.50` \(2460\)/,
    ],
    ['a restore that leaves the data empty', { restoredDataEmpty: true }, /data directory empty \(12 KB\)/],
    [
      'a check command that does not answer',
      { commandTimeout: true },
      /not verified: the check command did not answer within RunSyncCommand's 3 s wait \(status `RUNNING`\)/,
    ],
  ] as const)('says exactly what failed for %s and leaves the backup unverified', async (_title, faults, expected) => {
    h = await startHarness();
    h.sim.setApp(h.instance('support-01'), APP, { versionName: '8.0.50', versionCode: 2460, dataBytes: 43 << 20 });
    const { bf, reply, text } = await backupAndRestore(h, (target) => h.sim.setAppFaults(target, faults));
    expect(text).toContain('Not verified automatically');
    expect(text).toMatch(expected);
    expect(h.bot.services.restores.get(restoreIdOf(reply))?.automaticVerification).toBeUndefined();
    await command(h, `delete ${bf}`);
    expect(shown((await topView(h, CALLBACK.deleteConfirm)).blocks)).toContain('never verified');
  });

  it('cannot check a target that is stopped when the restore ends, and says so', async () => {
    h = await startHarness();
    const { reply, text } = await backupAndRestore(h, (target) => {
      // Someone stops the phone while its restore runs: the restore finishes, the phone stays off.
      void waitUntil(() => h.sim.state.instances.get(target)?.status === 'RECOVERING', {
        timeoutMs: 10_000,
        description: 'the target restoring',
      }).then(() => h.sim.setInstanceStatus(target, 'STOPPED'));
    });
    expect(text).toMatch(/not verified: the instance is `STOPPED`, so the bot could not look at its apps/);
    expect(h.bot.services.restores.get(restoreIdOf(reply))?.automaticVerification).toBeUndefined();
    // Only the source was probed: a stopped phone is not sent a command.
    expect(probeCalls(h)).toHaveLength(1);
  });

  it('checks what it can on a backup made elsewhere, and names what it could not compare', async () => {
    h = await startHarness();
    const external = h.sim.addBackupFile({ instanceId: h.instance('support-02'), apps: [APP] });
    const form = await openRestoreForm(h, external.id);
    const { confirmation } = await checkTargets(h, form, [h.instance('support-01')]);
    await h.driver.submitView({ viewId: confirmation!.id });
    const { reply } = await restoreReply(h);
    const text = shown(reply.blocks);
    expect(text).toMatch(/installed, data [\d.]+ MB, started · could not compare version or data size/);
    // What it could check passed: the restore counts as verified automatically, with that said.
    expect(h.bot.services.restores.get(restoreIdOf(reply))?.automaticVerification?.kind).toBe('automatic');
  });
});
