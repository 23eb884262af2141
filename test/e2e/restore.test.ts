import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, CHOICE } from '../../src/blocks/ids.js';
import { pressCancel } from '../support/cancel-flows.js';
import {
  ADMIN,
  BACKUP_PATH,
  CHANNEL,
  type Harness,
  parents,
  startHarness,
  updatedAfterRestart,
} from '../support/harness.js';
import { writePolicyFile } from '../support/policy-file.js';
import {
  botBackup,
  checkTargets,
  command,
  confirmRestore,
  loadedAnswer,
  openRestoreForm,
  parentTargetLine,
  recoverCalls,
  restoreIdOf,
  restoreReply,
  shown,
  targetLine,
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

function actionsOf(h: Harness): string[] {
  return h.sim.requests.map((r) => r.action);
}

/** Restore requests the bot has recorded (a plan is one, from the form's "Check targets" on). */
function restoreRequests(h: Harness): number {
  const db = new Database(h.dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM requests WHERE kind = 'restore'`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The options the restore form's target picker offers for what the person typed in it. */
async function pickerOptions(h: Harness, viewId: string, typed: string): Promise<{ text: string; value: string }[]> {
  const res = await h.driver.blockSuggestion({ viewId, actionId: ACTION.restoreTargetPicker, value: typed });
  if (!('options' in res.outcome)) throw new Error(`the picker offered nothing: ${res.outcome.error}`);
  return (res.outcome.options as { text: { text: string }; value: string }[]).map((o) => ({
    text: o.text.text,
    value: o.value,
  }));
}

/** Waits until the target picker offers phones: the bot has its listing of the fleet. */
async function fleetListed(h: Harness, viewId: string): Promise<void> {
  await waitUntil(async () => ((await pickerOptions(h, viewId, '')).length > 0 ? true : undefined), {
    timeoutMs: 5_000,
    description: "the restore form's listing of the fleet",
  });
}

describe('/cloudphone restore, end to end', () => {
  it('restores a bot-made backup onto a compatible running target, naming what is overwritten first', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const target = h.instance('support-01');

    const form = await openRestoreForm(h, bf);
    expect(shown(form.blocks)).toContain('uninstalled first');
    const { confirmation } = await checkTargets(h, form, [target]);
    expect(confirmation?.callback_id).toBe(CALLBACK.restoreConfirm);
    const text = shown(confirmation?.blocks);
    expect(text).toContain('What will be overwritten');
    // support-01 already has WeChat: the confirmation names it as the app that is uninstalled and replaced.
    expect(text).toMatch(/com\.tencent\.mm.{0,40}uninstalled with its data/);
    expect(text).toContain('recorded by the bot when it made the backup');
    expect(recoverCalls(h)).toEqual([]);

    await h.driver.submitView({ viewId: confirmation!.id });
    const { parent, reply } = await restoreReply(h);
    expect(reply.text).toContain('finished');
    expect(shown(reply.blocks)).toContain('Mark restore verified');
    await waitUntil(() => h.slack.message(CHANNEL, parent.ts)?.text.includes('Finished'), {
      timeoutMs: 5_000,
      description: 'the restore message showing the outcome',
    });
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [target] }]);
    expect(shown(parent.blocks)).toContain(bf);
    // The reply counts the restored target and names it only in its checks; the channel message has its line.
    expect(shown(reply.blocks)).toContain('✅ 1 restored');
    expect(targetLine(reply, target)).toBe(`✅ \`${target}\``);
    expect(await parentTargetLine(h, parent.ts, target)).toMatch(/^✅ .* restored/);
    expect(
      h.slack.threadReplies(CHANNEL, parent.ts).filter((m) => shown(m.blocks).includes('restore-completion:')),
    ).toHaveLength(1);
    // The audit trail has the confirmation, linked to the restore, with its outcome.
    const entries = h.bot.services.audit.recent({ subject: restoreIdOf(reply) });
    expect(entries.map((e) => [e.action, e.decision, e.outcome?.status])).toContainEqual([
      'restore',
      'allowed',
      'succeeded',
    ]);
  });

  it('restores onto a target picked by name from the list and one typed by name', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const picked = h.instance('support-01');
    const typed = h.instance('support-03');
    const form = await openRestoreForm(h, bf);
    await fleetListed(h, form.id);

    // Searching by name offers that instance, shown with its name and id.
    const offered = await pickerOptions(h, form.id, 'support-01');
    expect(offered.map((o) => o.value)).toEqual([picked]);
    expect(offered[0]?.text).toContain('support-01');

    const submitted = await h.driver.submitView({
      viewId: form.id,
      values: {
        [BLOCK.restoreTargets]: { [ACTION.restoreTargets]: 'support-03' },
        [BLOCK.restoreTargetPicker]: { [ACTION.restoreTargetPicker]: [picked] },
      },
    });
    expect(submitted.outcome.kind).toBe('updated');
    const confirmation = await topView(h, CALLBACK.restoreConfirm);
    expect(shown(confirmation.blocks)).toContain('Ready: running and compatible (2)');
    await h.driver.submitView({ viewId: confirmation.id });
    const { parent } = await restoreReply(h);
    expect(
      recoverCalls(h)
        .flatMap((c) => c.targets)
        .sort(),
    ).toEqual([picked, typed].sort());
    expect(await parentTargetLine(h, parent.ts, picked)).toMatch(/^✅ .* restored/);
    expect(await parentTargetLine(h, parent.ts, typed)).toMatch(/^✅ .* restored/);
  });

  it('refuses a typed name or id that matches no instance under the targets field, and plans nothing', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const form = await openRestoreForm(h, bf);
    await fleetListed(h, form.id);
    const before = actionsOf(h).length;

    const { submitted, confirmation } = await checkTargets(h, form, [h.instance('support-01'), 'no-such-phone']);
    expect(confirmation).toBeUndefined();
    expect(submitted.outcome).toEqual({
      kind: 'errors',
      errors: { [BLOCK.restoreTargets]: 'No instance named no-such-phone or with that id; pick one from the list.' },
    });
    // An id the cloud has no phone for is refused the same way, once the cloud says so.
    const missing = 'acp-doesnotexist000';
    const byId = await checkTargets(h, form, [missing]);
    expect(byId.submitted.outcome).toEqual({
      kind: 'errors',
      errors: { [BLOCK.restoreTargets]: `No instance named ${missing} or with that id; pick one from the list.` },
    });
    // The audit trail shows that target check refused, not a restore step that went ahead.
    const checked = h.bot.services.audit.recent({}).find((e) => e.params?.step === 'check targets');
    expect(checked?.outcome).toMatchObject({ status: 'refused', instanceIds: [missing] });
    // The form stays open and nothing was planned: no request recorded, no target checked in the cloud.
    expect(h.slack.openViews(ADMIN).at(-1)?.callback_id).toBe(CALLBACK.restoreForm);
    expect(restoreRequests(h)).toBe(0);
    expect(
      actionsOf(h)
        .slice(before)
        .filter((a) => a !== 'DescribeAndroidInstances'),
    ).toEqual([]);
  });

  it('carries on after a restart between the confirmation and the restore, and replies once', async () => {
    h = await startHarness();
    const { target } = await confirmRestore(h);
    // The confirmation is in SQLite before its ack: a new bot on the same database takes it from there.
    await h.restart();
    const { parent } = await restoreReply(h);
    await waitUntil(() => h.slack.message(CHANNEL, parent.ts)?.text.includes('Finished'), {
      timeoutMs: 5_000,
      description: 'the final restore message',
    });
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [target] }]);
    expect(
      h.slack.threadReplies(CHANNEL, parent.ts).filter((m) => shown(m.blocks).includes('restore-completion:')),
    ).toHaveLength(1);
    expect(
      h.slack.messages(CHANNEL, { topLevelOnly: true }).filter((m) => m.text.includes('asked to restore')),
    ).toHaveLength(1);
  });

  it('a crash after posting the restore message but before recording it does not post it twice', async () => {
    h = await startHarness();
    await confirmRestore(h);
    const { parent } = await restoreReply(h);
    await h.bot.stop();
    // Rewind to the instant after chat.postMessage for the restore's parent, before its ts was recorded.
    const db = new Database(h.dbPath);
    db.prepare(`UPDATE cloud_calls SET status = 'sent' WHERE action = 'chat.postMessage:parent'`).run();
    db.prepare(
      `UPDATE requests SET step = 'announce', next_run_at = 0, parent_channel = NULL, parent_ts = NULL
       WHERE kind = 'restore' AND step <> 'draft'`,
    ).run();
    db.close();
    await h.restart();
    await updatedAfterRestart(h, CHANNEL, parent.ts);
    expect(
      h.slack.messages(CHANNEL, { topLevelOnly: true }).filter((m) => m.text.includes('asked to restore')),
    ).toHaveLength(1);
  });

  it('refuses each incompatible target with its reason and sends RecoverApp only to the compatible one', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const ok = h.instance('support-03');
    const custom = h.instance('qa-01');
    const gx8 = h.instance('sales-01');
    const newer = h.instance('beta-01');

    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [ok, custom, gx8, newer]);
    const text = shown(confirmation?.blocks);
    expect(text).toContain('Refused (3)');
    expect(text).toMatch(
      new RegExp(
        `${custom}.{0,80}ImageKindMismatch.{0,80}image kind \\(public or custom\\) differs: the backup needs public, this instance has custom`,
      ),
    );
    expect(text).toMatch(
      new RegExp(
        `${gx8}.{0,80}ArchitectureMismatch.{0,200}cpm\\.gx7\\.10xlarge, this instance has cpm\\.gx8\\.16xlarge`,
      ),
    );
    expect(text).toMatch(
      new RegExp(`${newer}.{0,80}ImageVersionMismatch.{0,120}3\\.5\\.3\\.867, this instance has 3\\.6\\.1\\.1012`),
    );

    await h.driver.submitView({ viewId: confirmation!.id });
    const { parent, reply } = await restoreReply(h);
    expect(shown(reply.blocks)).toContain('ImageVersionMismatch');
    // No RecoverApp reached an incompatible target: the one call named only the compatible instance.
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [ok] }]);
    expect(await parentTargetLine(h, parent.ts, ok)).toMatch(/^✅ .* restored/);
    expect(targetLine(reply, custom)).toMatch(/^🚫 .*not restored: .*ImageKindMismatch/);
    expect(targetLine(reply, gx8)).toMatch(/^🚫 .*not restored: .*ArchitectureMismatch/);
    expect(targetLine(reply, newer)).toMatch(/^🚫 .*not restored: .*ImageVersionMismatch/);
    // /cloudphone status counts the instances the restore went onto, as the channel message does.
    expect(shown(parents(h.slack).at(-1))).toContain('onto *1 instance*');
    const status = await loadedAnswer(h, 'status');
    expect(shown(status)).toMatch(/onto 1 instance\b/);
    expect(shown(status)).not.toContain('onto 4 instances');
  });

  it('offers nothing to confirm when every target is incompatible, and sends nothing', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [h.instance('qa-01'), h.instance('beta-01')]);
    expect(confirmation?.callback_id).toBe(CALLBACK.restoreConfirm);
    expect(confirmation?.submit).toBeFalsy();
    expect(shown(confirmation?.blocks)).toContain('Nothing here can be restored');
    expect(recoverCalls(h)).toEqual([]);
    expect(actionsOf(h)).not.toContain('StartAndroidInstance');
  });

  it('starts a stopped target first when the person chooses it, then restores onto it', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const stopped = h.instance('support-04');
    expect(h.sim.state.instances.get(stopped)?.status).toBe('STOPPED');

    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [stopped]);
    const text = shown(confirmation?.blocks);
    expect(text).toContain('Stopped (1)');
    expect(text).toContain('Start it first, then restore');
    expect(actionsOf(h)).not.toContain('StartAndroidInstance');

    await h.driver.submitView({
      viewId: confirmation!.id,
      values: { [BLOCK.restoreStopped]: { [ACTION.restoreStopped]: CHOICE.startFirst } },
    });
    const { parent } = await restoreReply(h);
    const sequence = actionsOf(h).filter((a) => a === 'StartAndroidInstance' || a === 'RecoverApp');
    expect(sequence).toEqual(['StartAndroidInstance', 'RecoverApp']);
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [stopped] }]);
    expect(h.sim.state.instances.get(stopped)?.packages).toContain('com.tencent.mm');
    expect(await parentTargetLine(h, parent.ts, stopped)).toMatch(/^✅ .* restored · started by the bot first/);
  });

  it('Cancel while a stopped target starts: nothing is restored, the person and the thread are told plainly', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const stopped = h.instance('support-04');
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [stopped]);
    await h.driver.submitView({
      viewId: confirmation!.id,
      values: { [BLOCK.restoreStopped]: { [ACTION.restoreStopped]: CHOICE.startFirst } },
    });
    // The start is sent; the phone then stays STARTING, so the restore waits for it with nothing sent to restore.
    await waitUntil(() => actionsOf(h).includes('StartAndroidInstance') || undefined, {
      timeoutMs: 10_000,
      description: 'the start of the stopped target',
    });
    h.sim.setInstanceStatus(stopped, 'STARTING');
    const parent = await waitUntil(
      () =>
        parents(h.slack).find(
          (p) => p.text.includes('asked to restore') && shown(p.blocks).includes(ACTION.cancelRequest),
        ),
      { timeoutMs: 10_000, description: 'the restore message with its Cancel button' },
    );

    // Someone who may not restore onto it cannot cancel it.
    const refusal = await pressCancel(h, parent.ts, 'U0BOB');
    expect(refusal.text).toContain("You can't do that here");

    const answer = await pressCancel(h, parent.ts, ADMIN);
    expect(answer.text).toContain('1 target not yet sent will be skipped. Nothing had reached the cloud yet.');
    const { reply } = await restoreReply(h);
    expect(shown(reply.blocks)).toContain('cancelled before anything was restored');
    expect(targetLine(reply, stopped)).toContain('stays running');
    expect(recoverCalls(h)).toHaveLength(0);
    const final = shown(h.slack.message(CHANNEL, parent.ts)!.blocks);
    expect(final).toContain(`Cancelled by <@${ADMIN}>`);
    expect(final).not.toContain(ACTION.cancelRequest);
    const entry = h.bot.services.audit.recent({}).find((e) => e.outcome?.status === 'cancelled');
    expect(entry).toMatchObject({ userId: ADMIN, action: 'restore' });
  });

  it('Retry failed on a restore reply opens the form with the backup and the failed target, and links the retry', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const [good, flaky] = [h.instance('support-01'), h.instance('support-03')];
    h.sim.failNextTask(flaky, 'RecoverFailed', 'the restore task failed on the phone');
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [good, flaky]);
    await h.driver.submitView({ viewId: confirmation!.id });
    const { parent, reply } = await restoreReply(h);
    expect(shown(reply.blocks)).toContain('Retry the failed target');

    // Someone who may not restore onto it is refused; nothing opens.
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.retryFailedRestore,
      userId: 'U0BOB',
    });
    const refusal = await waitUntil(() => h.slack.ephemerals('U0BOB').at(-1), {
      timeoutMs: 5_000,
      description: 'the refusal',
    });
    expect(refusal.text).toContain("You can't do that here");

    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.retryFailedRestore,
      userId: ADMIN,
    });
    const again = await topView(h, CALLBACK.restoreForm);
    expect(shown(again.blocks)).toContain(`"initial_value":"${flaky}"`);
    const { confirmation: second } = await checkTargets(h, again, [flaky], { backupFileId: bf });
    // A failed RecoverApp can leave the phone off: the confirmation then asks whether to start it first.
    const stopped = shown(second?.blocks).includes(BLOCK.restoreStopped);
    await h.driver.submitView({
      viewId: second!.id,
      ...(stopped ? { values: { [BLOCK.restoreStopped]: { [ACTION.restoreStopped]: CHOICE.startFirst } } } : {}),
    });
    const link = await waitUntil(
      () => h.slack.threadReplies(CHANNEL, parent.ts).find((m) => m.text.includes('is retrying 1 failed target')),
      { timeoutMs: 10_000, description: 'the retry linked in the first restore thread' },
    );
    const retryId = /req-[0-9a-f]+/.exec(link.text)![0];
    await waitUntil(() => h.bot.repos.restores.get(retryId)?.status === 'succeeded' || undefined, {
      timeoutMs: 20_000,
      description: 'the retry restored',
    });
    expect(recoverCalls(h).map((c) => c.targets)).toEqual([[good, flaky], [flaky]]);
  });

  it('leaves a stopped target out when the person chooses that: it is neither started nor restored', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const running = h.instance('support-01');
    const stopped = h.instance('support-04');
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [running, stopped]);
    await h.driver.submitView({
      viewId: confirmation!.id,
      values: { [BLOCK.restoreStopped]: { [ACTION.restoreStopped]: CHOICE.leaveOut } },
    });
    const { parent, reply } = await restoreReply(h);
    expect(shown(reply.blocks)).toContain('left out');
    expect(actionsOf(h)).not.toContain('StartAndroidInstance');
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [running] }]);
    expect(h.sim.state.instances.get(stopped)?.status).toBe('STOPPED');
    expect(await parentTargetLine(h, parent.ts, running)).toMatch(/^✅ .* restored/);
  });

  it('refuses a backup made elsewhere whose source instance is gone, rather than guess its image', async () => {
    h = await startHarness();
    const source = h.instance('support-03');
    const file = h.sim.addBackupFile({ instanceId: source, apps: ['com.xingin.xhs'] });
    h.sim.state.instances.delete(source);
    const form = await openRestoreForm(h, file.id);
    const { confirmation } = await checkTargets(h, form, [h.instance('support-01')]);
    const text = shown(confirmation?.blocks);
    expect(text).toContain('SourceUnknown');
    expect(text).toContain('no longer exists');
    expect(confirmation?.submit).toBeFalsy();
    expect(recoverCalls(h)).toEqual([]);
  });

  it('checks a backup made elsewhere against its source instance as it is now, and restores it', async () => {
    h = await startHarness();
    const file = h.sim.addBackupFile({ instanceId: h.instance('support-03'), apps: ['com.xingin.xhs'] });
    const target = h.instance('support-01');
    const form = await openRestoreForm(h);
    const { confirmation } = await checkTargets(h, form, [target], { backupFileId: file.id });
    expect(shown(confirmation?.blocks)).toContain('read from the source instance now');
    await h.driver.submitView({ viewId: confirmation!.id });
    await restoreReply(h);
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [target] }]);
  });

  it('never sends RecoverApp twice when its outcome is unknown, and says so plainly', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const target = h.instance('support-01');
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [target]);
    // The restore takes effect in the cloud, but its answer is lost on the way back.
    h.sim.setFaults({ dropAfterApply: { actions: ['RecoverApp'], times: 1 } });
    await h.driver.submitView({ viewId: confirmation!.id });
    const { reply } = await restoreReply(h);
    expect(shown(reply.blocks)).toContain('OutcomeUnknown');
    expect(shown(reply.blocks)).toContain('did not send it again');
    expect(recoverCalls(h)).toHaveLength(1);
    expect(targetLine(reply, target)).toMatch(/^❌ .*failed: .*OutcomeUnknown/);
  });

  it('looks a RecoverApp with a 5xx answer up by its RequestId (InvokeId) instead of resending it', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [h.instance('support-01')]);
    h.sim.setFaults({ serverError: { actions: ['RecoverApp'], times: 1, status: 503 } });
    await h.driver.submitView({ viewId: confirmation!.id });
    const { reply } = await restoreReply(h);
    const [failed] = recoverCalls(h);
    expect(recoverCalls(h)).toHaveLength(1);
    expect(failed?.status).toBe(503);
    const lost = h.sim.requests.find((r) => r.action === 'RecoverApp')!.requestId;
    const lookup = h.sim.requests.find((r) => r.action === 'DescribeTasks' && r.params.InvokeId === lost);
    expect(lookup).toBeDefined();
    expect(shown(reply.blocks)).toContain(`found no restore task for RequestId ${lost}`);
  });

  it("refuses at once a backup outside the person's locations, before the cloud is asked anything more", async () => {
    policyFile = writePolicyFile([
      `admins: [${ADMIN}]`,
      'roles:',
      '  - name: support',
      '    members: [U0BOB]',
      '    actions: [list, restore, status]',
      "    instances: ['acp-*']",
      `    locations: ['${BACKUP_PATH}']`,
    ]);
    h = await startHarness({ env: { CLOUDPHONE_POLICY: policyFile.path } });
    // Made elsewhere, in a folder Bob's role does not cover.
    const file = h.sim.addBackupFile({ instanceId: h.instance('support-03') });
    // Named in the command, it is refused at once (issue 16: no form about a backup that cannot be restored),
    // without saying what it holds or where it is, and before the cloud is asked about targets or apps.
    await command(h, `restore ${file.id}`, 'U0BOB');
    const notice = await topView(h, CALLBACK.restoreNotice, 'U0BOB');
    expect(shown(notice)).toContain(`There is no backup \`${file.id}\` that you can restore`);
    expect(shown(notice)).not.toContain(file.name);
    expect(shown(notice)).not.toContain(file.path);
    expect(h.sim.requests.map((r) => r.action)).not.toContain('RunSyncCommand');
    expect(recoverCalls(h)).toEqual([]);
  });

  it('refuses a backup id the catalog does not have at once, with no form to fill in', async () => {
    h = await startHarness();
    await command(h, 'restore bf-doesnotexist1');
    const notice = await topView(h, CALLBACK.restoreNotice);
    expect(shown(notice)).toContain('There is no backup `bf-doesnotexist1` that you can restore');
    expect(shown(notice)).toContain('/cloudphone backups');
    expect(h.slack.openViews(ADMIN).map((v) => v.callback_id)).toEqual([CALLBACK.restoreNotice]);
  });

  it('refuses a person who may not restore before anything is opened, and records the denial', async () => {
    h = await startHarness();
    const res = await command(h, 'restore', 'U0BOB');
    // The bot's answer to the command (an ephemeral message), whatever the machine's load did to its timing.
    expect(res.rawBody).toContain("can't do that");
    expect(h.slack.openViews('U0BOB')).toEqual([]);
    const [entry] = h.bot.services.audit.recent({ userId: 'U0BOB' });
    expect(entry).toMatchObject({ action: 'restore', decision: 'denied' });
    expect(ADMIN).not.toBe('U0BOB');
  });
});
