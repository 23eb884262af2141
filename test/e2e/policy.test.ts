/**
 * The policy file in force on the running bot: user groups read from Slack (and their cache), channels, instances,
 * locations; a denied person causes no cloud call at all, and every decision is in the audit log.
 */
import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK } from '../../src/blocks/ids.js';
import { BACKUP_PATH, CHANNEL, type Harness } from '../support/harness.js';
import { usePolicyBot } from '../support/policy-bot.js';
import { waitUntil } from '../support/wait-until.js';

/** Tests move the bot's clock ahead instead of sleeping through a cache. */
const bot = usePolicyBot();

const BOB = 'U0BOB';

/** `extraRoles` adds lines under `roles:`, given the first harness (to name its instances and groups). */
async function startWithPolicy(
  cacheMs: number,
  extraRoles: (harness: Harness) => string[] = () => [],
  logLines?: string[],
) {
  // Instance ids are only known once the simulator runs: start, write the file, then restart to load it.
  const first = await bot.start(undefined, { env: { CLOUDPHONE_ADMINS: 'U0NOBODY' } });
  const allowed = first.instance('support-02');
  return bot.start(
    [
      'roles:',
      '  - name: support',
      '    members: ["@ops"]',
      `    channels: [${CHANNEL}]`,
      '    actions: [backup, status, list]',
      `    instances: ["${allowed}", "acp-none-*"]`,
      `    locations: ["${BACKUP_PATH}"]`,
      ...extraRoles(first),
    ],
    {
      env: { CLOUDPHONE_ADMINS: 'U0NOBODY', CLOUDPHONE_USERGROUP_CACHE_MS: String(cacheMs) },
      ...(logLines ? { logLines } : {}),
    },
  );
}

async function inline(harness: Harness, userId: string, text: string, channelId = CHANNEL) {
  const res = await harness.driver.slashCommand({ command: '/cloudphone', text, userId, channelId });
  expect(res.status).toBe(200);
  // Within Slack's 3 s, whatever the bot had to ask first.
  expect(res.withinAckBudget).toBe(true);
  return JSON.stringify(res.body);
}

async function openBackupModal(harness: Harness, userId: string) {
  await harness.driver.slashCommand({ command: '/cloudphone', text: 'backup', userId, channelId: CHANNEL });
  return waitUntil(() => harness.slack.openViews(userId)[0], { timeoutMs: 3_000, description: 'the backup modal' });
}

/** Submits the backup modal with instances picked in the picker (none typed) and one app. */
function submitPicked(harness: Harness, viewId: string, picked: string[]) {
  return harness.driver.submitView({
    viewId,
    values: {
      [BLOCK.instancePicker]: { [ACTION.instancePicker]: picked },
      [BLOCK.apps]: { [ACTION.apps]: 'com.tencent.mm' },
    },
  });
}

