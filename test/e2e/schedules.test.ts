/**
 * Defining scheduled backups through Slack (issue 15): the form (its preview as the person types, field errors, saving)
 * and the inline syntax (add with each bad option, list, show, pause, resume, delete with a re-checked confirmation),
 * through the Slack stand-in, the real Bolt app and the simulator's fleet listing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK } from '../../src/blocks/ids.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { writePolicyFile } from '../support/policy-file.js';
import { command, shown, topView } from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

const BOB = 'U0BOB';
const FLEET = [
  { id: 'acp-qa1', name: 'qa-1', status: 'RUNNING' as const, groupId: 'ag-qa' },
  { id: 'acp-qa2', name: 'qa-2', status: 'STOPPED' as const, groupId: 'ag-qa' },
  { id: 'acp-qa3', name: 'qa-3', status: 'RUNNING' as const, groupId: 'ag-qa' },
  { id: 'acp-prod1', name: 'prod-1', status: 'RUNNING' as const, groupId: 'ag-prod' },
];
const ADD = `schedule add nightly-qa --targets acp-qa*,acp-prod1 --apps com.example.app --path ${BACKUP_PATH} --cron "0 3 * * *" --tz Asia/Shanghai`;

let h: Harness;
let policyFile: ReturnType<typeof writePolicyFile> | undefined;
afterEach(async () => {
  await h?.close();
  policyFile?.remove();
  policyFile = undefined;
});

/** A bot whose policy lets Bob back up (not delete) and list QA phones only; Alice stays admin. */
async function startWithBobOnQa(): Promise<void> {
  policyFile = writePolicyFile([
    `admins: [${ADMIN}]`,
    'roles:',
    '  - name: qa',
    `    members: [${BOB}]`,
    '    actions: [backup, list]',
    '    instances: ["acp-qa*"]',
    `    locations: ["${BACKUP_PATH}"]`,
  ]);
  h = await startHarness({ simulator: { fleet: FLEET }, env: { CLOUDPHONE_POLICY: policyFile.path } });
}

/** The text the person saw in the command's immediate answer. */
async function answer(text: string, user = ADMIN): Promise<string> {
  const res = await command(h, text, user);
  expect(res.withinAckBudget).toBe(true);
  const ack = h.slack
    .ephemerals(user)
    .filter((e) => e.source === 'command_ack')
    .at(-1);
  return `${ack?.text ?? ''}\n${shown(ack?.blocks ?? [])}`;
}

/** The person's form once its preview shows `text`. */
function previewShowing(text: string) {
  return waitUntil(
    () => {
      const view = h.slack.openViews(ADMIN).at(-1);
      return view && shown(view.blocks).includes(text) ? view : undefined;
    },
    { timeoutMs: 5_000, description: `the preview showing ${text}` },
  );
}

const values = (entries: Record<string, string>) =>
  Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, { [key]: value }]));

