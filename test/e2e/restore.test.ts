import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/blocks/ids.js';
import { CHANNEL, type Harness, startHarness } from '../support/harness.js';
import {
  botBackup,
  checkTargets,
  openRestoreForm,
  recoverCalls,
  restoreReply,
  shown,
} from '../support/restore-flows.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

function restoreRows(h: Harness) {
  const db = new Database(h.dbPath, { readonly: true });
  try {
    return db.prepare('SELECT id, status, step, backup_file_id FROM restore_requests').all() as {
      id: string;
      status: string;
      step: string;
      backup_file_id: string;
    }[];
  } finally {
    db.close();
  }
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
    expect(recoverCalls(h)).toEqual([]);

    const confirmed = await h.driver.submitView({ viewId: confirmation!.id });
    expect(confirmed.outcome.kind).toBe('closed');
    const { parent, reply } = await restoreReply(h);
    expect(reply.text).toContain('finished');
    expect(shown(reply.blocks)).toContain('Mark restore verified');
    await h.slack.waitFor((s) => s.message(CHANNEL, parent.ts)?.text.includes('Finished'), {
      description: 'the restore message showing the outcome',
    });
    expect(recoverCalls(h)).toEqual([{ status: 200, targets: [target] }]);
    expect(restoreRows(h)).toEqual([expect.objectContaining({ status: 'succeeded', backup_file_id: bf })]);
    // Exactly one completion reply in the restore's thread.
    expect(
      h.slack.threadReplies(CHANNEL, parent.ts).filter((m) => shown(m.blocks).includes('restore-completion:')),
    ).toHaveLength(1);
  });
});
