/**
 * Two-person approval of schedules with retention (issue 17), through the real bot, the Slack stand-in and the
 * simulator's fleet: a schedule that prunes prod phones is saved but takes no runs until someone else approves it
 * (then it is active and runs); a denial or the expiry leaves it inactive and tells the owner; the owner can never
 * approve their own; a change while one waits supersedes it; without retention or off the rule nothing waits.
 */
import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK } from '../../src/blocks/ids.js';
import { answerTo, clickOnAsk, closedAsk as closedAskIn } from '../support/approval-flows.js';
import { ADMIN, afterEngineTicks, BACKUP_PATH, CHANNEL, type Harness } from '../support/harness.js';
import { usePolicyBot } from '../support/policy-bot.js';
import { command, shown, topView } from '../support/restore-flows.js';
import { cloudphone, runsOf } from '../support/schedule-flows.js';
import { waitUntil } from '../support/wait-until.js';

const BOB = 'U0BOB';
const CAROL = 'U0CAROL';
/** Listed as an approver, but no role lets him delete backups himself. */
const DAVE = 'U0DAVE';
const APPROVALS_CHANNEL = 'C0GENERAL';
const FLEET = [
  { id: 'acp-qa1', name: 'qa-1', status: 'RUNNING' as const, groupId: 'ag-qa' },
  { id: 'acp-prod1', name: 'prod-1', status: 'RUNNING' as const, groupId: 'ag-prod' },
];
const PROD_KEEP_3 = `schedule add prod-nightly --targets acp-prod1 --apps com.example.app --path ${BACKUP_PATH} --cron "0 3 * * *" --tz UTC --keep 3`;

/** Tests move the bot's clock ahead (expiry and the next slot) instead of sleeping. */
const bot = usePolicyBot();

/** Bob and Carol may back up and delete every phone; Dave only back up. Schedules on ag-prod need one approval. */
function start(): Promise<Harness> {
  return bot.start(
    [
      'roles:',
      '  - name: phones',
      `    members: [${BOB}, ${CAROL}]`,
      '    actions: [backup, delete, list]',
      '    instances: ["acp-*"]',
      `    locations: ["${BACKUP_PATH}"]`,
      '  - name: backups-only',
      `    members: [${DAVE}]`,
      '    actions: [backup, list]',
      '    instances: ["acp-*"]',
      `    locations: ["${BACKUP_PATH}"]`,
      'approvals:',
      '  - name: prod-schedules',
      '    actions: [schedule]',
      '    instances: ["ag-prod"]',
      `    approvers: [${BOB}, ${CAROL}, ${DAVE}]`,
      '    expires: 30m',
      `    channel: ${APPROVALS_CHANNEL}`,
    ],
    {
      simulator: { fleet: FLEET },
      slack: {
        users: [
          { id: ADMIN, name: 'alice', realName: 'Alice Admin', isAdmin: true },
          { id: BOB, name: 'bob', realName: 'Bob Owner' },
          { id: CAROL, name: 'carol', realName: 'Carol Lead' },
          { id: DAVE, name: 'dave', realName: 'Dave Backups' },
        ],
        channels: [
          { id: APPROVALS_CHANNEL, name: 'general', members: [ADMIN, BOB, CAROL, DAVE] },
          { id: CHANNEL, name: 'backups', members: [ADMIN, BOB, CAROL] },
        ],
      },
    },
  );
}

const scheduleNamed = (harness: Harness, name: string) =>
  harness.bot.repos.schedules.byName(harness.slack.team.id, name);

/** The newest message asking the approvers about this schedule. */
async function askFor(harness: Harness, name: string, after = 0) {
  return waitUntil(
    () =>
      harness.slack
        .messages(APPROVALS_CHANNEL, { topLevelOnly: true })
        .filter((m) => m.text.startsWith(`Approval needed: schedule ${name}`))
        .at(after),
    { timeoutMs: 15_000, description: `approval request ${after + 1} for schedule ${name}` },
  );
}

const click = (harness: Harness, ask: { ts: string }, actionId: string, userId: string) =>
  clickOnAsk(harness, ask, actionId, userId, APPROVALS_CHANNEL);

/** The result of the schedule's approval, in the thread of the waiting note in the channel it was saved from. */
async function resultReply(harness: Harness, containing: string) {
  return waitUntil(
    () => {
      const note = harness.slack
        .messages(CHANNEL, { topLevelOnly: true })
        .find((m) => m.text.includes('this schedule') && m.text.includes('waits for approval'));
      return note && harness.slack.threadReplies(CHANNEL, note.ts).find((r) => r.text.includes(containing));
    },
    { timeoutMs: 15_000, description: `the approval result "${containing}" in the waiting note's thread` },
  );
}

