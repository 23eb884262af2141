/**
 * Two-person approval through the real bot: a restore a policy rule holds waits (nothing reaches the cloud) until an
 * approver clicks Approve in the approvals channel; Deny asks why and ends it; expiry ends it; the requester can never
 * approve their own; an approver is checked when they click (a person removed from the approvers' user group, or
 * listed without a role of their own, is refused).
 */
import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, CHOICE } from '../../src/blocks/ids.js';
import { answerTo, clickOnAsk, closedAsk as closedAskIn } from '../support/approval-flows.js';
import { pressCancel } from '../support/cancel-flows.js';
import { ADMIN, afterEngineTicks, BACKUP_PATH, CHANNEL, type Harness } from '../support/harness.js';
import { usePolicyBot } from '../support/policy-bot.js';
import {
  botBackup,
  command,
  confirmRestore,
  recoverCalls,
  restoreReply,
  shown,
  topView,
} from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

const BOB = 'U0BOB';
const CAROL = 'U0CAROL';
const APPROVALS_CHANNEL = 'C0GENERAL';
const NOT_A_LEAD = 'U0DAVE';

/** Tests move the bot's clock ahead (expiry) instead of sleeping. */
const bot = usePolicyBot();

/** Alice (admin) restores; Bob (by id) and the @ops group (Carol) approve, in #general; one approval, 30 minutes. */
function start(options: { approvers?: string; channel?: string | undefined } = {}): Promise<Harness> {
  return bot.start(
    [
      'roles:',
      '  - name: leads',
      `    members: [${BOB}, S0OPS]`,
      '    actions: [restore, delete, status, list]',
      '    instances: ["acp-*"]',
      `    locations: ["${BACKUP_PATH}"]`,
      'approvals:',
      '  - name: phone-restores',
      '    actions: [restore, delete]',
      '    instances: ["acp-*"]',
      `    approvers: ${options.approvers ?? `[${BOB}, S0OPS, ${NOT_A_LEAD}]`}`,
      '    expires: 30m',
      ...('channel' in options && options.channel === undefined
        ? []
        : [`    channel: ${options.channel ?? APPROVALS_CHANNEL}`]),
    ],
    {
      env: { CLOUDPHONE_USERGROUP_CACHE_MS: '0' },
      slack: {
        users: [
          { id: ADMIN, name: 'alice', realName: 'Alice Admin', isAdmin: true },
          { id: BOB, name: 'bob', realName: 'Bob Lead' },
          { id: CAROL, name: 'carol', realName: 'Carol Lead' },
          { id: NOT_A_LEAD, name: 'dave', realName: 'Dave Nobody' },
        ],
        channels: [
          { id: APPROVALS_CHANNEL, name: 'general', members: [ADMIN, BOB, CAROL, NOT_A_LEAD] },
          { id: CHANNEL, name: 'backups', members: [ADMIN, BOB] },
        ],
        dms: [
          { id: 'D0ALICE', user: ADMIN },
          { id: 'D0BOB', user: BOB },
        ],
        userGroups: [{ id: 'S0OPS', handle: 'ops', name: 'Operations', members: [ADMIN, CAROL] }],
      },
    },
  );
}

/** The message that asks the approvers, once the bot posted it in `channel`. */
async function askIn(harness: Harness, channel = APPROVALS_CHANNEL) {
  return waitUntil(
    () => harness.slack.messages(channel, { topLevelOnly: true }).find((m) => m.text.startsWith('Approval needed')),
    { timeoutMs: 15_000, description: `the approval request in ${channel}` },
  );
}

/** The restore's parent message in the request channel and its thread replies. */
function restoreThread(harness: Harness) {
  const parent = harness.slack
    .messages(CHANNEL, { topLevelOnly: true })
    .find((m) => m.text.includes('asked to restore'));
  return { parent, replies: parent ? harness.slack.threadReplies(CHANNEL, parent.ts) : [] };
}

const click = (harness: Harness, ask: { ts: string }, actionId: string, userId: string, channel = APPROVALS_CHANNEL) =>
  clickOnAsk(harness, ask, actionId, userId, channel);

const closedAsk = (harness: Harness, ask: { ts: string }, word: string) =>
  closedAskIn(harness, ask, word, APPROVALS_CHANNEL);

