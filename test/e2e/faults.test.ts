import { afterEach, describe, expect, it } from 'vitest';
import { inlineBackup, waitForReply } from '../support/backup-flows.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

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

describe('refusals that say the cloud did nothing are sent again with back-off', () => {
  it('sends BackupApp again after the client’s own retries were all throttled, and the backup completes', async () => {
    h = await startHarness({ env: { CLOUDPHONE_TRANSIENT_RETRY_MS: '30000' } });
    // Five refusals: more than the client's four attempts for one call, so the workflow must send it again.
    h.sim.setFaults({ throttle: { actions: ['BackupApp'], times: 5, retryAfterMs: 10 } });
    const requestId = await inlineBackup(h, [h.instance('support-02')]);
    const [reply] = await waitForReply(h, requestId);
    const calls = backupAppCalls(h, requestId);
    expect(calls.map((c) => c.fault ?? c.status)).toEqual([
      'throttle',
      'throttle',
      'throttle',
      'throttle',
      'throttle',
      200,
    ]);
    const files = [...h.sim.state.backupFiles.values()].filter((f) => f.description?.includes(requestId));
    expect(files.map((f) => f.status)).toEqual(['AVAILABLE']);
    expect(JSON.stringify(reply!.blocks)).toContain(files[0]!.id);
  });

  it('sends a throttled StopAndroidInstance again instead of skipping the phone', async () => {
    h = await startHarness({ env: { CLOUDPHONE_TRANSIENT_RETRY_MS: '30000' } });
    h.sim.setFaults({ throttle: { actions: ['StopAndroidInstance'], times: 5, retryAfterMs: 10 } });
    const instanceId = h.instance('support-01');
    const requestId = await inlineBackup(h, [instanceId]);
    const [reply] = await waitForReply(h, requestId);
    const files = [...h.sim.state.backupFiles.values()].filter((f) => f.description?.includes(requestId));
    expect(files.map((f) => [f.instanceId, f.status])).toEqual([[instanceId, 'AVAILABLE']]);
    expect(JSON.stringify(reply!.blocks)).toContain('started it again');
    expect(h.sim.state.instances.get(instanceId)!.status).toBe('RUNNING');
  });
});

/** Seeds of the fault run: each draws a different run of cloud and Slack faults. */
const FAULT_SEEDS = [11, 12, 13, 14, 15, 16];

describe('under injected faults every backup completes, every reply arrives and every stopped phone runs again', () => {
  it.each(FAULT_SEEDS)(
    'seed %i: 30% throttling, 10% 5xx, 5% dropped connections and 5% lost answers, Slack answering 429 and 5xx',
    async (seed) => {
      // Transient failures are retried for longer than the harness default: under these rates and a busy machine,
      // a lookup can need more than a second and a half of retries.
      h = await startHarness({ simulator: { seed }, env: { CLOUDPHONE_TRANSIENT_RETRY_MS: '60000' } });
      h.sim.setFaults({
        throttle: { rate: 0.3, retryAfterMs: 20 },
        serverError: { rate: 0.1 },
        drop: { rate: 0.05 },
        dropAfterApply: { rate: 0.05 },
      });
      h.slack.faults.configure({ seed: seed + 100, rateLimitRate: 0.05, serverErrorRate: 0.05, retryAfterSec: 1 });
      const plan: [string, string][] = [
        ['support-02', 'com.tencent.mm'],
        ['qa-02', 'com.example.crm'],
        ['support-01', 'com.tencent.mm'],
        ['support-03', 'com.xingin.xhs'],
      ];
      const runningBefore = new Set(
        plan.map(([name]) => h!.instance(name)).filter((id) => h!.sim.state.instances.get(id)!.status === 'RUNNING'),
      );
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
        expect(JSON.stringify(replies[0]!.blocks)).not.toContain('still off');
      }
      // Every phone the bot stopped for a backup runs again, and the bot owes none a start.
      const stopped = new Set(
        h.sim.requests
          .filter((r) => r.action === 'StopAndroidInstance')
          .flatMap((r) => [r.params['AndroidInstanceIds.1']].map(String)),
      );
      expect([...stopped].sort()).toEqual([...runningBefore].sort());
      for (const id of runningBefore) {
        const calls = h.sim.requests
          .filter((r) => r.action.endsWith('AndroidInstance') && JSON.stringify(r.params).includes(id))
          .map((r) => `${r.action.replace('AndroidInstance', '')}(${r.fault ?? r.code ?? r.status})`);
        expect(h.sim.state.instances.get(id)!.status, `${id}: ${calls.join(' ')}`).toBe('RUNNING');
      }
      expect(h.bot.repos.stoppedPhones.all()).toEqual([]);
      expect(h.sim.requests.filter((r) => r.fault).length).toBeGreaterThan(0);
    },
    120_000,
  );
});

describe("a failure shows the cloud's own answer", () => {
  it("gives up on a BackupApp the cloud keeps refusing with 503, showing the cloud's code and RequestId, and marks the bot's codes", async () => {
    h = await startHarness();
    h.sim.setFaults({ serverError: { actions: ['BackupApp'], status: 503 } });
    const requestId = await inlineBackup(h, [h.instance('support-02'), 'acp-doesnotexist01']);
    const [reply] = await waitForReply(h, requestId);
    const sent = backupAppCalls(h, requestId);
    // A 503 is a refusal (the cloud did nothing): sent again after a back-off, until the retry window closes.
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const text = JSON.stringify(reply!.blocks);
    const line = text.split('\\n').find((l) => l.includes(h!.instance('support-02')));
    // The cloud's code and the RequestId of its last answer, not just "did not answer clearly".
    expect(line).toContain('`ServiceUnavailable`');
    expect(line).toContain(sent.at(-1)!.requestId);
    expect(line).not.toContain('the bot’s code');
    expect(line).toContain('the cloud kept refusing BackupApp');
    // A code the bot made up says so.
    const unknown = text.split('\\n').find((l) => l.includes('acp-doesnotexist01'));
    expect(unknown).toContain('`InstanceNotFound` (the bot’s code)');
  });
});
