/**
 * The App Home through the real Bolt app: Slack sends a signed `app_home_opened` event, the bot publishes the Home
 * with views.publish (checked by the stand-in against Slack's limits), and its buttons open the forms and the catalog.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/blocks/ids.js';
import { inlineBackup, waitForReply } from '../support/backup-flows.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-until.js';

const DM = 'D0ALICE';
const DAY_MS = 86_400_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The text a person reads in these blocks, one block (or context element) a line or more. */
function textOf(blocks: unknown[]): string {
  const texts = (blocks as { text?: { text?: string }; elements?: { text?: unknown }[] }[]).flatMap((block) => [
    block.text?.text ?? '',
    ...(block.elements ?? []).map((element) =>
      typeof element.text === 'string' ? element.text : ((element.text as { text?: string })?.text ?? ''),
    ),
  ]);
  return texts.join('\n');
}

/** Opens the Home tab as Slack does, and resolves to the Home the bot published after it (not an older one). */
async function openHome(harness: Harness, userId = ADMIN, channel = DM) {
  const before = harness.slack.callsTo('views.publish').length;
  const res = await harness.driver.sendEvent({ type: 'app_home_opened', user: userId, channel, tab: 'home' });
  expect(res.status).toBe(200);
  await waitUntil(() => harness.slack.callsTo('views.publish').length > before || undefined, {
    timeoutMs: 5_000,
    description: 'the Home published',
  });
  const published = harness.slack.callsTo('views.publish').at(-1)!;
  expect(published.response).toMatchObject({ ok: true });
  return harness.slack.homeView(userId)!;
}

/** The line of the Home that names this instance. */
function lineOf(text: string, instanceId: string): string {
  return text.split('\n').find((line) => line.includes(instanceId)) ?? '';
}

