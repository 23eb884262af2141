import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness, parents, startHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-until.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function inlineBackup(harness: Harness, ids: string[], apps = ['com.tencent.mm']) {
  const res = await harness.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${ids.join(' ')} --apps ${apps.join(',')} --path ${BACKUP_PATH}`,
    userId: ADMIN,
    channelId: CHANNEL,
  });
  expect(res.status).toBe(200);
  const requestId = /req-[0-9a-f]+/.exec(JSON.stringify(res.body))?.[0];
  expect(requestId).toBeDefined();
  return requestId!;
}

function repliesFor(harness: Harness, requestId: string) {
  return parents(harness.slack)
    .filter((p) => JSON.stringify(p.blocks).includes(requestId))
    .flatMap((p) => harness.slack.threadReplies(CHANNEL, p.ts));
}

async function waitForReply(harness: Harness, requestId: string, timeoutMs = 30_000) {
  return waitUntil(() => (repliesFor(harness, requestId).length > 0 ? repliesFor(harness, requestId) : undefined), {
    timeoutMs,
    description: `the reply to ${requestId}`,
  });
}

const backupAppCalls = (harness: Harness, requestId: string) =>
  harness.sim.requests.filter(
    (r) => r.action === 'BackupApp' && String(r.params.Description ?? '').includes(requestId),
  );

describe('unknown outcomes are reconciled, never blindly re-sent', () => {
  it('finds the backup a dropped BackupApp created, and does not send it again', async () => {
    h = await startHarness();
    h.sim.setFaults({ dropAfterApply: { actions: ['BackupApp'], times: 1 } });
    const requestId = await inlineBackup(h, [h.instance('support-02')]);
    const [reply] = await waitForReply(h, requestId);
    expect(backupAppCalls(h, requestId)).toHaveLength(1);
    const file = [...h.sim.state.backupFiles.values()].find((f) => f.description?.includes(requestId));
    expect(JSON.stringify(reply!.blocks)).toContain(file!.id);
    expect(JSON.stringify(reply!.blocks)).not.toContain('OutcomeUnknown');
  });

  it('sends again, once, when the lookup proves the first BackupApp never took effect', async () => {
    h = await startHarness();
    h.sim.setFaults({ drop: { actions: ['BackupApp'], times: 1 } });
    const requestId = await inlineBackup(h, [h.instance('support-02')]);
    const [reply] = await waitForReply(h, requestId);
    expect(backupAppCalls(h, requestId)).toHaveLength(2);
    const files = [...h.sim.state.backupFiles.values()].filter((f) => f.description?.includes(requestId));
    expect(files).toHaveLength(1);
    expect(JSON.stringify(reply!.blocks)).toContain(files[0]!.id);
  });
});

describe('under injected faults every backup completes and every reply arrives', () => {
  it('survives 30% throttling, 10% 5xx and 5% dropped connections, with Slack answering 429 and 5xx', async () => {
    // Transient failures are retried for longer than the harness default: under these rates and a busy machine,
    // a lookup can need more than a second and a half of retries.
    h = await startHarness({ simulator: { seed: 11 }, env: { CLOUDPHONE_TRANSIENT_RETRY_MS: '60000' } });
    h.sim.setFaults({
      throttle: { rate: 0.3, retryAfterMs: 20 },
      serverError: { rate: 0.1 },
      drop: { rate: 0.05 },
    });
    h.slack.faults.configure({ seed: 5, rateLimitRate: 0.05, serverErrorRate: 0.05, retryAfterSec: 1 });
    const plan: [string, string][] = [
      ['support-02', 'com.tencent.mm'],
      ['qa-02', 'com.example.crm'],
      ['support-01', 'com.tencent.mm'],
      ['support-03', 'com.xingin.xhs'],
    ];
    const requestIds: string[] = [];
    for (const [name, app] of plan) requestIds.push(await inlineBackup(h, [h.instance(name)], [app]));
    for (const [index, requestId] of requestIds.entries()) {
      const replies = await waitForReply(h, requestId, 60_000);
      expect(replies).toHaveLength(1);
      // The backup really exists and finished, made by one effective BackupApp call.
      const files = [...h.sim.state.backupFiles.values()].filter((f) => f.description?.includes(requestId));
      expect(
        files.map((f) => [f.instanceId, f.status]),
        JSON.stringify(replies[0]!.blocks),
      ).toEqual([[h.instance(plan[index]![0]), 'AVAILABLE']]);
      expect(JSON.stringify(replies[0]!.blocks)).toContain(files[0]!.id);
    }
    const faults = h.sim.requests.filter((r) => r.fault);
    expect(faults.length).toBeGreaterThan(0);
  }, 120_000);
});

describe("a failure shows the cloud's own answer", () => {
  it("gives up on a BackupApp that keeps answering 503 with the cloud's code and RequestId, and marks the bot's codes", async () => {
    h = await startHarness();
    h.sim.setFaults({ serverError: { actions: ['BackupApp'], status: 503 } });
    const requestId = await inlineBackup(h, [h.instance('support-02'), 'acp-doesnotexist01']);
    const [reply] = await waitForReply(h, requestId);
    const sent = backupAppCalls(h, requestId);
    // Each unclear call was looked up before the next; the bot stopped after three.
    expect(sent).toHaveLength(3);
    const text = JSON.stringify(reply!.blocks);
    const line = text.split('\\n').find((l) => l.includes(h!.instance('support-02')));
    // The cloud's code and the RequestId of its last answer, not just "did not answer clearly".
    expect(line).toContain('`ServiceUnavailable`');
    expect(line).toContain(sent.at(-1)!.requestId);
    expect(line).not.toContain('the bot’s code');
    expect(line).toContain('sent 3 times without a clear answer');
    // A code the bot made up says so.
    const unknown = text.split('\\n').find((l) => l.includes('acp-doesnotexist01'));
    expect(unknown).toContain('`InstanceNotFound` (the bot’s code)');
  });
});
