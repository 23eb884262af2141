import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../../src/blocks/ids.js';
import { backupFormValues, backupViaModal, openBackupModal, threadedReply } from '../support/backup-flows.js';
import { pressCancel } from '../support/cancel-flows.js';
import {
  ADMIN,
  afterEngineTicks,
  BACKUP_PATH,
  CHANNEL,
  type Harness,
  parents,
  startHarness,
  updatedAfterRestart,
} from '../support/harness.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Rewinds the (stopped) bot's database to the instant after chat.postMessage for the parent, before its ts was recorded. */
function rewindToUnrecordedParent(harness: Harness): void {
  const db = new Database(harness.dbPath);
  db.prepare(`UPDATE cloud_calls SET status = 'sent' WHERE action = 'chat.postMessage:parent'`).run();
  db.prepare(`UPDATE requests SET step = 'announce', next_run_at = 0, parent_channel = NULL, parent_ts = NULL`).run();
  db.close();
}

const textOf = (message: { text?: string; blocks?: unknown }) =>
  `${message.text ?? ''}\n${JSON.stringify(message.blocks ?? [])}`;
const actions = (harness: Harness) => harness.sim.requests.map((r) => r.action);

/** Waits until the form's instance picker offers phones: the bot has its listing of the fleet. */
async function fleetListed(harness: Harness, viewId: string) {
  await waitUntil(
    async () => {
      const res = await harness.driver.blockSuggestion({ viewId, actionId: ACTION.instancePicker, value: '' });
      return 'options' in res.outcome && res.outcome.options.length > 0 ? true : undefined;
    },
    { timeoutMs: 5_000, description: "the instance picker's listing of the fleet" },
  );
}