describe('/cloudphone schedule form, end to end', () => {
  it('opens the form, previews next runs and matched instances as the person types, shows field errors, saves', async () => {
    h = await startHarness({ simulator: { fleet: FLEET } });
    await command(h, 'schedule');
    const form = await topView(h, CALLBACK.scheduleForm);
    expect(shown(form.blocks)).toContain('type a cadence as five cron fields');

    await h.driver.enterText({ viewId: form.id, actionId: ACTION.scheduleCron, value: '0 3 * * *' });
    const withRuns = await previewShowing('<!date^');
    // Three Slack dates (each reader sees their own zone), and the cadence in words.
    expect(shown(withRuns.blocks).match(/<!date\^\d+\^/g)).toHaveLength(3);
    expect(shown(withRuns.blocks)).toContain('At 03:00');

    await h.driver.enterText({ viewId: form.id, actionId: ACTION.scheduleTargets, value: 'acp-qa*, ag-nothing' });
    const withTargets = await previewShowing('match 3 instances now');
    expect(shown(withTargets.blocks)).toContain('ag-nothing');
    // What was typed survived the update.
    expect(withTargets.state.values[BLOCK.scheduleCron]?.[ACTION.scheduleCron]).toMatchObject({ value: '0 3 * * *' });

    const bad = await h.driver.submitView({
      viewId: form.id,
      values: values({
        [ACTION.scheduleName]: 'Nightly QA',
        [ACTION.scheduleApps]: 'com.example.app',
        [ACTION.schedulePath]: BACKUP_PATH,
        [ACTION.scheduleTimeZone]: 'Mars/Olympus',
        [ACTION.scheduleKeep]: 'seven',
      }),
    });
    expect(bad.outcome.kind).toBe('errors');
    const errors = (bad.body as { errors: Record<string, string> }).errors;
    expect(errors[BLOCK.scheduleName]).toContain('cannot name a schedule');
    expect(errors[BLOCK.scheduleTimeZone]).toContain('is not a time zone');
    expect(errors[BLOCK.scheduleKeep]).toContain('is not a number of backups to keep');
    // Plain text under fields: no mrkdwn code marks.
    expect(Object.values(errors).join(' ')).not.toContain('`');

    const unmatched = await h.driver.submitView({
      viewId: form.id,
      values: values({
        [ACTION.scheduleName]: 'nightly-qa',
        [ACTION.scheduleTimeZone]: 'Asia/Shanghai',
        [ACTION.scheduleKeep]: '7',
      }),
    });
    expect((unmatched.body as { errors: Record<string, string> }).errors[BLOCK.scheduleTargets]).toContain(
      'ag-nothing matches no instance',
    );

    const saved = await h.driver.submitView({
      viewId: form.id,
      values: {
        [BLOCK.scheduleTargets]: { [ACTION.scheduleTargets]: 'acp-qa*' },
        [BLOCK.scheduleChannel]: { [ACTION.scheduleChannel]: CHANNEL },
      },
    });
    expect(saved.outcome.kind).toBe('updated');
    expect(shown(h.slack.openViews(ADMIN).at(-1)?.blocks)).toContain('nightly-qa');
    const record = h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa');
    expect(record?.spec).toMatchObject({
      targets: ['acp-qa*'],
      cron: '0 3 * * *',
      timeZone: 'Asia/Shanghai',
      retention: { keep: 7 },
      channelId: CHANNEL,
    });
    expect(record?.nextSlotAt).toBeGreaterThan(Date.now());
    const entry = h.bot.services.audit.recent({}).find((e) => e.action === 'schedule-create');
    expect(entry?.decision).toBe('allowed');
  });

  it('refuses to save what the person may not back up, under the targets', async () => {
    await startWithBobOnQa();
    await command(h, 'schedule', BOB);
    const form = await topView(h, CALLBACK.scheduleForm, BOB);
    const denied = await h.driver.submitView({
      viewId: form.id,
      values: values({
        [ACTION.scheduleName]: 'mine',
        [ACTION.scheduleTargets]: 'acp-qa1,acp-prod1',
        [ACTION.scheduleApps]: 'com.example.app',
        [ACTION.scheduleCron]: '0 3 * * *',
        [ACTION.scheduleKeep]: '3',
      }),
    });
    const errors = (denied.body as { errors: Record<string, string> }).errors;
    expect(errors[BLOCK.scheduleTargets]).toContain('Not allowed');
    // The admin to ask, by name when known, else in words: a mention would show as a raw <@U…> in a form error.
    expect(errors[BLOCK.scheduleTargets]).toContain('To get access, ask a bot admin.');
    expect(errors[BLOCK.scheduleTargets]).not.toContain('<@');
    expect(h.bot.repos.schedules.list(h.slack.team.id)).toEqual([]);
  });
});

