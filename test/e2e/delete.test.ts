import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, CHOICE } from '../../src/blocks/ids.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { writePolicyFile } from '../support/policy-file.js';
import {
  botBackup,
  checkTargets,
  command,
  openRestoreForm,
  restoreReply,
  shown,
  topView,
} from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness;
let policyFile: ReturnType<typeof writePolicyFile> | undefined;
afterEach(async () => {
  await h?.close();
  policyFile?.remove();
  policyFile = undefined;
});

function deleteCalls(h: Harness): string[][] {
  return h.sim.requests
    .filter((r) => r.action === 'DeleteBackupFile')
    .map((r) =>
      Object.entries(r.params)
        .filter(([key]) => key.startsWith('BackupFileIdList.'))
        .map(([, value]) => value),
    );
}

async function deletedMessage(h: Harness) {
  return waitUntil(() => h.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => m.text.includes('deleted')), {
    timeoutMs: 5_000,
    description: 'the deletion message',
  });
}

describe('/cloudphone delete, end to end', () => {
  it('asks a second, explicit confirmation naming the risk for a backup never verified by a restore', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    await command(h, `delete ${bf}`);
    const first = await topView(h, CALLBACK.deleteConfirm);
    expect(shown(first.blocks)).toContain('never verified');
    expect(shown(first.submit)).toContain('Continue');

    const pushed = await h.driver.submitView({ viewId: first.id });
    expect(pushed.outcome.kind).toBe('pushed');
    const second = await topView(h, CALLBACK.deleteConfirmUnverified);
    expect(h.slack.openViews(ADMIN)).toHaveLength(2);
    const risk = shown(second.blocks);
    expect(risk).toContain('never been verified by a restore');
    expect(risk).toContain('loses that data for good');
    expect(risk).toContain(bf);
    expect(deleteCalls(h)).toEqual([]);

    const done = await h.driver.submitView({
      viewId: second.id,
      values: { [BLOCK.deleteAcknowledge]: { [ACTION.deleteAcknowledge]: [CHOICE.understood] } },
    });
    expect(done.rawBody).toContain('"response_action":"clear"');
    const message = await deletedMessage(h);
    expect(shown(message.blocks)).toContain('never verified by a restore (confirmed twice)');
    expect(deleteCalls(h)).toEqual([[bf]]);
    expect(['DELETING', undefined]).toContain(h.sim.state.backupFiles.get(bf)?.status);
    const entry = h.bot.services.audit.recent({ subject: bf }).find((e) => e.action === 'delete' && e.outcome);
    expect(entry?.params).toMatchObject({ confirmedTwice: true, neverVerified: [bf] });
    expect(entry?.outcome?.status).toBe('deleted');
  });

  it('deletes a verified backup after one confirmation', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [h.instance('support-01')]);
    await h.driver.submitView({ viewId: confirmation!.id });
    const { reply } = await restoreReply(h);
    await h.driver.clickButton({ channel: CHANNEL, messageTs: reply.ts, actionId: ACTION.markVerified, userId: ADMIN });
    await waitUntil(() => shown(h.slack.message(CHANNEL, reply.ts)?.blocks).includes('Restore verified'), {
      timeoutMs: 5_000,
      description: 'the verification',
    });

    await command(h, `delete ${bf}`);
    const first = await topView(h, CALLBACK.deleteConfirm);
    expect(shown(first.blocks)).toContain('a restore from it was verified by');
    expect(shown(first.submit)).toContain('Delete');
    const done = await h.driver.submitView({ viewId: first.id });
    expect(done.rawBody).toContain('"response_action":"clear"');
    await deletedMessage(h);
    expect(deleteCalls(h)).toEqual([[bf]]);
    expect(h.slack.openViews(ADMIN)).toEqual([]);
  });

  it.each([
    ['a DeleteBackupFile that never reached the cloud is sent again', 'drop', 2],
    ['a DeleteBackupFile whose answer was lost is looked up, not sent again', 'dropAfterApply', 1],
  ] as const)('%s', async (_title, fault, sends) => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    h.sim.setFaults({ [fault]: { actions: ['DeleteBackupFile'], times: 1 } });
    await command(h, `delete ${bf}`);
    await h.driver.submitView({ viewId: (await topView(h, CALLBACK.deleteConfirm)).id });
    await h.driver.submitView({
      viewId: (await topView(h, CALLBACK.deleteConfirmUnverified)).id,
      values: { [BLOCK.deleteAcknowledge]: { [ACTION.deleteAcknowledge]: [CHOICE.understood] } },
    });
    await deletedMessage(h);
    expect(deleteCalls(h)).toEqual(Array.from({ length: sends }, () => [bf]));
    expect(['DELETING', undefined]).toContain(h.sim.state.backupFiles.get(bf)?.status);
  });

  it('is its own permission: a person who may restore and list may not delete', async () => {
    policyFile = writePolicyFile([
      `admins: [${ADMIN}]`,
      'roles:',
      '  - name: support',
      '    members: [U0BOB]',
      '    actions: [list, restore, status]',
      "    instances: ['acp-*']",
      `    locations: ['${BACKUP_PATH}', 'oss://cloudphone-saved-bucket-sim/backups/']`,
    ]);
    h = await startHarness({ env: { CLOUDPHONE_POLICY: policyFile.path } });
    const file = h.sim.addBackupFile({ instanceId: h.instance('support-03') });
    const res = await command(h, `delete ${file.id}`, 'U0BOB');
    expect(res.rawBody).toContain('your roles do not include delete');
    expect(h.slack.openViews('U0BOB')).toEqual([]);
    expect(deleteCalls(h)).toEqual([]);
    const [entry] = h.bot.services.audit.recent({ userId: 'U0BOB' });
    expect(entry).toMatchObject({ action: 'delete', decision: 'denied' });
    // The same person may list backups.
    await command(h, 'backups', 'U0BOB');
    await waitUntil(() => h.slack.ephemerals('U0BOB').find((e) => shown(e.blocks).includes(file.id)), {
      timeoutMs: 5_000,
      description: "Bob's catalog",
    });
  });
});