describe('/cloudphone backup, end to end', () => {
  it('backs up a stopped instance and answers once in a thread with the backup file id and name', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    await backupViaModal(h, [id], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    expect(reply.text).toContain(`<@${ADMIN}>`);
    const file = [...h.sim.state.backupFiles.values()].find((f) => f.instanceId === id);
    expect(file?.status).toBe('AVAILABLE');
    expect(textOf(reply)).toContain(file!.id);
    expect(textOf(reply)).toContain(file!.name);
    // The instance's name beside its id, in the reply and in the channel message's list.
    const name = h.sim.state.instances.get(id)!.name;
    expect(textOf(reply)).toContain(`\`${id}\` (${name})`);
    expect(parents(h.slack)).toHaveLength(1);
    const parent = parents(h.slack)[0]!;
    expect(textOf(parent)).toContain(`\`${id}\` (${name})`);
    expect(h.slack.threadReplies(CHANNEL, parent.ts)).toHaveLength(1);
    // The parent message was updated in place to its final state.
    expect(textOf(parent)).toMatch(/100%/);
    // A stopped instance is not stopped or started by the bot.
    expect(actions(h)).not.toContain('StopAndroidInstance');
    expect(actions(h)).not.toContain('StartAndroidInstance');
  });

  it('records the decision to open the form before the form opens, then the submission with its request', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    let auditAtOpen: { decision: string; params: Record<string, unknown> }[] | undefined;
    // The stand-in's own change hook, not a wait: it reads the audit at the instant the view opens.
    const opened = h.slack
      .waitFor((s) => s.openViews(ADMIN).length > 0 || undefined, { timeoutMs: 3000 })
      .then(() => {
        auditAtOpen = h!.bot.services.audit.recent({ userId: ADMIN });
      });
    await backupViaModal(h, [id], ['com.tencent.mm']);
    await opened;
    expect(auditAtOpen?.map((e) => [e.decision, e.params.step])).toEqual([['allowed', 'open form']]);
    await waitUntil(
      () => {
        const entries = h!.bot.services.audit.recent({ userId: ADMIN });
        expect(entries).toHaveLength(2);
        expect(entries.find((e) => e.params.step === undefined)?.requestId).toMatch(/^req-/);
        return true;
      },
      { timeoutMs: 10_000, description: 'the submission in the audit log with its request' },
    );
  });

  it('stops a running instance first, waits for STOPPED, backs up, and starts it again', async () => {
    h = await startHarness();
    const id = h.instance('support-01');
    await backupViaModal(h, [id], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    const sent = actions(h).filter((a) => ['StopAndroidInstance', 'BackupApp', 'StartAndroidInstance'].includes(a));
    expect(sent).toEqual(['StopAndroidInstance', 'BackupApp', 'StartAndroidInstance']);
    // The stop used the statuses the request's own lookup had just read: one look at the phone before it was
    // stopped, not two (each costs the account's call quota).
    const calls = h.sim.requests;
    const firstStop = calls.findIndex((r) => r.action === 'StopAndroidInstance');
    const looksBefore = calls
      .slice(0, firstStop)
      .filter((r) => r.action === 'DescribeAndroidInstances' && Object.values(r.params).includes(id));
    expect(looksBefore).toHaveLength(1);
    // BackupApp went out only once the instance was STOPPED: every poll before it saw STOPPING or STOPPED.
    expect(textOf(reply)).toContain('started again');
    await waitUntil(() => h!.sim.state.instances.get(id)?.status === 'RUNNING', {
      timeoutMs: 10_000,
      description: 'the instance running again',
    });
  });

  it('leaves a running instance stopped when the person unticks "start again"', async () => {
    h = await startHarness();
    const id = h.instance('support-03');
    await backupViaModal(h, [id], ['com.xingin.xhs'], [OPTION.stopBefore]);
    await threadedReply(h);
    expect(actions(h)).toContain('StopAndroidInstance');
    expect(actions(h)).not.toContain('StartAndroidInstance');
    expect(h.sim.state.instances.get(id)?.status).toBe('STOPPED');
  });

  it('refuses an id that names no instance, in the form and in the inline command, and records nothing', async () => {
    h = await startHarness();
    const good = h.instance('support-02');
    const view = await openBackupModal(h, [good, 'acp-doesnotexist01']);
    await fleetListed(h, view.id);
    const submitted = await h.driver.submitView({ viewId: view.id, values: backupFormValues(['com.tencent.mm']) });
    expect(submitted.outcome.kind).toBe('errors');
    const errors = (submitted.body as { errors: Record<string, string> }).errors;
    expect(errors).toEqual({
      [BLOCK.instances]:
        'No instance acp-doesnotexist01 in this account and region: check the id, or pick one from the list.',
    });
    const inline = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup acp-doesnotexist01 --apps com.tencent.mm --path ${BACKUP_PATH}`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    expect(inline.withinAckBudget).toBe(true);
    expect(JSON.stringify(inline.body)).toContain('No instance `acp-doesnotexist01` in this account and region');
    expect(JSON.stringify(inline.body)).not.toMatch(/req-[0-9a-f]+/);
    // Nothing recorded or started: no request, no message in the channel, no cloud call but the fleet listing.
    expect(actions(h).filter((a) => a !== 'DescribeAndroidInstances')).toEqual([]);
    expect(parents(h.slack)).toHaveLength(0);
    // The audit trail holds the form being opened, and no backup decision.
    const audited = h.bot.services.audit.recent({ userId: ADMIN });
    expect(audited.map((entry) => entry.params)).toEqual([expect.objectContaining({ step: 'open form' })]);
  });

  it('says a partial success plainly when the fleet listing is not ready yet: one backed up, one failed with its error, one unknown id skipped', async () => {
    h = await startHarness();
    // The listing the open form starts is slow: the submission does not wait for it (Slack's 3 s), so an unknown id
    // goes through as it always could, and the backup reports it.
    h.sim.setFaults({ delay: { actions: ['DescribeAndroidInstances'], times: 1, ms: 4_000 } });
    const good = h.instance('support-02');
    const noApp = h.instance('support-04');
    await backupViaModal(h, [good, noApp, 'acp-doesnotexist01'], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    const text = textOf(reply);
    expect(text).toMatch(/Partly done/);
    expect(text).toContain('AppNotInstalled');
    expect(text).toContain('InstanceNotFound');
    // The unknown id was reported, not sent to BackupApp.
    const backup = h.sim.requests.find((r) => r.action === 'BackupApp');
    expect(Object.values(backup?.params ?? {})).not.toContain('acp-doesnotexist01');
  });

  it('ends a cloud error in a threaded reply with the code, message and RequestId', async () => {
    h = await startHarness();
    h.sim.setFaults({ serverError: { actions: ['DescribeAndroidInstances'], rate: 1 } });
    await backupViaModal(h, [h.instance('support-02')], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    const failed = h.sim.requests.filter((r) => r.action === 'DescribeAndroidInstances').at(-1);
    expect(textOf(reply)).toMatch(/InternalError|ServiceUnavailable/);
    expect(textOf(reply)).toContain(failed!.requestId);
    expect(actions(h)).not.toContain('BackupApp');
  });

  it('denies a person who is not an admin, and nothing reaches the cloud', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    const inline = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${id} --apps com.tencent.mm --path oss://cloudphone-saved-bucket-e2e/x/`,
      userId: 'U0BOB',
      channelId: CHANNEL,
    });
    expect(inline.status).toBe(200);
    expect(JSON.stringify(inline.body)).toMatch(/admin/i);
    const modal = await h.driver.slashCommand({
      command: '/cloudphone',
      text: 'backup',
      userId: 'U0BOB',
      channelId: CHANNEL,
    });
    expect(JSON.stringify(modal.body)).toMatch(/admin/i);
    expect(h.slack.openViews('U0BOB')).toHaveLength(0);
    expect(h.sim.requests).toHaveLength(0);
    const audit = h.bot.services.audit.recent({ userId: 'U0BOB' });
    expect(audit.map((entry) => entry.decision)).toEqual(['denied', 'denied']);
  });

  it('starts one backup when the same modal is submitted twice', async () => {
    h = await startHarness();
    const view = await openBackupModal(h, [h.instance('support-02')]);
    const values = backupFormValues(['com.tencent.mm']);
    const [first, second] = await Promise.all([
      h.driver.submitView({ viewId: view.id, values }),
      h.driver.submitView({ viewId: view.id, values }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await threadedReply(h);
    expect(actions(h).filter((a) => a === 'BackupApp')).toHaveLength(1);
    expect(parents(h.slack)).toHaveLength(1);
  });

  it('shows field errors under the fields that are wrong and starts nothing', async () => {
    h = await startHarness();
    const view = await openBackupModal(h, ['acp_BAD']);
    const submitted = await h.driver.submitView({
      viewId: view.id,
      values: { [BLOCK.apps]: { [ACTION.apps]: 'not a package' }, [BLOCK.path]: { [ACTION.path]: 's3://wrong/' } },
    });
    expect(submitted.outcome.kind).toBe('errors');
    const errors = (submitted.body as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual([BLOCK.apps, BLOCK.instances, BLOCK.path].sort());
    expect(errors[BLOCK.instances]).toContain('acp_BAD');
    // Nothing started: no cloud call but the fleet listing the open form warms for its instance picker.
    expect(actions(h).filter((a) => a !== 'DescribeAndroidInstances')).toEqual([]);
    expect(parents(h.slack)).toHaveLength(0);
  });

  it('after a restart between BackupApp and completion, the reply still arrives exactly once', async () => {
    h = await startHarness({ simulator: { timing: { backupMs: 1500 } } });
    await backupViaModal(h, [h.instance('support-02')], ['com.tencent.mm']);
    await waitUntil(() => (actions(h!).includes('BackupApp') ? true : undefined), {
      timeoutMs: 10_000,
      description: 'BackupApp sent',
    });
    await h.restart();
    await threadedReply(h);
    // Give a second engine the chance to post twice, if it were going to: a full tick after the reply.
    await afterEngineTicks(h, 2);
    const parent = parents(h.slack)[0]!;
    expect(h.slack.threadReplies(CHANNEL, parent.ts)).toHaveLength(1);
    expect(actions(h).filter((a) => a === 'BackupApp')).toHaveLength(1);
  });

  it('a crash after posting the reply but before recording it does not post it twice', async () => {
    h = await startHarness();
    await backupViaModal(h, [h.instance('support-02')], ['com.tencent.mm']);
    await threadedReply(h);
    await h.bot.stop();
    // Rewind the database to the instant between chat.postMessage and recording it, as a SIGKILL there would leave it.
    const db = new Database(h.dbPath);
    db.prepare(`UPDATE outbox SET status = 'pending', posted_ts = NULL, sent_at = NULL`).run();
    db.prepare(`UPDATE requests SET step = 'report', next_run_at = 0`).run();
    db.close();
    const searched = h.slack.callsTo('conversations.replies').length;
    await h.restart();
    // The bot looks in the thread for the reply it may have posted, then has a whole round to post again if it would.
    await waitUntil(() => h!.slack.callsTo('conversations.replies').length > searched, {
      timeoutMs: 10_000,
      description: 'the bot looking for its reply in the thread',
    });
    await afterEngineTicks(h, 2);
    const parent = parents(h.slack)[0]!;
    expect(h.slack.threadReplies(CHANNEL, parent.ts)).toHaveLength(1);
  });

  it('a crash after posting the parent message but before recording it does not post it twice', async () => {
    h = await startHarness({ simulator: { timing: { backupMs: 1500 } } });
    await backupViaModal(h, [h.instance('support-02')], ['com.tencent.mm']);
    await threadedReply(h);
    await h.bot.stop();
    rewindToUnrecordedParent(h);
    const before = parents(h.slack).length;
    await h.restart();
    await updatedAfterRestart(h, CHANNEL, parents(h.slack)[0]!.ts);
    expect(before).toBe(1);
    expect(parents(h.slack)).toHaveLength(1);
  });

  it('a crash after posting the parent to the DM (channel unusable) but before recording it does not post it twice', async () => {
    h = await startHarness({ simulator: { timing: { backupMs: 1500 } } });
    const view = await openBackupModal(h, [h.instance('support-02')], 'C0RANDOM');
    await h.driver.submitView({ viewId: view.id, values: backupFormValues(['com.tencent.mm']) });
    await threadedReply(h, 'D0ALICE');
    await h.bot.stop();
    rewindToUnrecordedParent(h);
    const dmBefore = parents(h.slack, 'D0ALICE');
    expect(dmBefore).toHaveLength(2); // the "invite me" hint and the parent
    await h.restart();
    await updatedAfterRestart(h, 'D0ALICE', dmBefore[1]!.ts);
    expect(parents(h.slack, 'D0ALICE')).toHaveLength(2);
    expect(h.slack.messages('C0RANDOM')).toHaveLength(0);
  });

  it('runs the inline form without a modal', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    const res = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${id} --apps com.tencent.mm --path oss://cloudphone-saved-bucket-e2e/inline/ --name nightly`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    expect(JSON.stringify(res.body)).toMatch(/req-/);
    const reply = await threadedReply(h);
    expect(textOf(reply)).toContain('bf-');
    const backup = h.sim.requests.find((r) => r.action === 'BackupApp');
    expect(backup?.params.BackupFileName).toBe('nightly');
    expect(backup?.params.BackupFilePath).toBe('oss://cloudphone-saved-bucket-e2e/inline/');
  });

  it('an inline backup without --path goes to CLOUDPHONE_DEFAULT_BACKUP_PATH, as the form does', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    const res = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${id} --apps com.tencent.mm`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    expect(JSON.stringify(res.body)).toMatch(/req-/);
    await threadedReply(h);
    const backup = h.sim.requests.find((r) => r.action === 'BackupApp');
    expect(backup?.params.BackupFilePath).toBe(BACKUP_PATH);
  });

  it('tells the person how to fix a channel the bot is not in, and still reports to them directly', async () => {
    h = await startHarness();
    const view = await openBackupModal(h, [h.instance('support-02')], 'C0RANDOM');
    await h.driver.submitView({ viewId: view.id, values: backupFormValues(['com.tencent.mm']) });
    const reply = await threadedReply(h, 'D0ALICE');
    expect(textOf(reply)).toContain('bf-');
    const dm = h.slack.messages('D0ALICE', { topLevelOnly: true });
    expect(textOf(dm[0]!)).toMatch(/invite/i);
    expect(h.slack.messages('C0RANDOM')).toHaveLength(0);
  });

  it('answers help and unknown input with usage, ephemerally', async () => {
    h = await startHarness();
    const help = await h.driver.slashCommand({
      command: '/cloudphone',
      text: 'help',
      userId: 'U0CAROL',
      channelId: 'C0GENERAL',
    });
    expect((help.body as { response_type: string }).response_type).toBe('ephemeral');
    expect(JSON.stringify(help.body)).toContain('backup');
    const unknown = await h.driver.slashCommand({
      command: '/cloudphone',
      text: 'frobnicate',
      userId: 'U0CAROL',
      channelId: 'C0GENERAL',
    });
    expect(JSON.stringify(unknown.body)).toContain('frobnicate');
    // The word people type for the catalog is pointed at the command that shows it.
    const list = await h.driver.slashCommand({
      command: '/cloudphone',
      text: 'list',
      userId: 'U0CAROL',
      channelId: 'C0GENERAL',
    });
    expect((list.body as { response_type: string }).response_type).toBe('ephemeral');
    expect(JSON.stringify(list.body)).toContain('Did you mean `backups` (the backup catalog)?');
    expect(h.sim.requests).toHaveLength(0);
  });
});

describe('the next step after a backup', () => {
  /** The restore form the person has open, once it is there. */
  const restoreForm = (harness: Harness, user = ADMIN) =>
    waitUntil(
      () => {
        const top = harness.slack.openViews(user).at(-1);
        return top?.callback_id === CALLBACK.restoreForm ? top : undefined;
      },
      { timeoutMs: 10_000, description: `the restore form for ${user}` },
    );

  it('offers "Restore from this backup…" on the reply, which opens the restore form with it chosen', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    await backupViaModal(h, [id], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    const file = [...h.sim.state.backupFiles.values()].find((f) => f.instanceId === id)!;
    expect(textOf(reply)).toContain('Restore from this backup…');

    // Someone who may not restore is refused privately, and no form opens.
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.restoreFromBackup,
      userId: 'U0BOB',
    });
    const refusal = await waitUntil(() => h!.slack.ephemerals('U0BOB').at(-1), {
      timeoutMs: 5_000,
      description: 'the refusal',
    });
    expect(refusal.text).toMatch(/restore/i);
    expect(h.slack.openViews('U0BOB')).toEqual([]);

    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.restoreFromBackup,
      userId: ADMIN,
    });
    const form = await restoreForm(h);
    expect(JSON.stringify(form.blocks)).toMatch(new RegExp(`"initial_option":\\{"text":\\{[^}]*${file.id}`));
  });

  it('offers a menu of the backups when one request made several, each opening the form with that one', async () => {
    h = await startHarness();
    const [a, b] = [h.instance('support-02'), h.instance('qa-01')];
    await backupViaModal(h, [a, b], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    const fileOf = (instanceId: string) =>
      [...h!.sim.state.backupFiles.values()].find((f) => f.instanceId === instanceId)!;
    const text = textOf(reply);
    expect(text).toContain('Restore from one of these backups…');
    expect(text).toContain(`restore:${fileOf(a).id}`);
    expect(text).toContain(`restore:${fileOf(b).id}`);
    await h.driver.selectOption({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.restoreFromBackup,
      value: `restore:${fileOf(b).id}`,
      userId: ADMIN,
    });
    const form = await restoreForm(h);
    expect(JSON.stringify(form.blocks)).toMatch(new RegExp(`"initial_option":\\{"text":\\{[^}]*${fileOf(b).id}`));
  });
});

describe('Cancel on a running backup', () => {
  it('skips what was not yet sent, says so to the person and in the channel, and never sends BackupApp', async () => {
    h = await startHarness();
    const [held, stopped] = [h.instance('support-01'), h.instance('support-02')];
    // support-01 stays STOPPING, so the request waits for it before sending anything.
    h.sim.setInstanceStatus(held, 'STOPPING');
    const res = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${held} ${stopped} --apps com.tencent.mm --path ${BACKUP_PATH}`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    const requestId = /req-[0-9a-f]+/.exec(JSON.stringify(res.body))![0];
    await waitUntil(() => h!.bot.repos.backups.get(requestId)?.step === 'stop' || undefined, {
      timeoutMs: 10_000,
      description: 'the request waiting for the instance to stop',
    });
    const parent = await waitUntil(
      () => parents(h!.slack).find((p) => JSON.stringify(p.blocks).includes(ACTION.cancelRequest)),
      { timeoutMs: 10_000, description: 'the channel message with its Cancel button' },
    );

    // Someone who may not back up these instances cannot cancel; nothing changes.
    const refusal = await pressCancel(h, parent.ts, 'U0BOB');
    expect(refusal.text).toContain("You can't do that here");
    expect(h.bot.repos.backups.get(requestId)?.cancelled).toBeUndefined();

    const answer = await pressCancel(h, parent.ts, ADMIN);
    expect(answer.text).toContain('2 instances not yet sent will be skipped. Nothing had reached the cloud yet.');

    const reply = await threadedReply(h);
    const text = textOf(reply);
    for (const id of [held, stopped]) {
      const line = text.split('\\n').find((l) => l.includes(id));
      expect(line).toContain('skipped: `Cancelled` (the bot’s code)');
    }
    expect(actions(h)).not.toContain('BackupApp');
    // Cancelled, not failed: nothing went wrong, someone stopped it.
    expect(h.bot.repos.backups.get(requestId)?.status).toBe('cancelled');
    expect(text).toContain('was cancelled before any of the 2 instances was backed up');
    // The channel message says who cancelled, and offers no Cancel any more.
    const final = textOf(h.slack.message(CHANNEL, parent.ts)!);
    expect(final).toContain(`Cancelled by <@${ADMIN}>`);
    expect(final).not.toContain(ACTION.cancelRequest);
  });
});

describe('Retry failed on a backup reply', () => {
  it('confirms which instances, then starts a new request for only those, linked from the first thread', async () => {
    h = await startHarness();
    const [good, noApp] = [h.instance('support-02'), h.instance('support-04')];
    await backupViaModal(h, [good, noApp], ['com.tencent.mm']);
    const reply = await threadedReply(h);
    const first = parents(h.slack).at(-1)!;
    expect(textOf(reply)).toContain('Retry the failed instance…');

    // Someone who may not back up the failed instance is refused privately; no confirmation opens.
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.retryFailed,
      userId: 'U0BOB',
    });
    const refusal = await waitUntil(() => h!.slack.ephemerals('U0BOB').at(-1), {
      timeoutMs: 5_000,
      description: 'the refusal',
    });
    expect(refusal.text).toContain("You can't do that here");
    expect(h.slack.openViews('U0BOB')).toEqual([]);

    await h.driver.clickButton({ channel: CHANNEL, messageTs: reply.ts, actionId: ACTION.retryFailed, userId: ADMIN });
    const confirm = await waitUntil(
      () => h!.slack.openViews(ADMIN).find((v) => v.callback_id === CALLBACK.backupRetry),
      { timeoutMs: 5_000, description: 'the retry confirmation' },
    );
    const listed = JSON.stringify(confirm.blocks);
    expect(listed).toContain(noApp);
    expect(listed).not.toContain(good);
    await h.driver.submitView({ viewId: confirm.id, userId: ADMIN });

    // A new request for the failed instance only, with its own channel message, linked from the first thread.
    const link = await waitUntil(
      () => h!.slack.threadReplies(CHANNEL, first.ts).find((m) => (m.text ?? '').includes('is retrying')),
      { timeoutMs: 10_000, description: 'the link in the first thread' },
    );
    const retryId = /req-[0-9a-f]+/.exec(link.text ?? '')![0];
    expect(link.text).toContain(`<@${ADMIN}> is retrying 1 failed instance`);
    expect(h.bot.repos.backups.get(retryId)?.spec.instanceIds).toEqual([noApp]);
    await waitUntil(() => parents(h!.slack).find((p) => JSON.stringify(p.blocks).includes(retryId)), {
      timeoutMs: 10_000,
      description: 'the retry request’s own channel message',
    });
  });
});