describe('/cloudphone schedule edit, end to end', () => {
  it('opens the form filled in for the owner, saves the change, and refuses others', async () => {
    await startWithBobOnQa();
    expect(await answer(`${ADD.replace('acp-qa*,acp-prod1', 'acp-qa*')} --wave 10% --max-age 2d`, BOB)).toContain(
      'delete',
    );
    expect(
      await answer(`${ADD.replace('acp-qa*,acp-prod1', 'acp-qa*')} --wave 10% --description "QA phones"`, BOB),
    ).toContain('saved');
    const acks = h.slack.ephemerals(BOB).length;
    await command(h, 'schedule edit nightly-qa', BOB);
    const form = await topView(h, CALLBACK.scheduleForm, BOB);
    expect(shown(form.title)).toContain('Change schedule');
    // The form is the answer: no message beside it.
    expect(h.slack.ephemerals(BOB)).toHaveLength(acks);
    expect(shown(form.blocks)).toContain('match 3 instances now');
    const typed = (block: string, action: string) =>
      (form.blocks as { block_id?: string; element?: { action_id?: string; initial_value?: string } }[]).find(
        (b) => b.block_id === block && b.element?.action_id === action,
      )?.element?.initial_value;
    expect(typed(BLOCK.scheduleCron, ACTION.scheduleCron)).toBe('0 3 * * *');
    expect(typed(BLOCK.scheduleWave, ACTION.scheduleWave)).toBe('10%');
    expect(typed(BLOCK.scheduleTargets, ACTION.scheduleTargets)).toBe('acp-qa*');

    const saved = await h.driver.submitView({
      viewId: form.id,
      values: values({ [ACTION.scheduleCron]: '30 1 * * 1' }),
    });
    expect(saved.outcome.kind).toBe('updated');
    const record = h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa');
    // What the form does not show (the description given inline) is kept.
    expect(record?.spec).toMatchObject({
      cron: '30 1 * * 1',
      wave: { kind: 'percent', percent: 10 },
      description: 'QA phones',
    });
    expect(record?.ownerId).toBe(BOB);
    expect(h.bot.services.audit.recent({}).find((e) => e.action === 'schedule-change')?.decision).toBe('allowed');

    expect(
      await answer(`schedule add prod-only --targets acp-prod1 --apps com.a --path ${BACKUP_PATH} --cron "0 3 * * *"`),
    ).toContain('saved');
    expect(await answer('schedule edit prod-only', BOB)).toContain("only the schedule's owner");
  });
});