describe('App Home', () => {
  it('shows requests in flight, last results linking to their threads, stale instances flagged, and working buttons', async () => {
    let offsetMs = 0;
    h = await startHarness({ clock: { now: () => Date.now() + offsetMs } });
    const [old, recent, held] = [h.instance('support-01'), h.instance('support-03'), h.instance('support-02')];

    // A backup of `old` that is eight days old by the bot's clock, then one of `recent` made "now".
    const oldRequest = await inlineBackup(h, [old]);
    await waitForReply(h, oldRequest);
    offsetMs = 8 * DAY_MS;
    const recentRequest = await inlineBackup(h, [recent], ['com.xingin.xhs']);
    await waitForReply(h, recentRequest);

    // One request stays in flight: its instance never finishes stopping.
    h.sim.setInstanceStatus(held, 'STOPPING');
    const running = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `backup ${held} --apps com.tencent.mm --path ${BACKUP_PATH}`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    const runningId = /req-[0-9a-f]+/.exec(JSON.stringify(running.body))![0];
    await waitUntil(() => h!.bot.repos.backups.get(runningId)?.step === 'stop' || undefined, {
      timeoutMs: 10_000,
      description: 'the request waiting for its instance to stop',
    });

    const home = await openHome(h);
    const text = textOf(home.blocks);
    expect(home.type).toBe('home');
    expect(home.blocks.length).toBeLessThanOrEqual(100);

    // In flight: the held request, with its progress.
    const inFlight = text.slice(text.indexOf('In flight'), text.indexOf('Your last results'));
    expect(inFlight).toContain(runningId);
    expect(inFlight).toMatch(/0 of 1 done/);
    expect(inFlight).not.toContain(oldRequest);

    // Last results: both finished backups, newest first, each linking to its channel message.
    const results = text.slice(text.indexOf('Your last results'), text.indexOf('Your instances'));
    expect(results.indexOf(recentRequest)).toBeLessThan(results.indexOf(oldRequest));
    const parentOf = (id: string) =>
      h!.slack.messages(CHANNEL, { topLevelOnly: true }).find((m) => JSON.stringify(m.blocks).includes(id))!;
    for (const id of [oldRequest, recentRequest]) {
      const parentTs = parentOf(id).ts.replace('.', '');
      expect(results).toMatch(new RegExp(`<https://[^|>]+/archives/${CHANNEL}/p${parentTs}[^|>]*\\|${id}>`));
    }

    // Instances: the eight-day-old backup and the never backed-up phones are stale; the recent one is not.
    const instances = text.slice(text.indexOf('Your instances'));
    expect(lineOf(instances, old)).toContain('⚠️');
    expect(lineOf(instances, old)).toContain('newest good backup');
    expect(lineOf(instances, held)).toContain('never backed up');
    expect(lineOf(instances, recent)).toContain('✅');
    expect(lineOf(instances, recent)).not.toContain('⚠️');
    expect(instances).toContain('no good backup in the last 7 days');
    // No schedules yet: no schedules section.
    expect(text).not.toContain('Your schedules');

    // "Back up…" opens the backup form; "Restore…" the restore form.
    await h.driver.clickButton({ viewId: home.id, actionId: ACTION.homeBackup, userId: ADMIN });
    const backupForm = await waitUntil(() => h!.slack.openViews(ADMIN)[0], {
      timeoutMs: 3_000,
      description: 'the backup form',
    });
    expect(backupForm.callback_id).toBe('backup_modal');
    expect(JSON.parse(backupForm.private_metadata)).toEqual({ channelId: DM });

    await h.driver.clickButton({ viewId: home.id, actionId: ACTION.homeRestore, userId: ADMIN });
    const restoreForm = await waitUntil(
      () => h!.slack.openViews(ADMIN).find((v) => v.callback_id === 'restore_modal'),
      { timeoutMs: 5_000, description: 'the restore form' },
    );
    expect(JSON.stringify(restoreForm.blocks)).toContain(
      h.bot.repos.backupRecords.list({ instanceId: recent })[0]!.backupFileId,
    );

    // "Open the catalog" posts the catalog in the person's DM with the bot.
    await h.driver.clickButton({ viewId: home.id, actionId: ACTION.homeCatalog, userId: ADMIN });
    const catalog = await waitUntil(() => h!.slack.messages(DM).at(-1), {
      timeoutMs: 5_000,
      description: 'the catalog in the DM',
    });
    expect(JSON.stringify(catalog.blocks)).toContain(
      h.bot.repos.backupRecords.list({ instanceId: old })[0]!.backupFileId,
    );
  });

  it('shows a person outside every policy no instances, and refuses their buttons naming whom to ask', async () => {
    h = await startHarness();
    const home = await openHome(h, 'U0BOB', 'D0BOB');
    const text = textOf(home.blocks);
    expect(text).toContain('Nothing of yours is running.');
    expect(text).toContain('No instance is in your backup scope.');

    await h.driver.clickButton({ viewId: home.id, actionId: ACTION.homeBackup, userId: 'U0BOB' });
    const refusal = await waitUntil(() => h!.slack.openViews('U0BOB')[0], {
      timeoutMs: 3_000,
      description: 'the refusal',
    });
    expect(textOf(refusal.blocks)).toContain("You can't do that here");
    expect(textOf(refusal.blocks)).toContain(`<@${ADMIN}>`);
  });

  it("lists the person's own schedules with their cadence and next run, and nobody else's", async () => {
    h = await startHarness();
    const target = h.instance('support-01');
    const saved = await h.driver.slashCommand({
      command: '/cloudphone',
      text: `schedule add nightly-support --targets ${target} --apps com.tencent.mm --path ${BACKUP_PATH} --cron "0 3 * * *" --tz Asia/Shanghai`,
      userId: ADMIN,
      channelId: CHANNEL,
    });
    expect(JSON.stringify(saved.body)).toContain('nightly-support');
    const schedule = h.bot.repos.schedules.byName(h.slack.team.id, 'nightly-support')!;

    const text = textOf((await openHome(h)).blocks);
    expect(text).toContain('Your schedules');
    const line = lineOf(text, 'nightly-support');
    expect(line).toContain(target);
    expect(line).toContain('At 03:00, every day (Asia/Shanghai)');
    expect(line).toContain(`<!date^${Math.floor(schedule.nextSlotAt! / 1000)}^`);

    // Someone else's Home has no schedules section.
    expect(textOf((await openHome(h, 'U0BOB', 'D0BOB')).blocks)).not.toContain('Your schedules');
  });

  it('ignores the Messages tab', async () => {
    h = await startHarness();
    const res = await h.driver.sendEvent({ type: 'app_home_opened', user: ADMIN, channel: DM, tab: 'messages' });
    expect(res.status).toBe(200);
    // The Home tab opened next is published; the Messages tab before it was not.
    await openHome(h);
    expect(h.slack.callsTo('views.publish')).toHaveLength(1);
  });
});
