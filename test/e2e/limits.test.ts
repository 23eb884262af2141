/**
 * Limits on how much work one instance and one person can have at once, through the real Bolt app: an instance an
 * open request is working on is not touched by a second one (refused at once, naming the request that holds it), and
 * one person may have only CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON backups and restores open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BLOCK, CALLBACK } from '../../src/blocks/ids.js';
import { backupFormValues, openBackupModal } from '../support/backup-flows.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { botBackup, checkTargets, openRestoreForm, recoverCalls, shown } from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

const BOB = 'U0BOB';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** An inline backup of these instances by `userId`; resolves to the ephemeral answer's text. */
async function inlineBackup(harness: Harness, ids: string[], userId = ADMIN): Promise<string> {
  const res = await harness.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${ids.join(' ')} --apps com.tencent.mm --path ${BACKUP_PATH}`,
    userId,
    channelId: CHANNEL,
  });
  expect(res.status).toBe(200);
  return JSON.stringify(res.body);
}

const requestIdIn = (text: string): string => /req-[0-9a-f]+/.exec(text)![0];

/** The instance stays STOPPING, so a backup of it waits at its stop step, open, until `release`. */
function hold(harness: Harness, name: string): string {
  const id = harness.instance(name);
  harness.sim.setInstanceStatus(id, 'STOPPING');
  return id;
}

async function releaseAndFinish(harness: Harness, instanceId: string, requestId: string): Promise<void> {
  harness.sim.setInstanceStatus(instanceId, 'STOPPED');
  await waitUntil(() => (harness.bot.repos.requests.row(requestId)?.finished_at ? true : undefined), {
    timeoutMs: 15_000,
    description: `${requestId} finished`,
  });
}

const planIdOf = (view: { private_metadata?: string }): string =>
  (JSON.parse(view.private_metadata ?? '{}') as { planId: string }).planId;

const backupRequests = (harness: Harness): number =>
  harness.bot.repos.db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE kind = 'backup'`).pluck().get() as number;

describe('an instance already being worked on', () => {
  it('refuses a second backup of it at once, in the form, naming the request and who started it', async () => {
    h = await startHarness({ env: { CLOUDPHONE_ADMINS: `${ADMIN},${BOB}` } });
    const held = hold(h, 'support-01');
    const first = requestIdIn(await inlineBackup(h, [held], BOB));

    const view = await openBackupModal(h, [held, h.instance('support-02')]);
    const refused = await h.driver.submitView({ viewId: view.id, values: backupFormValues(['com.tencent.mm']) });
    expect(refused.outcome.kind).toBe('errors');
    const errors = (refused.body as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors)).toEqual([BLOCK.instances]);
    expect(errors[BLOCK.instances]).toBe(
      `${held} is already being backed up by ${first} (started by Slack user ${BOB}); wait for it to finish, then try again.`,
    );
    // The inline command says the same, with a mention.
    expect(await inlineBackup(h, [held])).toContain(`already being backed up by ${first} (started by <@${BOB}>)`);
    expect(backupRequests(h)).toBe(1);

    // Once the first has finished, the same form goes through.
    await releaseAndFinish(h, held, first);
    const accepted = await h.driver.submitView({ viewId: view.id, values: backupFormValues(['com.tencent.mm']) });
    expect(accepted.outcome.kind).toBe('closed');
    expect(backupRequests(h)).toBe(2);
  });

  it('refuses a restore onto an instance being backed up, in the restore form, before checking it in the cloud', async () => {
    h = await startHarness();
    const backupFileId = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const held = hold(h, 'support-01');
    const backup = requestIdIn(await inlineBackup(h, [held]));

    const form = await openRestoreForm(h, backupFileId);
    const { submitted, confirmation } = await checkTargets(h, form, [held]);
    expect(confirmation).toBeUndefined();
    const errors = (submitted.body as { errors: Record<string, string> }).errors;
    expect(errors[BLOCK.restoreTargets]).toBe(
      `${held} is already being backed up by ${backup} (started by you); wait for it to finish, then try again.`,
    );
    expect(h.bot.repos.requests.openHoldersOf([held]).map((r) => r.requestId)).toEqual([backup]);
    expect(h.bot.repos.db.prepare(`SELECT COUNT(*) FROM requests WHERE kind = 'restore'`).pluck().get()).toBe(0);
  });

  it('refuses to confirm a restore whose target a backup took after the plan was made', async () => {
    h = await startHarness();
    const backupFileId = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const target = h.instance('support-01');
    const form = await openRestoreForm(h, backupFileId);
    const { confirmation } = await checkTargets(h, form, [target]);
    expect(confirmation?.callback_id).toBe(CALLBACK.restoreConfirm);

    hold(h, 'support-01');
    const backup = requestIdIn(await inlineBackup(h, [target]));
    const confirmed = await h.driver.submitView({ viewId: confirmation!.id });
    expect(shown(confirmed.body)).toContain(`${target} is already being backed up by ${backup} (started by you)`);
    // The plan stays a plan: nothing was confirmed, no RecoverApp sent.
    expect(h.bot.repos.restores.get(confirmation ? planIdOf(confirmation) : '')?.step).toBe('draft');
    expect(recoverCalls(h)).toEqual([]);
  });
});

describe('requests one person may have open', () => {
  it('refuses one more than CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON, saying how many; accepts it once one finishes', async () => {
    h = await startHarness({ env: { CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON: '2' } });
    const [a, b] = [hold(h, 'support-01'), hold(h, 'support-03')];
    const first = requestIdIn(await inlineBackup(h, [a]));
    requestIdIn(await inlineBackup(h, [b]));

    const third = await inlineBackup(h, [h.instance('support-02')]);
    expect(third).toContain(
      'You already have 2 backups or restores in progress, the most one person may have at once (2)',
    );
    expect(third).toContain('CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON');
    expect(backupRequests(h)).toBe(2);

    await releaseAndFinish(h, a, first);
    const accepted = await inlineBackup(h, [h.instance('support-02')]);
    expect(accepted).not.toContain('already have');
    expect(requestIdIn(accepted)).not.toBe(first);
    expect(backupRequests(h)).toBe(3);
  });
});
