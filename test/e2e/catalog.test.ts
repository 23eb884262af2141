import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, CALLBACK } from '../../src/blocks/ids.js';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import {
  botBackup,
  checkTargets,
  loadedAnswer,
  nextResponse,
  openRestoreForm,
  restoreReply,
  shown,
  topView,
} from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Restores `bf` onto support-01 and returns the completion reply. */
async function restoreOnto(h: Harness, bf: string) {
  const form = await openRestoreForm(h, bf);
  const { confirmation } = await checkTargets(h, form, [h.instance('support-01')]);
  await h.driver.submitView({ viewId: confirmation!.id });
  return restoreReply(h);
}

describe('Mark restore verified, and the catalog', () => {
  it('sets the verified flag from the button; the catalog shows who verified which backup, beside one the bot did not make', async () => {
    h = await startHarness();
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const { reply } = await restoreOnto(h, bf);

    // Someone without the restore permission cannot verify; they are told so, privately.
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.markVerified,
      userId: 'U0BOB',
    });
    const denial = await nextResponse(h, 'U0BOB', 0, 'the refusal to Bob');
    expect(denial.text).toContain("can't mark this restore verified");
    // …and nothing changed: the reply still offers the button.
    expect(shown(h.slack.message(CHANNEL, reply.ts)?.blocks)).toContain(ACTION.markVerified);

    await h.driver.clickButton({ channel: CHANNEL, messageTs: reply.ts, actionId: ACTION.markVerified, userId: ADMIN });
    const updated = await waitUntil(
      () => {
        const message = h.slack.message(CHANNEL, reply.ts);
        return message && shown(message.blocks).includes('Restore verified') ? message : undefined;
      },
      { timeoutMs: 5_000, description: 'the reply showing the verification' },
    );
    expect(shown(updated.blocks)).toContain(`<@${ADMIN}>`);
    expect(shown(updated.blocks)).not.toContain(ACTION.markVerified);

    // A backup made elsewhere (not by the bot), newer than the bot's (GmtCreated has whole seconds).
    h.sim.advance(5_000);
    const external = h.sim.addBackupFile({ instanceId: h.instance('support-03'), apps: ['com.xingin.xhs'] });
    const catalog = await loadedAnswer(h, 'backups');
    const text = shown(catalog.blocks);
    expect(text).toContain(external.id);
    expect(text).toContain(bf);
    expect(text.indexOf(external.id)).toBeLessThan(text.indexOf(bf));
    expect(text).toMatch(new RegExp(`${external.id}.{0,600}never verified.{0,40}made outside the bot`));
    expect(text).toMatch(new RegExp(`${bf}.{0,600}restore verified by <@${ADMIN}>.{0,200}made by the bot`));

    // The ⋯ menu of an entry opens the restore form with that backup picked.
    await h.driver.selectOption({
      channel: CHANNEL,
      messageTs: catalog.ts,
      actionId: ACTION.catalogEntry,
      value: `restore:${external.id}`,
      userId: ADMIN,
    });
    const form = await topView(h, CALLBACK.restoreForm);
    expect(shown(form.blocks)).toMatch(new RegExp(`"initial_option":\\{"text":\\{[^}]*${external.id}`));
    await h.driver.closeView({ viewId: form.id });

    // Narrowed to one source instance and app.
    const narrowed = shown((await loadedAnswer(h, `backups ${h.instance('support-03')} --app com.xingin.xhs`)).blocks);
    expect(narrowed).toContain(external.id);
    expect(narrowed).not.toContain(bf);
    const listed = h.bot.services.audit.recent({ userId: ADMIN }).filter((e) => e.action === 'list');
    expect(listed.map((e) => e.outcome?.status)).toEqual(['listed', 'listed']);
  });

  it('pages a long catalog and keeps the bot’s own records when the cloud cannot be asked', async () => {
    h = await startHarness();
    const support03 = h.instance('support-03');
    const ids = Array.from({ length: 10 }, () => h.sim.addBackupFile({ instanceId: support03 }).id);
    const first = await loadedAnswer(h, 'backups');
    expect(first.text).toContain('page 1 of 2');
    const shownIds = ids.filter((id) => shown(first.blocks).includes(id));
    expect(shownIds).toHaveLength(8);

    await h.driver.clickButton({ channel: CHANNEL, messageTs: first.ts, actionId: ACTION.catalogNext, userId: ADMIN });
    const second = await waitUntil(() => h.slack.ephemerals(ADMIN).find((e) => e.text.includes('page 2 of 2')), {
      timeoutMs: 5_000,
      description: 'page 2',
    });
    expect(ids.filter((id) => shown(second.blocks).includes(id))).toHaveLength(2);

    // The cloud fails: the bot still shows what it knows, and says so.
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    h.sim.setFaults({ serverError: { actions: ['DescribeBackupFiles'] } });
    const fallback = await loadedAnswer(h, 'backups');
    expect(shown(fallback.blocks)).toContain('could not be asked');
    expect(shown(fallback.blocks)).toContain(bf);
  });

  it('says each backup’s status in words, not the API’s', async () => {
    h = await startHarness();
    const source = h.instance('support-03');
    const ready = h.sim.addBackupFile({ instanceId: source });
    const failed = h.sim.addBackupFile({ instanceId: source, status: 'BACKUP_FAILED' });
    const partial = h.sim.addBackupFile({ instanceId: source, status: 'PART_BACKUP_FINISHED' });
    const going = h.sim.addBackupFile({ instanceId: source, status: 'DELETING' });
    const blocks = (await loadedAnswer(h, 'backups')).blocks ?? [];
    const entry = (id: string) => shown(blocks.find((b) => shown(b).includes(id)));
    expect(entry(ready.id)).toContain('✅ ready to restore');
    expect(entry(failed.id)).toContain('❌ the backup failed');
    expect(entry(partial.id)).toContain('⚠️ only partly backed up');
    expect(entry(going.id)).toContain('🗑️ being deleted');
    for (const status of ['AVAILABLE', 'BACKUP_FAILED', 'PART_BACKUP_FINISHED', 'DELETING']) {
      expect(shown(blocks)).not.toContain(status);
    }
  });
});