describe('two-person approval of a restore', () => {
  it('waits with nothing sent to the cloud until an approver approves, then restores; the thread and audit show it', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    expect(shown(ask.blocks)).toContain(harness.instance('support-01'));
    expect(shown(ask.blocks)).toMatch(/bf-/);
    // The requester is told it waits; the cloud hears nothing that changes an instance.
    await waitUntil(() => restoreThread(harness).replies.find((r) => r.text.includes('waits for approval')), {
      timeoutMs: 10_000,
      description: 'the waiting note in the thread',
    });
    await waitUntil(() => shown(restoreThread(harness).parent?.blocks).includes('Waiting for approval'), {
      timeoutMs: 10_000,
      description: 'the parent message saying it waits for approval',
    });
    await afterEngineTicks(harness, 3);
    expect(recoverCalls(harness)).toHaveLength(0);

    await click(harness, ask, ACTION.approvalApprove, BOB);
    await answerTo(harness, BOB, /approval of .* is recorded/);
    const { reply } = await restoreReply(harness);
    expect(shown(reply.blocks)).toContain('finished');
    expect(recoverCalls(harness)).toHaveLength(1);
    expect(restoreThread(harness).replies.some((r) => r.text.includes(`Approved by <@${BOB}>`))).toBe(true);
    // The approvers' message no longer offers the buttons.
    await closedAsk(harness, ask, 'Approved');
    const entries = harness.bot.services.audit.recent({});
    expect(entries.find((e) => e.userId === BOB && e.decision === 'allowed')?.outcome).toMatchObject({
      status: 'approved',
      requester: ADMIN,
    });
  });

  it('a denial asks for a reason, ends the restore without a cloud call, and shows who and why', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    await click(harness, ask, ACTION.approvalDeny, CAROL);
    const modal = await topView(harness, CALLBACK.approvalDenyReason, CAROL);
    // No reason: the form says so and stays open.
    const empty = await harness.driver.submitView({
      viewId: modal.id,
      userId: CAROL,
      values: { [BLOCK.approvalReason]: { [ACTION.approvalReason]: '  ' } },
    });
    expect(shown(empty.body)).toContain('Say why');
    await harness.driver.submitView({
      viewId: modal.id,
      userId: CAROL,
      values: { [BLOCK.approvalReason]: { [ACTION.approvalReason]: 'prod freeze until Monday' } },
    });
    const { reply } = await restoreReply(harness);
    expect(shown(reply.blocks)).toContain('denied by an approver');
    expect(shown(reply.blocks)).toContain('prod freeze until Monday');
    // The reason is shown as the approver typed it, never as markup.
    expect(shown(reply.blocks)).not.toContain('&lt;@');
    expect(restoreThread(harness).replies.some((r) => r.text.includes(`Denied by <@${CAROL}>: prod freeze`))).toBe(
      true,
    );
    expect(recoverCalls(harness)).toHaveLength(0);
    expect(harness.sim.requests.some((r) => r.action === 'StartAndroidInstance')).toBe(false);
    const denial = harness.bot.services.audit.recent({}).find((e) => e.userId === CAROL && e.decision === 'allowed');
    expect(denial?.outcome).toMatchObject({ status: 'denied', reason: 'prod freeze until Monday' });
    // The approvers' message says so, and a late approval cannot be given (no buttons, and the service refuses).
    await closedAsk(harness, ask, 'Denied');
    await lateApprovalRefused(harness);
  });

  it('expires: the requester is told, nothing is changed, and the approvers can no longer decide', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    bot.advance(31 * 60_000);
    const { reply } = await restoreReply(harness);
    expect(shown(reply.blocks)).toContain('not approved in time');
    expect(shown(reply.blocks)).toContain(`<@${ADMIN}>`);
    // The approvers' message says so, and offers no buttons any more.
    await closedAsk(harness, ask, 'Expired');
    expect(harness.bot.services.approvals.get(restoreIdOfThread(harness))?.state).toBe('expired');
    await afterEngineTicks(harness, 2);
    expect(recoverCalls(harness)).toHaveLength(0);
  });

  it('Cancel while it waits: the approvers are told it no longer needs them, and nothing reaches the cloud', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    const note = await waitUntil(
      () => restoreThread(harness).replies.find((r) => r.text.includes('waits for approval')),
      { timeoutMs: 10_000, description: 'the waiting note in the thread' },
    );
    expect(shown(note.blocks)).toContain(ACTION.cancelRequest);
    expect((await pressCancel(harness, note.ts, ADMIN)).text).toContain('Cancelled while it waited for approval');
    const { reply } = await restoreReply(harness);
    expect(shown(reply.blocks)).toContain('cancelled before anything was restored');
    await closedAsk(harness, ask, 'Cancelled');
    expect(harness.bot.services.approvals.get(restoreIdOfThread(harness))?.state).toBe('cancelled');
    await lateApprovalRefused(harness);
  });

  it('refuses the requester approving their own request, even as a listed approver and an admin', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    // Alice is in @ops, which approves; she asked for it.
    await click(harness, ask, ACTION.approvalApprove, ADMIN);
    await answerTo(harness, ADMIN, /asked for this yourself/);
    await afterEngineTicks(harness, 3);
    expect(recoverCalls(harness)).toHaveLength(0);
    expect(harness.bot.services.approvals.get(restoreIdOfThread(harness))?.decisions).toEqual([]);
    expect(harness.bot.services.audit.recent({}).find((e) => e.userId === ADMIN && e.decision === 'denied')?.rule).toBe(
      'approval:phone-restores',
    );
  });

  it('checks approvers when they click: out of the group, or without a role of their own, they are refused', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    // Carol was in @ops when the request was made; she is not any more.
    harness.slack.setUserGroupMembers('S0OPS', [ADMIN]);
    await click(harness, ask, ACTION.approvalApprove, CAROL);
    await answerTo(harness, CAROL, /not among the approvers/);
    // Dave is listed as an approver but no role lets him restore.
    await click(harness, ask, ACTION.approvalApprove, NOT_A_LEAD);
    await answerTo(harness, NOT_A_LEAD, /can't approve this/);
    await afterEngineTicks(harness, 3);
    expect(recoverCalls(harness)).toHaveLength(0);
    expect(harness.bot.services.approvals.get(restoreIdOfThread(harness))?.state).toBe('waiting');
    // Bob still can.
    await click(harness, ask, ACTION.approvalApprove, BOB);
    await restoreReply(harness);
    expect(recoverCalls(harness)).toHaveLength(1);
  });

  it('without a channel, asks each approver listed by id in a direct message', async () => {
    const harness = await start({ approvers: `[${BOB}]`, channel: undefined });
    await confirmRestore(harness);
    const ask = await askIn(harness, 'D0BOB');
    expect(ask.text).toContain('Approval needed');
    await click(harness, ask, ACTION.approvalApprove, BOB, 'D0BOB');
    await restoreReply(harness);
    expect(recoverCalls(harness)).toHaveLength(1);
  });
});

