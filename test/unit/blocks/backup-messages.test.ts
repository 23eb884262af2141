import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockTextLength, collectTexts, messageLimitProblems, SLACK_LIMITS } from '../../../src/blocks/limits.js';
import {
  backupCompletionReply,
  backupParentMessage,
  backupResultsCsv,
  cloudErrorReply,
  countInstances,
  formatBytes,
  LIST_IN_FULL_UP_TO,
  progressBar,
  slackDate,
  statusText,
} from '../../../src/blocks/messages.js';
import type { BackupRequestView, InstanceProgress, InstanceState } from '../../../src/services/backup/model.js';
import { makeView, manyInstances } from './fixtures.js';

const allText = (message: { text: string; blocks: unknown[] }) =>
  `${message.text}\n${collectTexts(message.blocks).join('\n')}`;

function expectFits(message: { text: string; blocks: unknown[] }) {
  expect(messageLimitProblems(message as never)).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(blockTextLength(message.blocks)).toBeLessThanOrEqual(12_000);
  expect(message.text.trim().length).toBeGreaterThan(0);
}

/** Person text that would ping or link if it reached Slack unescaped. */
const HOSTILE = '<!channel> <@U999> <http://evil.example|click> &amp;';

function expectInert(message: { text: string; blocks: unknown[] }) {
  const text = allText(message);
  expect(text).not.toContain('<!channel>');
  expect(text).not.toContain('<@U999>');
  expect(text).not.toContain('<http://evil');
}

describe('helpers', () => {
  it('formatBytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatBytes(10_227_168)).toBe('9.8 MB');
    expect(formatBytes(123 * 1024 ** 3)).toBe('123 GB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MB');
    expect(formatBytes(undefined)).toBe('unknown size');
    expect(formatBytes(-1)).toBe('unknown size');
    expect(formatBytes(Number.NaN)).toBe('unknown size');
  });
  it('progressBar', () => {
    expect(progressBar(4, 0, 10, 10)).toBe('▰▰▰▰▱▱▱▱▱▱ 40%');
    expect(progressBar(3, 1, 10, 10)).toBe('▰▰▰▰▱▱▱▱▱▱ 40%');
    expect(progressBar(0, 0, 0, 10)).toBe('▱▱▱▱▱▱▱▱▱▱ 0%');
    expect(progressBar(10, 0, 10, 10)).toBe('▰▰▰▰▰▰▰▰▰▰ 100%');
    // Nearly done is not shown as done.
    expect(progressBar(999, 0, 1000, 10)).toBe('▰▰▰▰▰▰▰▰▰▱ 99%');
    expect(progressBar(5, 5, 3, 4)).toBe('▰▰▰▰ 100%');
    expect(progressBar(Number.NaN, -1, 5, 0)).toBe('▱ 0%');
  });
  it('slackDate shows each reader their own time, with an ISO fallback', () => {
    expect(slackDate(new Date('2026-03-01T10:00:00.123Z'))).toBe(
      '<!date^1772359200^{date_short_pretty} at {time}|2026-03-01T10:00:00Z>',
    );
    expect(slackDate(new Date('2026-03-01T10:00:00Z'), '{date_num} {time_secs}')).toBe(
      '<!date^1772359200^{date_num} {time_secs}|2026-03-01T10:00:00Z>',
    );
    expect(slackDate(new Date(Number.NaN))).toBe('an unknown time');
  });
});

