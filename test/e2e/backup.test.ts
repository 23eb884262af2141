import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, OPTION } from '../../src/blocks/ids.js';
import { ADMIN, CHANNEL, type Harness, parents, startHarness } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function openModalAndSubmit(
  h: Harness,
  ids: string[],
  apps: string[],
  options = [OPTION.stopBefore, OPTION.startAfter],
) {
  const command = await h.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${ids.join(' ')}`,
    userId: ADMIN,
    channelId: CHANNEL,
  });
  expect(command.status).toBe(200);
  expect(command.withinAckBudget).toBe(true);
  const [view] = await h.slack.waitFor((s) => (s.openViews(ADMIN).length > 0 ? s.openViews(ADMIN) : undefined), {
    timeoutMs: 3000,
    description: 'the backup modal',
  });
  return h.driver.submitView({
    viewId: view!.id,
    values: {
      [BLOCK.apps]: { [ACTION.apps]: apps.join('\n') },
      [BLOCK.options]: { [ACTION.options]: options },
    },
  });
}

describe('/cloudphone backup, end to end', () => {
  it('backs up a stopped instance and answers once in a thread with the backup file', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    const submitted = await openModalAndSubmit(h, [id], ['com.tencent.mm']);
    expect(submitted.status).toBe(200);
    const reply = await h.slack.waitFor(
      (s) => {
        const parent = s.messages(CHANNEL, { topLevelOnly: true })[0];
        return parent ? s.threadReplies(CHANNEL, parent.ts)[0] : undefined;
      },
      { timeoutMs: 15_000, description: 'the threaded reply' },
    );
    expect(reply.text).toContain(`<@${ADMIN}>`);
    const file = [...h.sim.state.backupFiles.values()].find((f) => f.instanceId === id);
    expect(file).toBeDefined();
    expect(JSON.stringify(reply.blocks)).toContain(file!.id);
    expect(parents(h.slack)).toHaveLength(1);
  });
});