describe('two-person approval of a deletion', () => {
  /** `/cloudphone delete bf-…` confirmed twice (never verified); resolves once the modal closed. */
  async function confirmDelete(harness: Harness): Promise<string> {
    const bf = await botBackup(harness, 'support-02', ['com.tencent.mm']);
    await command(harness, `delete ${bf}`);
    const first = await topView(harness, CALLBACK.deleteConfirm);
    await harness.driver.submitView({ viewId: first.id });
    const second = await topView(harness, CALLBACK.deleteConfirmUnverified);
    const done = await harness.driver.submitView({
      viewId: second.id,
      values: { [BLOCK.deleteAcknowledge]: { [ACTION.deleteAcknowledge]: [CHOICE.understood] } },
    });
    expect(done.rawBody).toContain('"response_action":"clear"');
    return bf;
  }

  const deleteCalls = (harness: Harness) => harness.sim.requests.filter((r) => r.action === 'DeleteBackupFile');

  it('sends DeleteBackupFile only after the approval, and tells the requester it waits', async () => {
    const harness = await start();
    const bf = await confirmDelete(harness);
    const ask = await askIn(harness);
    expect(shown(ask.blocks)).toContain(bf);
    expect(shown(ask.blocks)).toContain(harness.instance('support-02'));
    await waitUntil(
      () => harness.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => m.text.includes('waits for approval')),
      { timeoutMs: 10_000, description: 'the waiting message in the channel' },
    );
    await afterEngineTicks(harness, 3);
    expect(deleteCalls(harness)).toHaveLength(0);
    await click(harness, ask, ACTION.approvalApprove, BOB);
    await waitUntil(
      () => harness.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => m.text.includes('deleted 1 backup')),
      { timeoutMs: 10_000, description: 'the deletion message' },
    );
    expect(deleteCalls(harness)).toHaveLength(1);
  });

  it('a deletion cancelled while it waits deletes nothing, and the approvers are told', async () => {
    const harness = await start();
    const bf = await confirmDelete(harness);
    const ask = await askIn(harness);
    const waiting = await waitUntil(
      () => harness.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => m.text.includes('waits for approval')),
      { timeoutMs: 10_000, description: 'the waiting message in the channel' },
    );
    expect((await pressCancel(harness, waiting.ts, ADMIN)).text).toContain('Cancelled while it waited for approval');
    const result = await waitUntil(
      () => harness.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => m.text.includes('Nothing was deleted')),
      { timeoutMs: 10_000, description: 'the cancelled deletion message' },
    );
    expect(result.text).toContain('🛑');
    await closedAsk(harness, ask, 'Cancelled');
    expect(deleteCalls(harness)).toHaveLength(0);
    expect(harness.sim.state.backupFiles.get(bf)?.status).toBe('AVAILABLE');
  });

  it('a denied deletion deletes nothing and says who denied it and why', async () => {
    const harness = await start();
    const bf = await confirmDelete(harness);
    const ask = await askIn(harness);
    await click(harness, ask, ACTION.approvalDeny, BOB);
    const modal = await topView(harness, CALLBACK.approvalDenyReason, BOB);
    await harness.driver.submitView({
      viewId: modal.id,
      userId: BOB,
      values: { [BLOCK.approvalReason]: { [ACTION.approvalReason]: 'we still need it for the audit' } },
    });
    const result = await waitUntil(
      () => harness.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => m.text.includes('Nothing was deleted')),
      { timeoutMs: 10_000, description: 'the denied deletion message' },
    );
    expect(result.text).toContain('we still need it for the audit');
    expect(deleteCalls(harness)).toHaveLength(0);
    expect(harness.sim.state.backupFiles.get(bf)?.status).toBe('AVAILABLE');
  });
});