describe('backupParentMessage', () => {
  it('says who asked for what, with details, status, progress and times', () => {
    const message = backupParentMessage(makeView({ spec: { ...makeView().spec, backupFileName: 'Nightly' } }));
    expectFits(message);
    const text = allText(message);
    expect(message.text).toContain('<@U0123ABC> asked to back up 2 apps on 3 instances');
    expect(text).toContain('<@U0123ABC> asked to back up *2 apps* on *3 instances*');
    expect(text).toContain('`com.example.app`, `com.example.chat`');
    expect(text).toContain('`acp-a`, `acp-b`, `acp-c`');
    expect(text).toContain('`oss://cloudphone-saved-bucket-demo/backups/`');
    expect(text).toContain('`oss-cn-shanghai-internal.aliyuncs.com`');
    expect(text).toContain('`Nightly`');
    expect(text).toContain('Partly done: 1 of 3 backed up, 1 failed, 1 skipped');
    expect(text).toContain('▰▰▰▰▰▰▰▰▰▰ 100%');
    expect(text).toContain('1 done · 1 failed · 1 skipped');
    expect(text).not.toContain('0 running');
    expect(text).toContain('<!date^1772359200^{date_short_pretty} at {time}|2026-03-01T10:00:00Z>');
    expect(text).toContain('took 13 min');
    expect(text).toContain('`req-42`');
    expect(text).not.toContain('Simulated');
  });

  it('words each status', () => {
    const running = makeView({
      status: 'running',
      finishedAt: undefined,
      instances: [
        { instanceId: 'acp-a', state: 'succeeded' },
        { instanceId: 'acp-b', state: 'stopping' },
        { instanceId: 'acp-c', state: 'submitted' },
        { instanceId: 'acp-d', state: 'failed' },
        { instanceId: 'acp-e', state: 'pending' },
      ],
    });
    const runningText = allText(backupParentMessage(running));
    expect(runningText).toContain('Running: 1 of 5 backed up, 1 failed, 3 in progress; stopping 1 instance first');
    expect(runningText).toContain('▰▰▰▰▱▱▱▱▱▱ 40%');
    expect(runningText).toContain('1 done · 1 failed · 3 running');
    expect(runningText).not.toContain('finished');

    const ok = makeView({
      status: 'succeeded',
      instances: [
        { instanceId: 'acp-a', state: 'succeeded' },
        { instanceId: 'acp-b', state: 'succeeded' },
      ],
    });
    expect(backupParentMessage(ok).text).toContain('Finished: all 2 backed up');
    const received = makeView({
      status: 'received',
      instances: [],
      finishedAt: undefined,
      spec: { ...makeView().spec, instanceIds: ['acp-a', 'acp-b', 'acp-c'] },
    });
    expect(backupParentMessage(received).text).toContain('Received: checking 3 instances');
    const failed = makeView({
      status: 'failed',
      instances: [
        { instanceId: 'acp-a', state: 'failed' },
        { instanceId: 'acp-b', state: 'skipped' },
      ],
    });
    expect(backupParentMessage(failed).text).toContain('Failed: none of the 2 backed up');
    const refused = makeView({
      status: 'failed',
      failure: { code: 'InvalidParameter', message: 'bad <path>', requestId: 'RID-9' },
    });
    const refusedText = allText(backupParentMessage(refused));
    expect(refusedText).toContain('Failed: the cloud phone service refused the request');
    expect(refusedText).toContain('`InvalidParameter`: bad &lt;path&gt; · RequestId `RID-9`');
  });

  it('shows simulated mode', () => {
    const message = backupParentMessage(makeView({ simulated: true }));
    expect(collectTexts(message.blocks[0]).join('')).toContain('Simulated (no real cloud)');
    expect(message.text).toContain('[Simulated]');
  });

  it('escapes person text and a bogus actor id', () => {
    const spec = {
      ...makeView().spec,
      description: `${HOSTILE}\nsecond line`,
      backupFileName: HOSTILE,
      apps: [HOSTILE],
      instanceIds: [HOSTILE],
    };
    const message = backupParentMessage(
      makeView({
        spec,
        actor: { userId: '<!channel>', teamId: 'T' },
        instances: [{ instanceId: HOSTILE, state: 'pending' }],
      }),
    );
    expectInert(message);
    expect(allText(message)).toContain('&lt;!channel&gt;');
    expectFits(message);
  });

  it('truncates long lists with a count and stays within limits at the maximum request', () => {
    const instances = manyInstances(500, 7);
    const spec = {
      ...makeView().spec,
      instanceIds: instances.map((i) => i.instanceId),
      apps: Array.from({ length: 50 }, (_, i) => `com.${'x'.repeat(240)}.a${i}`),
      backupPath: `oss://cloudphone-saved-bucket-demo/${'&<'.repeat(490)}/`,
      description: '&'.repeat(256),
      backupFileName: '<'.repeat(100),
    };
    const message = backupParentMessage(makeView({ spec, instances, status: 'running' }));
    expectFits(message);
    const text = allText(message);
    expect(text).toMatch(/and [\d,]+ more \(500 instances in all\)/);
    expect(text).toMatch(/and \d+ more/);
  });
});

