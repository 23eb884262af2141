import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { command, confirmRestore, loadedAnswer, restoreIdOf, restoreReply, shown } from '../support/restore-flows.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function status(h: Harness, text: string, user = ADMIN) {
  return loadedAnswer(h, `status ${text}`.trim(), user);
}

describe('/cloudphone status, end to end', () => {
  it('shows a restore, its task and the latest request of an instance, refreshed from the cloud', async () => {
    h = await startHarness();
    const { target } = await confirmRestore(h);
    const { reply } = await restoreReply(h);
    const restoreId = restoreIdOf(reply);
    // The task the cloud made for the restore on that target (the bot learnt its id from the RecoverApp answer).
    const taskId = [...h.sim.state.tasks.values()].find((t) => t.type === 'RecoverFile' && t.instanceId === target)?.id;
    expect(taskId).toBeDefined();

    const recent = await status(h, '');
    expect(shown(recent.blocks)).toContain(restoreId);
    expect(shown(recent.blocks)).toMatch(/backup of 1 app on 1 instance/);

    const one = await status(h, restoreId!);
    expect(one.text).toContain(`Restore ${restoreId}: Finished`);
    expect(shown(one.blocks)).toContain(taskId!);
    expect(shown(one.blocks)).toContain('refreshed from the cloud');
    const describeTasks = h.sim.requests.filter((r) => r.action === 'DescribeTasks').at(-1);
    expect(Object.values(describeTasks?.params ?? {})).toContain(taskId!);

    const task = await status(h, taskId!);
    expect(shown(task.blocks)).toContain(`part of restore`);
    expect(shown(task.blocks)).toContain('Finished');

    const byInstance = await status(h, target);
    expect(byInstance.text).toContain(`Restore ${restoreId}`);

    const unknown = await status(h, 'req-nothinghere');
    expect(unknown.text).toContain('no request, task or instance');
    const shownEntries = h.bot.services.audit.recent({ userId: ADMIN }).filter((e) => e.action === 'status');
    expect(shownEntries.map((e) => e.outcome?.status)).toEqual(['not-found', 'shown', 'shown', 'shown', 'shown']);
  });

  it('replaces the loading line with a reference when the answer fails after the ack', async () => {
    h = await startHarness();
    const before = h.slack.ephemerals(ADMIN).length;
    // A fault nobody planned for, after the loading line went out.
    h.bot.services.status.report = async () => {
      throw new Error('disk I/O error while reading the requests');
    };
    const res = await command(h, 'status');
    expect(JSON.stringify(res.body)).toContain('⏳');
    const told = await waitUntil(() => h.slack.ephemerals(ADMIN).find((e) => e.text.includes('reference')), {
      timeoutMs: 5_000,
      description: 'the person told about the error',
    });
    expect(told.text).not.toContain('disk I/O');
    // One message for the command, the reference in place of the loading line: no ⏳ left waiting.
    expect(h.slack.ephemerals(ADMIN).slice(before)).toEqual([told]);
  });
});
