import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, type Harness, parents, startHarness } from '../support/harness.js';
import { createSchedule, endedRun, runsOf, textOf } from '../support/schedule-flows.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const backupAppCalls = (harness: Harness) => harness.sim.requests.filter((r) => r.action === 'BackupApp');

describe('scheduled runs, end to end', () => {
  it('backs up every matched instance in rolling waves, reports a failure in the parent and mentions the owner', async () => {
    h = await startHarness();
    // The four phones with the app; one of them fails its backup.
    const targets = ['support-01', 'support-02', 'qa-01', 'sales-01'].map((name) => h!.instance(name));
    const failing = h.instance('support-02'); // stopped: its next task is the backup
    h.sim.failNextTask(failing, 'BackupUploadFailed', 'the upload to OSS failed');
    const schedule = createSchedule(h, { targets, wave: { kind: 'count', count: 2 } });
    const run = await endedRun(h, schedule.id, 30_000);
    expect(run.status).toBe('partial');
    const counts = h.bot.repos.scheduleRuns.counts(run.id);
    expect(counts.total).toBe(4);
    expect(counts.failed).toBe(1);
    expect(counts.succeeded).toBe(3);
    expect(run.detail.peakInFlight).toBe(2);
    // Each instance was sent to BackupApp exactly once.
    const sent = backupAppCalls(h).flatMap((r) => Object.values(r.params).filter((v) => String(v).startsWith('acp-')));
    expect(new Set(sent).size).toBe(sent.length);
    // One parent, updated in place to its final state, and one threaded summary.
    const runParents = parents(h.slack, CHANNEL);
    expect(runParents).toHaveLength(1);
    const parent = runParents[0]!;
    expect(textOf(parent)).toContain('had failures');
    expect(textOf(parent)).toContain(`<@${ADMIN}>`);
    const replies = h.slack.threadReplies(CHANNEL, parent.ts);
    expect(replies).toHaveLength(1);
    expect(textOf(replies[0]!)).toContain(failing);
    expect(textOf(replies[0]!)).toContain('BackupUploadFailed');
    // The next slot is the cadence's next one, the slot was taken once.
    expect(runsOf(h, schedule.id)).toHaveLength(1);
    expect(h.bot.repos.schedules.get(schedule.id)?.nextSlotAt).toBeGreaterThan(Date.now());
  });
});