describe('backupCompletionReply', () => {
  it('mentions the person, says a partial outcome plainly and lists every instance, failures first', () => {
    const reply = backupCompletionReply(makeView({ simulated: true }));
    expectFits(reply);
    expect(reply.fullTable).toBeUndefined();
    expect(reply.text).toContain('<@U0123ABC>');
    expect(reply.text).toContain('Partly done: only 1 of 3 instances are backed up; 1 failed and 1 was skipped.');
    const text = allText(reply);
    const failed = text.indexOf('❌ `acp-b` failed: `BackupFailed` disk full (RequestId `RID-B`)');
    const skipped = text.indexOf('⏭️ `acp-c` skipped: instance not found');
    const ok = text.indexOf('✅ `acp-a` → `bf-a1` `a.ab` (9.8 MB)');
    expect(failed).toBeGreaterThan(-1);
    expect(skipped).toBeGreaterThan(failed);
    expect(ok).toBeGreaterThan(skipped);
    expect(text).toContain('Simulated (no real cloud)');
  });

  it('says full success and failure plainly', () => {
    const ok = makeView({
      status: 'succeeded',
      instances: [
        { instanceId: 'acp-a', state: 'succeeded', backupFileId: 'bf-1' },
        { instanceId: 'acp-b', state: 'succeeded', backupFileId: 'bf-2' },
      ],
    });
    expect(backupCompletionReply(ok).text).toContain('Finished: all 2 instances are backed up.');
    const failed = makeView({
      status: 'failed',
      instances: [
        { instanceId: 'acp-a', state: 'failed' },
        { instanceId: 'acp-b', state: 'failed' },
      ],
    });
    const reply = backupCompletionReply(failed);
    expect(reply.text).toContain('The backup failed: none of the 2 instances were backed up.');
    expect(allText(reply)).toContain('❌ `acp-a` failed: no reason given');
  });

  it('words one instance and an all-skipped request as a person would', () => {
    const one = makeView({ status: 'failed', instances: [{ instanceId: 'acp-a', state: 'failed' }] });
    expect(backupCompletionReply(one).text).toContain('The backup failed: the instance was not backed up.');
    expect(allText(backupCompletionReply(one))).not.toContain('none of the 1');
    const skipped = makeView({
      status: 'failed',
      instances: [{ instanceId: 'acp-gone', state: 'skipped', errorCode: 'InstanceNotFound' }],
    });
    const parent = allText(backupParentMessage(skipped));
    expect(parent).toContain('Nothing backed up: 1 skipped');
    expect(parent).not.toContain('0 failed');
    expect(backupCompletionReply(skipped).text).toContain('Nothing was backed up: the instance was skipped.');
  });

  it('names the request once when the outcome is unknown', () => {
    const view = makeView({ status: 'failed' });
    const reply = cloudErrorReply(view, { code: 'Timeout', message: 'no answer', outcomeUnknown: true });
    expect(allText(reply).split(view.id).length - 1).toBe(1);
  });

  it('says whether the bot restarted the instances it stopped', () => {
    const instances: InstanceProgress[] = [
      { instanceId: 'acp-a', state: 'succeeded', stoppedByBot: true, restart: { ok: true } },
      { instanceId: 'acp-b', state: 'succeeded', stoppedByBot: false },
    ];
    const failedRestart = allText(
      backupCompletionReply(
        makeView({
          status: 'succeeded',
          instances: [{ ...instances[0]!, restart: { ok: false, errorCode: 'InvalidStatus.AndroidInstance' } }],
        }),
      ),
    );
    expect(failedRestart).toContain('starting 1 instance again failed');
    expect(failedRestart).toContain(
      '*still off*: stopped by the bot, which could not start it again (`InvalidStatus.AndroidInstance`)',
    );
    const restarted = allText(backupCompletionReply(makeView({ status: 'succeeded', instances })));
    expect(restarted).toContain('The bot stopped 1 running instance for the backup and started it again afterwards.');
    expect(restarted).toContain('`acp-a` → backed up · stopped by the bot and started again');
    const spec = { ...makeView().spec, startAfterBackup: false };
    const leftStopped = allText(backupCompletionReply(makeView({ status: 'succeeded', instances, spec })));
    expect(leftStopped).toContain('left it stopped, as asked');
    const noStop = { ...makeView().spec, stopBeforeBackup: false };
    expect(allText(backupCompletionReply(makeView({ spec: noStop })))).toContain(
      'Running instances were not stopped first, as asked',
    );
  });

  it('puts a phone the bot left off at the top, loudly, to the requester, with a button; never under "Finished"', () => {
    const view = makeView({
      status: 'succeeded',
      instances: [
        {
          instanceId: 'acp-a',
          state: 'succeeded',
          stoppedByBot: true,
          restart: { ok: false, errorCode: 'Forbidden', errorMessage: 'the cloud refused StartAndroidInstance' },
        },
        { instanceId: 'acp-b', state: 'succeeded', stoppedByBot: true, restart: { ok: true } },
      ],
    });
    const reply = backupCompletionReply(view);
    expect(reply.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: '🚨 1 phone the bot stopped is still off' },
    });
    const alarm = JSON.stringify(reply.blocks[1]);
    expect(alarm).toContain(`<@${view.actor.userId}>`);
    expect(alarm).toContain('`acp-a`');
    expect(alarm).not.toContain('acp-b');
    expect(alarm).toContain('the cloud refused StartAndroidInstance');
    expect(reply.blocks[2]).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', text: { text: 'Start it now' }, value: view.id }],
    });
    expect(reply.text).toMatch(/^🚨 1 phone the bot stopped is still off/);
    expect(allText(reply)).not.toContain('Finished');
    expect(statusText(view)).toBe('Needs attention: 1 phone the bot stopped is still off; all 2 backed up');
    expect(JSON.stringify(backupParentMessage(view).blocks)).not.toContain('Finished');
  });

  it('escapes cloud and person text', () => {
    const instances: InstanceProgress[] = [
      { instanceId: 'acp-a', state: 'failed', errorCode: HOSTILE, errorMessage: HOSTILE, requestId: HOSTILE },
      { instanceId: 'acp-b', state: 'succeeded', backupFileId: HOSTILE, backupFileName: HOSTILE },
      { instanceId: 'acp-c', state: 'skipped', errorMessage: HOSTILE },
    ];
    const reply = backupCompletionReply(makeView({ instances, spec: { ...makeView().spec, apps: [HOSTILE] } }));
    expectInert(reply);
    expectFits(reply);
  });

  it('summarises 1,000 instances and attaches the complete table', () => {
    const instances = manyInstances(1000, 3);
    const view = makeView({ instances, spec: { ...makeView().spec, instanceIds: instances.map((i) => i.instanceId) } });
    const reply = backupCompletionReply(view);
    expectFits(reply);
    for (const block of reply.blocks) {
      for (const text of collectTexts(block)) expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    expect(reply.fullTable?.filename).toBe('cloudphone-backup-req-42.csv');
    const rows = (reply.fullTable?.content ?? '').trimEnd().split('\n');
    expect(rows).toHaveLength(1001);
    expect(rows[0]).toBe(
      'instance_id,instance_name,state,backup_file_id,backup_file_name,size_bytes,size,error_code,error_message,request_id,stopped_by_bot,task_id',
    );
    const ids = new Set(rows.slice(1).map((r) => r.split(',')[0]));
    expect(ids.size).toBe(1000);
    // Failures first in the file too.
    expect(rows[1]).toContain(',failed,');
    const text = allText(reply);
    expect(reply.text).toContain('Partly done: only 666 of 1,000 instances are backed up; 334 failed.');
    expect(text).toContain('✅ 666 of 1,000 backed up · ❌ 334 failed');
    expect(text).toContain('Not backed up (334):');
    expect(text).toContain(`…and ${334 - LIST_IN_FULL_UP_TO} more in the attached file`);
    expect(text).toContain('`cloudphone-backup-req-42.csv` lists all 1,000 instances');
    expect(text).not.toContain('✅ `acp-');
  });

  it('attaches the table even when everything succeeded, and when every line is as long as it gets', () => {
    const allOk = manyInstances(1000, 0);
    const ok = backupCompletionReply(makeView({ status: 'succeeded', instances: allOk }));
    expectFits(ok);
    expect(ok.fullTable?.content.trimEnd().split('\n')).toHaveLength(1001);
    expect(ok.text).toContain('Finished: all 1,000 instances are backed up.');

    const worst = manyInstances(1000, 1, '&'.repeat(2000));
    const bad = backupCompletionReply(makeView({ status: 'failed', instances: worst }));
    expectFits(bad);
    expect(bad.fullTable).toBeDefined();
  });

  it('lists every instance of a small request, and collapses one instance more to counts, failures and the file', () => {
    const listedIds = (reply: { text: string; blocks: unknown[] }) =>
      allText(reply).match(/`acp-2ze3abcdefgh\d{4}`/g)?.length ?? 0;
    for (const n of [1, 10, LIST_IN_FULL_UP_TO]) {
      const reply = backupCompletionReply(makeView({ instances: manyInstances(n, 4) }));
      expectFits(reply);
      expect(reply.fullTable).toBeUndefined();
      expect(listedIds(reply)).toBe(n);
    }
    const justOver = backupCompletionReply(makeView({ instances: manyInstances(LIST_IN_FULL_UP_TO + 1, 4) }));
    expectFits(justOver);
    expect(justOver.fullTable?.content.trimEnd().split('\n')).toHaveLength(LIST_IN_FULL_UP_TO + 2);
    // 21 instances failing every fourth: 6 failed (0, 4, …, 20), listed; the 15 backed up are only counted.
    expect(allText(justOver)).toContain('✅ 15 of 21 backed up · ❌ 6 failed');
    expect(listedIds(justOver)).toBe(6);
    expect(allText(justOver)).not.toContain('✅ `acp-');
    expect(allText(justOver)).not.toContain('more in the attached file');
  });

  it('collapses a large request to one line of counts, the first failures and skips, and the rest in the file', () => {
    const instances: InstanceProgress[] = manyInstances(60, 2).map((p, i) =>
      i % 10 === 1 ? { instanceId: p.instanceId, state: 'skipped', errorCode: 'InstanceNotFound' } : p,
    );
    const reply = backupCompletionReply(makeView({ instances }));
    expectFits(reply);
    const text = allText(reply);
    // 30 failed (even i), 6 skipped (i = 1, 11, …, 51), 24 backed up.
    expect(text).toContain('✅ 24 of 60 backed up · ❌ 30 failed · ⏭️ 6 skipped');
    expect(text).toContain('Not backed up (36):');
    const failures = text.match(/❌ `acp-/g) ?? [];
    expect(failures).toHaveLength(LIST_IN_FULL_UP_TO);
    expect(text).not.toContain('⏭️ `acp-');
    expect(text).not.toContain('✅ `acp-');
    expect(text).toContain(`…and ${36 - LIST_IN_FULL_UP_TO} more in the attached file`);
    expect(text).toContain('`cloudphone-backup-req-42.csv` lists all 60 instances');
    const rows = reply.fullTable?.content.trimEnd().split('\n') ?? [];
    expect(rows).toHaveLength(61);
    expect(rows.filter((row) => row.includes(',skipped,'))).toHaveLength(6);

    const allOk = backupCompletionReply(makeView({ status: 'succeeded', instances: manyInstances(60, 0) }));
    expectFits(allOk);
    expect(allText(allOk)).toContain('✅ 60 of 60 backed up');
    expect(allText(allOk)).not.toContain('Not backed up');
    expect(allOk.fullTable?.content.trimEnd().split('\n')).toHaveLength(61);
  });

  it('fits limits for any mix of outcomes and texts (property)', () => {
    const states: InstanceState[] = ['pending', 'skipped', 'stopping', 'submitted', 'succeeded', 'failed'];
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.constantFrom(HOSTILE, '&'.repeat(300)));
    const instance = fc.record(
      {
        instanceId: fc.string({ maxLength: 80 }),
        state: fc.constantFrom(...states),
        backupFileId: text,
        backupFileName: text,
        sizeBytes: fc.oneof(fc.nat(), fc.double()),
        errorCode: text,
        errorMessage: text,
        requestId: text,
        stoppedByBot: fc.boolean(),
      },
      { requiredKeys: ['instanceId', 'state'] },
    );
    const view = fc
      .record({
        instances: fc.array(instance, { maxLength: 300 }),
        status: fc.constantFrom('received', 'running', 'succeeded', 'partial', 'failed') as fc.Arbitrary<
          BackupRequestView['status']
        >,
        simulated: fc.boolean(),
        description: fc.option(text, { nil: undefined }),
        apps: fc.array(text, { maxLength: 50 }),
        failure: fc.option(fc.record({ code: text, message: text, requestId: text, outcomeUnknown: fc.boolean() }), {
          nil: undefined,
        }),
      })
      .map(({ instances, status, simulated, description, apps, failure }) =>
        makeView({
          instances,
          status,
          simulated,
          failure,
          spec: { ...makeView().spec, description, apps, instanceIds: instances.map((i) => i.instanceId) },
        }),
      );
    fc.assert(
      fc.property(view, (v) => {
        for (const message of [
          backupParentMessage(v),
          backupCompletionReply(v),
          cloudErrorReply(v, v.failure ?? { code: 'X', message: 'y' }),
        ]) {
          expectFits(message);
          expectInert(message);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('backupResultsCsv', () => {
  it('quotes commas and quotes, keeps one line per row, and defuses spreadsheet formulas', () => {
    const csv = backupResultsCsv(
      makeView({
        instances: [
          {
            instanceId: 'acp-a',
            state: 'failed',
            errorCode: '=HYPERLINK("x")',
            errorMessage: 'a, "b"\nc',
            requestId: '+1',
          },
        ],
      }),
    );
    const [, row] = csv.trimEnd().split('\n');
    expect(row).toBe(`acp-a,,failed,,,,,"'=HYPERLINK(""x"")","a, ""b"" c",'+1,,`);
  });
});

describe('cloudErrorReply', () => {
  it('gives the code, message and RequestId', () => {
    const reply = cloudErrorReply(makeView({ status: 'failed' }), {
      code: 'InvalidParameter.BackupFilePath',
      message: 'The bucket <x> does not exist',
      requestId: '5F1E-RID',
    });
    expectFits(reply);
    const text = allText(reply);
    expect(reply.text).toContain('<@U0123ABC> Your backup did not start');
    expect(text).toContain(
      '`InvalidParameter.BackupFilePath`: The bucket &lt;x&gt; does not exist · RequestId `5F1E-RID`',
    );
    expect(text).not.toContain('could not tell');
  });

  it('says how to check before retrying when the outcome is unknown', () => {
    const reply = cloudErrorReply(makeView({ status: 'failed', simulated: true }), {
      code: 'OutcomeUnknown',
      message: 'socket hang up',
      outcomeUnknown: true,
    });
    const text = allText(reply);
    expect(text).toContain(
      'the bot could not tell whether the backup started; check `/cloudphone status req-42` before retrying.'.replace(
        'the bot',
        'The bot',
      ),
    );
    expect(text).toContain('Simulated (no real cloud)');
  });
});

describe('countInstances', () => {
  it('counts each outcome, using the asked-for ids before lookup', () => {
    expect(countInstances(makeView())).toMatchObject({ total: 3, succeeded: 1, failed: 1, skipped: 1, running: 0 });
    expect(countInstances(makeView({ instances: [] })).total).toBe(0);
    const before = makeView({ instances: [] });
    expect(countInstances({ ...before, spec: { ...before.spec, instanceIds: ['acp-a', 'acp-b'] } }).total).toBe(2);
  });
});