describe('two-person approval survives restarts', () => {
  it('a restart while the restore waits loses nothing: no second ask, the approval after it restores once', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    const id = restoreIdOfThread(harness);
    await harness.restart();
    await afterEngineTicks(harness, 3);
    expect(harness.bot.services.approvals.get(id)?.state).toBe('waiting');
    expect(recoverCalls(harness)).toHaveLength(0);
    await click(harness, ask, ACTION.approvalApprove, BOB);
    await restoreReply(harness);
    await afterEngineTicks(harness, 2);
    const asks = harness.slack
      .messages(APPROVALS_CHANNEL, { topLevelOnly: true })
      .filter((m) => m.text.startsWith('Approval needed'));
    expect(asks).toHaveLength(1);
    const notes = restoreThread(harness).replies.map((r) => r.text);
    expect(notes.filter((t) => t.includes('waits for approval'))).toHaveLength(1);
    expect(notes.filter((t) => t.includes('Approved by'))).toHaveLength(1);
    expect(recoverCalls(harness)).toHaveLength(1);
  });

  it('a restart between the last approval and the cloud call acts once, and does not ask again', async () => {
    const harness = await start();
    await confirmRestore(harness);
    const ask = await askIn(harness);
    const id = restoreIdOfThread(harness);
    // The cloud does not answer the restore's last look at its targets: the approved restore stops short of RecoverApp.
    harness.sim.setFaults({ serverError: { actions: ['DescribeAndroidInstances'] } });
    await click(harness, ask, ACTION.approvalApprove, BOB);
    await waitUntil(() => harness.bot.repos.requests.header(id)?.step === 'submit', {
      timeoutMs: 10_000,
      description: 'the approved restore at its submit step',
    });
    expect(harness.bot.services.approvals.get(id)?.state).toBe('approved');
    await harness.restart();
    harness.sim.setFaults({});
    const { reply } = await restoreReply(harness);
    expect(shown(reply.blocks)).toContain('finished');
    await afterEngineTicks(harness, 2);
    expect(recoverCalls(harness)).toHaveLength(1);
    const replies = restoreThread(harness).replies.map((r) => r.text);
    expect(replies.filter((t) => t.includes('Approved by'))).toHaveLength(1);
    expect(
      harness.slack.messages(APPROVALS_CHANNEL, { topLevelOnly: true }).filter((m) => m.text.startsWith('Approval')),
    ).toHaveLength(1);
  });
});

/** An approval given after the restore ended is refused, and still nothing reaches the cloud. */
async function lateApprovalRefused(harness: Harness): Promise<void> {
  const late = await harness.bot.services.approvals.decide({
    requestId: restoreIdOfThread(harness),
    approver: { userId: BOB, teamId: 'T0SANDBOX' },
    channelId: APPROVALS_CHANNEL,
    decision: 'approve',
  });
  expect(late).toMatchObject({ ok: false, reason: 'ended' });
  await afterEngineTicks(harness, 2);
  expect(recoverCalls(harness)).toHaveLength(0);
}

function restoreIdOfThread(harness: Harness): string {
  const id = /req-[\w-]+/.exec(shown(restoreThread(harness).parent?.blocks))?.[0];
  if (!id) throw new Error('no restore parent message');
  return id;
}