describe('/cloudphone schedule inline, end to end', () => {
  it('adds, lists, shows, pauses, resumes and deletes (after a confirmation) a schedule', async () => {
    h = await startHarness({ simulator: { fleet: FLEET } });
    const added = await answer(`${ADD} --keep 7 --max-age 30d --wave 10% --channel <#${CHANNEL}|backups>`);
    expect(added).toContain('Schedule *nightly-qa* saved');
    expect(added).toContain('<!date^');
    const record = h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa');
    expect(record?.spec).toMatchObject({
      wave: { kind: 'percent', percent: 10 },
      retention: { keep: 7, maxAgeMs: 30 * 86_400_000 },
      channelId: CHANNEL,
    });

    const taken = await answer(ADD);
    expect(taken).toContain('already exists');
    expect(taken).toContain('schedule edit nightly-qa');

    const list = await answer('schedule list');
    expect(list).toContain('nightly-qa');
    expect(list).toContain(`<@${ADMIN}>`);
    expect(list).toContain('At 03:00');
    expect(list).toMatch(/next: <!date\^\d+\^/);
    expect(list).toContain('not run yet');

    const show = await answer('schedule show nightly-qa');
    expect(show).toContain('acp-qa*');
    expect(show).toContain('the newest 7');
    expect(show).toContain('10% at a time');
    expect(show.match(/<!date\^\d+\^/g)?.length).toBeGreaterThanOrEqual(3);

    expect(await answer('schedule pause nightly-qa')).toContain('paused');
    expect(h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa')).toMatchObject({
      state: 'paused',
      nextSlotAt: undefined,
    });
    expect(await answer('audit --action schedule-pause')).toContain('*schedule-pause* :white_check_mark: allowed');
    expect(await answer('schedule resume nightly-qa')).toContain('resumed');
    expect(h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa')?.nextSlotAt).toBeGreaterThan(Date.now());

    const confirm = await answer('schedule delete nightly-qa');
    expect(confirm).toContain('Delete schedule');
    expect(h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa')).toBeDefined();
    const message = h.slack
      .ephemerals(ADMIN)
      .filter((e) => e.source === 'command_ack')
      .at(-1);
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: message?.ts ?? '',
      actionId: ACTION.scheduleDeleteConfirm,
      userId: ADMIN,
    });
    await waitUntil(() => h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-qa') === undefined, {
      timeoutMs: 5_000,
      description: 'the schedule deleted',
    });
    const actions = h.bot.services.audit
      .recent({})
      .map((e) => e.action)
      .filter((a) => a.startsWith('schedule-'));
    expect(actions.sort()).toEqual(['schedule-create', 'schedule-delete', 'schedule-pause', 'schedule-resume'].sort());
    expect(await answer('schedule show nightly-qa')).toContain('no schedule `nightly-qa`');
  });

  it('gives each bad option a message that names it and says what to fix', async () => {
    h = await startHarness({ simulator: { fleet: FLEET } });
    const base = `schedule add n1 --targets acp-qa1 --apps com.example.app --path ${BACKUP_PATH} --cron "0 3 * * *"`;
    const cases: [string, string, string][] = [
      [`${base} --tz Mars/Olympus`, '`--tz`', 'is not a time zone'],
      [`${base} --keep 0`, '`--keep`', 'whole number from 1'],
      [`${base} --max-age 30`, '`--max-age`', 'like `30d` or `12h`'],
      [`${base} --wave 0`, '`--wave`', 'is not a wave size'],
      [`${base} --endpoint http://x/y`, '`--endpoint`', ''],
      [base.replace('"0 3 * * *"', '"0 3 * *"'), '`--cron`', 'five cron fields'],
      [base.replace('acp-qa1', 'ACP-QA1'), '`--targets`', 'lowercase'],
      [base.replace('acp-qa1', 'acp-nothing9'), '`--targets`', 'matches no instance'],
      [base.replace('com.example.app', 'Com.Example!'), '`--apps`', ''],
      [base.replace(BACKUP_PATH, 's3://x/'), '`--path`', ''],
      ['schedule add n1', '`--targets`', 'at least one target'],
    ];
    for (const [text, option, what] of cases) {
      const said = await answer(text);
      expect(said, text).toContain('The schedule was not saved');
      expect(said, text).toContain(option);
      expect(said, text).toContain(what);
    }
    expect(await answer(`${base} --channel #ops`)).toContain('pick the channel from Slack');
    expect(await answer(`${base.replace(' --cron "0 3 * * *"', ' --cron 0 3 * * *')}`)).toContain('quote the cron');
    const usage = await answer('schedule frobnicate');
    for (const sub of ['add', 'list', 'show', 'pause', 'resume', 'delete']) expect(usage).toContain(`\`${sub}\``);
    expect(h.bot.repos.schedules.list(h.slack.team.id)).toEqual([]);
  });

  it('lets only the owner and admins pause, lists to others only what is in their scope, and looks the schedule up again at the click', async () => {
    await startWithBobOnQa();
    const base = `--apps com.example.app --path ${BACKUP_PATH} --cron "0 3 * * *"`;
    expect(await answer(`schedule add bobs --targets acp-qa1 ${base}`, BOB)).toContain('saved');
    expect(await answer(`schedule add bobs-keep --targets acp-qa1 ${base} --keep 3`, BOB)).toContain('delete');
    expect(await answer(`schedule add prod --targets acp-prod1 ${base}`)).toContain('saved');

    // Bob sees his own schedule, not the prod one outside his scope; the admin sees both.
    const bobsList = await answer('schedule list', BOB);
    expect(bobsList).toContain('bobs');
    expect(bobsList).not.toContain('prod');
    expect(await answer('schedule show prod', BOB)).toContain('no schedule `prod`');
    expect(await answer('schedule list')).toContain('prod');

    expect(await answer('schedule pause prod', BOB)).toContain("only the schedule's owner");
    expect(await answer('schedule pause bobs')).toContain('paused');

    // The confirmation was shown to Bob; the schedule is gone by the time he clicks: the click checks again.
    expect(await answer('schedule delete bobs', BOB)).toContain('Delete schedule');
    const message = h.slack
      .ephemerals(BOB)
      .filter((e) => e.source === 'command_ack')
      .at(-1);
    const id = h.bot.repos.schedules.byName(h.slack.team.id, 'bobs')?.id ?? '';
    h.bot.repos.schedules.delete(id, Date.now());
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: message?.ts ?? '',
      actionId: ACTION.scheduleDeleteConfirm,
      userId: BOB,
    });
    const after = await waitUntil(() => h.slack.ephemerals(BOB).find((e) => e.text.includes('no schedule `bobs`')), {
      timeoutMs: 5_000,
      description: 'the answer to the click',
    });
    expect(after.text).toContain('no schedule `bobs`');
  });
});
