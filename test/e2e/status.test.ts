import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, startHarness } from '../support/harness.js';
import { confirmRestore, loadedAnswer, restoreIdOf, restoreReply, shown } from '../support/restore-flows.js';

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
});