const closedAsk = (harness: Harness, ask: { ts: string }, word: string) =>
  closedAskIn(harness, ask, word, APPROVALS_CHANNEL);

/** Bob saves the prod schedule with retention; it is held. */
async function saveHeld(harness: Harness) {
  expect(await cloudphone(harness, PROD_KEEP_3, BOB)).toContain('takes no runs until someone approves it');
  const schedule = scheduleNamed(harness, 'prod-nightly');
  expect(schedule).toMatchObject({ state: 'awaiting-approval', nextSlotAt: undefined, ownerId: BOB });
  return schedule!;
}

const createEntry = (harness: Harness) =>
  harness.bot.services.audit.recent({}).find((e) => e.action === 'schedule-create' && e.userId === BOB);

describe('two-person approval of a schedule with retention', () => {
  it('is saved but takes no runs until another person approves; then it is active and runs', async () => {
    const harness = await start();
    const schedule = await saveHeld(harness);
    const ask = await askFor(harness, 'prod-nightly');
    const asked = shown(ask.blocks);
    // Name, targets, apps, cadence in words and the retention rule.
    for (const part of ['prod-nightly', 'acp-prod1', 'com.example.app', 'At 03:00', 'the newest 3', 'unattended']) {
      expect(asked).toContain(part);
    }
    expect(asked).toContain(`<@${BOB}>`);
    // Shown as waiting; neither the cadence, `schedule run` nor `schedule resume` runs it.
    expect(await cloudphone(harness, 'schedule list', BOB)).toContain('waiting for approval');
    expect(await cloudphone(harness, 'schedule show prod-nightly', BOB)).toContain('awaiting-approval');
    expect(await cloudphone(harness, 'schedule run prod-nightly', BOB)).toContain('does not run');
    expect(await cloudphone(harness, 'schedule resume prod-nightly', BOB)).toContain('waits for its approval');
    await afterEngineTicks(harness, 3);
    expect(runsOf(harness, schedule.id)).toEqual([]);
    expect(scheduleNamed(harness, 'prod-nightly')?.state).toBe('awaiting-approval');

    const approvedAt = harness.bot.services.audit.now();
    await click(harness, ask, ACTION.approvalApprove, CAROL);
    await answerTo(harness, CAROL, /approval of .* is recorded/);
    const reply = await resultReply(harness, 'is approved and active');
    expect(reply.text).toContain(`<@${BOB}>`);
    const active = scheduleNamed(harness, 'prod-nightly');
    expect(active?.state).toBe('active');
    // The first slot is counted from the approval.
    expect(active?.nextSlotAt).toBeGreaterThan(approvedAt);
    await closedAsk(harness, ask, 'Approved');
    expect(createEntry(harness)?.outcome).toMatchObject({ status: 'activated' });
    const decision = harness.bot.services.audit.recent({}).find((e) => e.userId === CAROL && e.decision === 'allowed');
    expect(decision?.outcome).toMatchObject({ status: 'approved', requester: BOB });

    // Its next slot comes: the run is taken like any schedule's.
    // The bot's clock was the machine's until now: move it just past the slot.
    bot.advance((active?.nextSlotAt ?? 0) - Date.now() + 1_000);
    await waitUntil(() => runsOf(harness, schedule.id)[0], { timeoutMs: 15_000, description: 'the first run' });
  });

  it('a denial leaves the schedule inactive and tells the owner who denied it and why', async () => {
    const harness = await start();
    const schedule = await saveHeld(harness);
    const ask = await askFor(harness, 'prod-nightly');
    await click(harness, ask, ACTION.approvalDeny, CAROL);
    const modal = await topView(harness, CALLBACK.approvalDenyReason, CAROL);
    await harness.driver.submitView({
      viewId: modal.id,
      userId: CAROL,
      values: { [BLOCK.approvalReason]: { [ACTION.approvalReason]: 'keep 3 is too few for prod' } },
    });
    const reply = await resultReply(harness, 'was denied');
    expect(reply.text).toContain(`<@${BOB}>`);
    expect(reply.text).toContain(`<@${CAROL}>`);
    expect(reply.text).toContain('keep 3 is too few for prod');
    await closedAsk(harness, ask, 'Denied');
    expect(scheduleNamed(harness, 'prod-nightly')).toMatchObject({ state: 'not-approved', nextSlotAt: undefined });
    expect(await cloudphone(harness, 'schedule show prod-nightly', BOB)).toContain('not approved');
    expect(createEntry(harness)?.outcome).toMatchObject({ status: 'denied' });
    await afterEngineTicks(harness, 2);
    expect(runsOf(harness, schedule.id)).toEqual([]);
  });

  it('refuses the owner approving their own schedule, and an approver who may not delete on those phones', async () => {
    const harness = await start();
    const schedule = await saveHeld(harness);
    const ask = await askFor(harness, 'prod-nightly');
    await click(harness, ask, ACTION.approvalApprove, BOB);
    await answerTo(harness, BOB, /asked for this yourself/);
    await click(harness, ask, ACTION.approvalApprove, DAVE);
    await answerTo(harness, DAVE, /can't approve this/);
    await afterEngineTicks(harness, 3);
    const requestId = createEntry(harness)?.requestId as string;
    expect(harness.bot.services.approvals.get(requestId)).toMatchObject({ state: 'waiting', decisions: [] });
    expect(scheduleNamed(harness, 'prod-nightly')?.state).toBe('awaiting-approval');
    expect(runsOf(harness, schedule.id)).toEqual([]);
    expect(harness.bot.services.audit.recent({}).find((e) => e.userId === BOB && e.decision === 'denied')?.rule).toBe(
      'approval:prod-schedules',
    );
  });

  it('expires: the schedule stays inactive, the owner is told, and the approvers can no longer decide', async () => {
    const harness = await start();
    const schedule = await saveHeld(harness);
    const ask = await askFor(harness, 'prod-nightly');
    bot.advance(31 * 60_000);
    const reply = await resultReply(harness, 'nobody approved');
    expect(reply.text).toContain(`<@${BOB}>`);
    await closedAsk(harness, ask, 'Expired');
    expect(scheduleNamed(harness, 'prod-nightly')?.state).toBe('not-approved');
    expect(createEntry(harness)?.outcome).toMatchObject({ status: 'expired' });
    const late = await harness.bot.services.approvals.decide({
      requestId: createEntry(harness)?.requestId as string,
      approver: { userId: CAROL, teamId: harness.slack.team.id },
      channelId: APPROVALS_CHANNEL,
      decision: 'approve',
    });
    expect(late.ok).toBe(false);
    await afterEngineTicks(harness, 2);
    expect(runsOf(harness, schedule.id)).toEqual([]);
  });

  it('a change while one waits supersedes it; only the newest change can be approved', async () => {
    const harness = await start();
    await saveHeld(harness);
    const first = await askFor(harness, 'prod-nightly');
    const firstId = createEntry(harness)?.requestId as string;
    await command(harness, 'schedule edit prod-nightly', BOB);
    const form = await topView(harness, CALLBACK.scheduleForm, BOB);
    const saved = await harness.driver.submitView({
      viewId: form.id,
      userId: BOB,
      values: { [BLOCK.scheduleKeep]: { [ACTION.scheduleKeep]: '5' } },
    });
    expect(saved.outcome.kind).toBe('updated');
    await closedAsk(harness, first, 'Superseded');
    const late = await harness.bot.services.approvals.decide({
      requestId: firstId,
      approver: { userId: CAROL, teamId: harness.slack.team.id },
      channelId: APPROVALS_CHANNEL,
      decision: 'approve',
    });
    expect(late).toMatchObject({ ok: false, reason: 'ended' });
    const second = await askFor(harness, 'prod-nightly', 1);
    expect(shown(second.blocks)).toContain('the newest 5');
    await click(harness, second, ACTION.approvalApprove, CAROL);
    await waitUntil(() => scheduleNamed(harness, 'prod-nightly')?.state === 'active' || undefined, {
      timeoutMs: 10_000,
      description: 'the changed schedule active',
    });
    expect(scheduleNamed(harness, 'prod-nightly')?.spec.retention).toEqual({ keep: 5 });
  });

  it('without retention, or on phones no rule covers, a schedule is active at once and nobody is asked', async () => {
    const harness = await start();
    expect(await cloudphone(harness, PROD_KEEP_3.replace(' --keep 3', ''), BOB)).toContain('saved');
    expect(
      await cloudphone(harness, PROD_KEEP_3.replace('prod-nightly', 'qa-nightly').replace('acp-prod1', 'acp-qa1'), BOB),
    ).toContain('saved');
    expect(scheduleNamed(harness, 'prod-nightly')?.state).toBe('active');
    expect(scheduleNamed(harness, 'qa-nightly')?.state).toBe('active');
    await afterEngineTicks(harness, 2);
    expect(harness.slack.messages(APPROVALS_CHANNEL, { topLevelOnly: true })).toEqual([]);
  });
});