describe('the policy file on the running bot', () => {
  it('warns at start about an instance glob that can never match an instance id, and suggests ag- groups', async () => {
    const logLines: string[] = [];
    const harness = await startWithPolicy(60_000, () => [], logLines);
    const warnings = logLines.map((line) => JSON.parse(line)).filter((line) => line.level === 'warn');
    const glob = warnings.filter((line) => String(line.msg).includes('"acp-none-*" can never match'));
    expect(glob).toHaveLength(1);
    expect(glob[0].msg).toContain('role "support"');
    expect(glob[0].msg).toContain('instance group (ag-…)');
    // The role's exact id is a glob that can match: no warning for it.
    expect(warnings.some((line) => String(line.msg).includes(harness.instance('support-02')))).toBe(false);
  });

  it('denies what no role grants, naming what is missing, with no cloud call', async () => {
    const harness = await startWithPolicy(60_000);
    const ok = harness.instance('support-02');
    const other = harness.instance('sales-01');
    // Alice is in @ops (Slack's user group), so the support role applies to her.
    const wrongInstance = await inline(
      harness,
      'U0ALICE',
      `backup ${ok} ${other} --apps com.tencent.mm --path ${BACKUP_PATH}`,
    );
    expect(wrongInstance).toContain(other);
    const wrongPath = await inline(
      harness,
      'U0ALICE',
      `backup ${ok} --apps com.tencent.mm --path oss://cloudphone-saved-bucket-e2e/backups-evil/`,
    );
    expect(wrongPath).toMatch(/outside|location/i);
    const wrongChannel = await inline(
      harness,
      'U0ALICE',
      `backup ${ok} --apps com.tencent.mm --path ${BACKUP_PATH}`,
      'C0GENERAL',
    );
    expect(wrongChannel).toMatch(/channel/i);
    // The allowed channel is a working link, not literal text, and the denial says whom to ask.
    expect(wrongChannel).toContain(`<#${CHANNEL}>`);
    expect(wrongChannel).not.toContain(`&lt;#${CHANNEL}&gt;`);
    expect(wrongChannel).toContain('ask an admin of this bot: <@U0NOBODY>');
    const notMember = await inline(harness, BOB, `backup ${ok} --apps com.tencent.mm --path ${BACKUP_PATH}`);
    expect(notMember).not.toContain('req-');
    // Bob's membership check resolved @ops to its group id: the group is mentioned, not shown as text.
    expect(notMember).toContain('People who may do this: <!subteam^S0OPS>');
    expect(harness.sim.requests).toHaveLength(0);
    const audit = harness.bot.services.audit.recent({});
    expect(audit).toHaveLength(4);
    expect(audit.every((entry) => entry.decision === 'denied')).toBe(true);

    const allowed = await inline(harness, 'U0ALICE', `backup ${ok} --apps com.tencent.mm --path ${BACKUP_PATH}`);
    expect(allowed).toContain('req-');
    expect(harness.bot.services.audit.recent({ limit: 1 })[0]).toMatchObject({
      decision: 'allowed',
      rule: 'role:support',
    });
  });

  it('follows Slack user group membership, within the cache time', async () => {
    const harness = await startWithPolicy(60_000);
    const ok = harness.instance('support-02');
    const text = `backup ${ok} --apps com.tencent.mm --path ${BACKUP_PATH}`;
    expect(await inline(harness, BOB, text)).not.toContain('req-');
    const lookups = () => harness.slack.callsTo('usergroups.users.list').length;
    const lookupsBefore = lookups();
    harness.slack.setUserGroupMembers('S0OPS', ['U0ALICE', BOB]);
    // Still the cached membership right after the change (the bot did not ask Slack again)…
    expect(await inline(harness, BOB, text)).not.toContain('req-');
    expect(lookups()).toBe(lookupsBefore);
    bot.advance(61_000);
    // …and the new one once the cache time has passed.
    expect(await inline(harness, BOB, text)).toContain('req-');
    // Removal works the same way.
    harness.slack.setUserGroupMembers('S0OPS', ['U0ALICE']);
    bot.advance(61_000);
    expect(await inline(harness, BOB, text)).not.toContain('req-');
    expect(harness.slack.callsTo('usergroups.users.list').length).toBeGreaterThanOrEqual(2);
  });

  it('denies at once, saying to try again, while Slack rate-limits user group lookups; nothing is started', async () => {
    // No cache: every check asks Slack, as after the cache time has passed.
    const harness = await startWithPolicy(0);
    const text = `backup ${harness.instance('support-02')} --apps com.tencent.mm --path ${BACKUP_PATH}`;
    harness.slack.faults.rateLimitNext(100, { retryAfterSec: 3, method: 'usergroups.users.list' });
    const answer = await inline(harness, 'U0ALICE', text);
    expect(answer).toContain('could not be checked just now');
    expect(answer).toContain('try again');
    expect(answer).not.toContain('req-');
    expect(harness.bot.services.audit.recent({ limit: 1 })[0]).toMatchObject({ decision: 'denied' });
    expect(harness.sim.requests).toHaveLength(0);
    // One try per lookup: a rate-limited call is not waited out (the form's defaults and the check asked once each).
    expect(harness.slack.callsTo('usergroups.users.list')).toHaveLength(2);
    // Once Slack answers again, the same request goes through.
    harness.slack.faults.clear();
    expect(await inline(harness, 'U0ALICE', text)).toContain('req-');
  });

  it("suggests in the modal's instance picker only what the person may back up, and backs up what they pick", async () => {
    const harness = await startWithPolicy(60_000);
    const ok = harness.instance('support-02');
    const view = await openBackupModal(harness, 'U0ALICE');
    const suggest = async (value: string) => {
      const res = await harness.driver.blockSuggestion({ viewId: view.id, actionId: ACTION.instancePicker, value });
      expect(res.withinAckBudget).toBe(true);
      if ('error' in res.outcome) throw new Error(`Slack would refuse the options: ${res.outcome.error}`);
      return res.outcome.options as { text: { text: string }; value: string }[];
    };
    // Eight phones in the fleet; the support role covers one of them (and a glob that matches none).
    const offered = await suggest('');
    expect(offered.map((o) => o.value)).toEqual([ok]);
    expect(offered[0]?.text.text).toContain('support-02');
    expect((await suggest('SUPPORT')).map((o) => o.value)).toEqual([ok]);
    expect(await suggest('sales')).toEqual([]);
    // One listing of the fleet serves every keystroke within the cache time.
    expect(harness.sim.requests.filter((r) => r.action === 'DescribeAndroidInstances')).toHaveLength(1);

    const submitted = await submitPicked(harness, view.id, [ok]);
    expect(submitted.outcome.kind).toBe('closed');
    const backup = await waitUntil(() => harness.sim.requests.find((r) => r.action === 'BackupApp'), {
      timeoutMs: 20_000,
      description: 'the BackupApp call',
    });
    expect(Object.values(backup.params)).toContain(ok);
  });

  it('checks a picked instance like a typed one', async () => {
    const harness = await startWithPolicy(60_000);
    const other = harness.instance('sales-01');
    const view = await openBackupModal(harness, 'U0ALICE');
    // The picker never offered it, but a submission is only as honest as its sender.
    const submitted = await submitPicked(harness, view.id, [other]);
    expect(submitted.outcome.kind).toBe('errors');
    const error = (submitted.body as { errors: Record<string, string> }).errors[BLOCK.instances];
    expect(error).toContain(other);
    // Whom to ask, as a form error can show it: plain text, no mention markup.
    expect(error).toMatch(/To get access, ask a bot admin\. People who may do this: @ops\.$/);
    expect(error).not.toContain('<');
    expect(harness.sim.requests.map((r) => r.action)).not.toContain('BackupApp');
  });

  it('allows by an instance group (ag-…) as the cloud reports it, asking the cloud only when a group rule applies', async () => {
    const groupOf = (harness: Harness, name: string) => {
      const id = harness.instance(name);
      return harness.sim.state.instances.get(id)!.groupId;
    };
    const harness = await startWithPolicy(60_000, (first) => [
      '  - name: sales-fleet',
      `    members: [${BOB}]`,
      '    actions: [backup]',
      `    instances: [${groupOf(first, 'sales-01')}]`,
      `    locations: ["${BACKUP_PATH}"]`,
    ]);
    const sales = harness.instance('sales-01');
    const support = harness.instance('support-02');
    const backup = (id: string) => `backup ${id} --apps com.tencent.mm --path ${BACKUP_PATH}`;
    // Alice's roles name no group: her denial costs no cloud call.
    expect(await inline(harness, 'U0ALICE', backup(sales))).not.toContain('req-');
    expect(harness.sim.requests).toHaveLength(0);
    // Bob's role names sales-01's group: the cloud says which group each instance is in.
    expect(await inline(harness, BOB, backup(support))).toContain(support);
    expect(await inline(harness, BOB, backup(sales))).toContain('req-');
    expect(harness.bot.services.audit.recent({ limit: 1 })[0]).toMatchObject({
      decision: 'allowed',
      rule: 'role:sales-fleet',
    });
  });

  it('denies, saying to try again, when the cloud cannot say which group an instance is in', async () => {
    const harness = await startWithPolicy(60_000, (first) => [
      '  - name: sales-fleet',
      `    members: [${BOB}]`,
      '    actions: [backup]',
      `    instances: [${first.sim.state.instances.get(first.instance('sales-01'))!.groupId}]`,
      `    locations: ["${BACKUP_PATH}"]`,
    ]);
    harness.sim.setFaults({ serverError: { actions: ['DescribeAndroidInstances'], rate: 1 } });
    const denied = await inline(
      harness,
      BOB,
      `backup ${harness.instance('sales-01')} --apps com.tencent.mm --path ${BACKUP_PATH}`,
    );
    expect(denied).toMatch(/could not be looked up.*try again/);
    expect(harness.sim.requests.map((r) => r.action)).not.toContain('BackupApp');
  });
});
