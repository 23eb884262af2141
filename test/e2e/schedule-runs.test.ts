import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/blocks/ids.js';
import { pressCancel } from '../support/cancel-flows.js';
import { ADMIN, CHANNEL, type Harness, parents, startHarness } from '../support/harness.js';
import { cloudphone, createSchedule, endedRun, runsOf, textOf } from '../support/schedule-flows.js';
import { waitUntil } from '../support/wait-until.js';

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

  it('Cancel stops a run in its waves: queued instances skipped, the wave under way skips what it had not sent, no retention', async () => {
    h = await startHarness();
    const targets = ['support-01', 'support-02', 'qa-01', 'sales-01'].map((name) => h!.instance(name));
    // The first wave (one phone) waits for its phone to stop: nothing is sent to BackupApp meanwhile.
    h.sim.setInstanceStatus(targets[0]!, 'STOPPING');
    const schedule = createSchedule(h, { targets, wave: { kind: 'count', count: 1 }, retention: { keep: 1 } });
    const parent = await waitUntil(
      () => parents(h!.slack, CHANNEL).find((p) => textOf(p).includes(ACTION.cancelRequest)),
      { timeoutMs: 15_000, description: 'the run message with its Cancel button' },
    );
    const refusal = await pressCancel(h, parent.ts, 'U0BOB');
    expect(refusal.text).toContain("You can't do that here");
    const answer = await pressCancel(h, parent.ts, ADMIN);
    expect(answer.text).toContain('3 instances not yet sent will be skipped. 1 instance was in the wave under way');

    const run = await endedRun(h, schedule.id);
    expect(run.status).toBe('cancelled');
    expect(backupAppCalls(h)).toHaveLength(0);
    expect(h.bot.repos.scheduleRuns.counts(run.id)).toMatchObject({ total: 4, skipped: 4, succeeded: 0 });
    // No retention on a cancelled run: nothing handed to a deletion.
    expect(run.detail.prune).toBeUndefined();
    const final = textOf(h.slack.message(CHANNEL, parent.ts)!);
    expect(final).toContain(`was cancelled by <@${ADMIN}>`);
    expect(final).not.toContain(ACTION.cancelRequest);
    const summary = textOf(h.slack.threadReplies(CHANNEL, parent.ts)[0]!);
    expect(summary).toContain('the run was cancelled before this instance was backed up');
  });

  it('previews and then prunes what retention allows through the durable deletion, listed in the run thread', async () => {
    h = await startHarness();
    const id = h.instance('support-02');
    const schedule = createSchedule(h, { targets: [id] });
    const first = await endedRun(h, schedule.id);
    expect(first.status).toBe('succeeded');
    const firstFile = h.bot.repos.scheduleRuns.instances(first.id)[0]?.backupFileId as string;
    // Only the owner and admins may start a run.
    expect(await cloudphone(h, `schedule run ${schedule.name}`, 'U0BOB')).toContain('Only the schedule');
    const runNow = async () => {
      const answer = await cloudphone(h!, `schedule run ${schedule.name}`);
      const runId = /run-[0-9a-f]+/.exec(answer)?.[0];
      expect(runId, answer).toBeDefined();
      return waitUntil(() => runsOf(h!, schedule.id).find((run) => run.id === runId && run.step === 'done'), {
        timeoutMs: 20_000,
        description: `run ${runId} ended`,
      });
    };
    const second = await runNow();
    const secondFile = h.bot.repos.scheduleRuns.instances(second.id)[0]?.backupFileId as string;
    expect(second.detail.slotAt).toBeUndefined();
    expect(second.detail.startedBy).toBe(ADMIN);

    // The owner now keeps one backup: the preview names the older one and deletes nothing.
    const current = h.bot.repos.schedules.get(schedule.id)!;
    h.bot.repos.schedules.update(
      schedule.id,
      { ...current.spec, retention: { keep: 1 } },
      current.nextSlotAt,
      Date.now(),
    );
    const preview = await cloudphone(h, `schedule prune-preview ${schedule.name}`);
    expect(preview).toContain(firstFile);
    expect(preview).not.toContain(secondFile);
    expect(h.sim.state.backupFiles.get(firstFile)?.status).toBe('AVAILABLE');
    expect(h.sim.requests.map((r) => r.action)).not.toContain('DeleteBackupFile');

    const third = await runNow();
    expect(third.status).toBe('succeeded');
    // Three backups now, one kept: the two older ones go, the newest stays.
    expect(third.detail.prune?.files.map((f) => f.backupFileId).sort()).toEqual([firstFile, secondFile].sort());
    expect(third.detail.prune?.status).toBe('deleted');
    const thirdFile = h.bot.repos.scheduleRuns.instances(third.id)[0]?.backupFileId as string;
    expect(h.sim.state.backupFiles.get(thirdFile)?.status).toBe('AVAILABLE');
    for (const gone of [firstFile, secondFile]) {
      expect(['DELETING', undefined]).toContain(h.sim.state.backupFiles.get(gone)?.status);
    }
    // The third run's thread lists what was removed; the deletion posted nothing of its own.
    const all = parents(h.slack, CHANNEL);
    expect(all).toHaveLength(3);
    const replies = h.slack.threadReplies(CHANNEL, all[2]!.ts);
    expect(replies).toHaveLength(1);
    expect(textOf(replies[0]!)).toContain(firstFile);
    expect(textOf(replies[0]!)).toContain(secondFile);
    // The pruning is in the audit trail, with its outcome.
    const pruning = h.bot.services.audit
      .recent({})
      .find((entry) => entry.action === 'delete' && entry.requestId === third.detail.prune?.deleteId);
    expect(pruning?.outcome).toMatchObject({ status: 'deleted' });
  });

  it('reports slots missed while the bot was down in one message and runs none that is too old', async () => {
    h = await startHarness();
    const now = Date.now();
    // A daily cadence whose time of day was 12 hours ago: its newest slot is older than the 2 h catch-up window.
    const last = new Date(now - 12 * 3_600_000);
    const cron = `${last.getUTCMinutes()} ${last.getUTCHours()} * * *`;
    const lastSlot = Date.UTC(
      last.getUTCFullYear(),
      last.getUTCMonth(),
      last.getUTCDate(),
      last.getUTCHours(),
      last.getUTCMinutes(),
    );
    const schedule = createSchedule(
      h,
      { targets: [h.instance('support-02')], cron },
      { nextSlotAt: lastSlot - 2 * 86_400_000 },
    );
    const report = await waitUntil(
      () => runsOf(h!, schedule.id).find((run) => run.status === 'missed' && run.step === 'done'),
      { timeoutMs: 10_000, description: 'the missed report' },
    );
    expect(report.detail.missedSlots).toEqual({ count: 3, first: lastSlot - 2 * 86_400_000, last: lastSlot });
    expect(runsOf(h, schedule.id)).toHaveLength(1);
    const messages = parents(h.slack, CHANNEL);
    expect(messages).toHaveLength(1);
    expect(textOf(messages[0]!)).toContain('3 slots were missed');
    expect(h.sim.requests.map((r) => r.action)).not.toContain('BackupApp');
    expect(h.bot.repos.schedules.get(schedule.id)?.nextSlotAt).toBe(lastSlot + 86_400_000);
  });

  it('runs the newest missed slot once when it is younger than the catch-up window', async () => {
    h = await startHarness();
    const hour = 3_600_000;
    const newest = Math.floor(Date.now() / hour) * hour;
    const schedule = createSchedule(
      h,
      { targets: [h.instance('support-02')], cron: '0 * * * *' },
      { nextSlotAt: newest - 3 * hour },
    );
    const run = await endedRun(h, schedule.id);
    expect(run.detail.slotAt).toBe(newest);
    expect(run.status).toBe('succeeded');
    const all = runsOf(h, schedule.id);
    expect(all.map((r) => r.status).sort()).toEqual(['missed', 'succeeded']);
    expect(all.find((r) => r.status === 'missed')?.detail.missedSlots?.count).toBe(3);
  });

  it('denies a run whose owner lost the right: reported in the channel and the audit trail, nothing stopped', async () => {
    h = await startHarness();
    const schedule = createSchedule(h, { targets: [h.instance('support-01')] }, { ownerId: 'U0BOB' });
    const run = await waitUntil(() => runsOf(h!, schedule.id).find((r) => r.step === 'done'), {
      timeoutMs: 10_000,
      description: 'the denied run reported',
    });
    expect(run.status).toBe('denied');
    const messages = parents(h.slack, CHANNEL);
    expect(messages).toHaveLength(1);
    expect(textOf(messages[0]!)).toContain('did not run');
    expect(textOf(messages[0]!)).toContain('<@U0BOB>');
    const actions = h.sim.requests.map((r) => r.action);
    expect(actions).not.toContain('StopAndroidInstance');
    expect(actions).not.toContain('BackupApp');
    const entry = h.bot.services.audit.recent({}).find((e) => e.requestId === run.id);
    expect(entry?.decision).toBe('denied');
    expect(entry?.outcome).toMatchObject({ status: 'denied' });
  });

  it('attaches the full per-instance table as a file when the run is long, and keeps within the wave', async () => {
    h = await startHarness();
    const ids = Array.from(
      { length: 24 },
      (_, i) => h!.sim.addInstance({ name: `fleet-${i}`, status: 'STOPPED', packages: ['com.tencent.mm'] }).id,
    );
    h.sim.failNextTask(ids[5]!, 'BackupUploadFailed', 'the upload to OSS failed');
    const schedule = createSchedule(h, { targets: ['acp-*'], wave: { kind: 'percent', percent: 25 } });
    const run = await endedRun(h, schedule.id, 40_000);
    // 32 phones matched (the eight default ones too; those without the app fail): a quarter at a time.
    expect(run.detail.waveCount).toBe(8);
    expect(run.detail.peakInFlight).toBeLessThanOrEqual(8);
    const uploads = h.slack.callsTo('files.completeUploadExternal');
    expect(uploads).toHaveLength(1);
    const parent = parents(h.slack, CHANNEL)[0]!;
    expect(JSON.stringify(uploads[0]!.args)).toContain(parent.ts);
  });
});
