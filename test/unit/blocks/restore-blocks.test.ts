import { describe, expect, it } from 'vitest';
import {
  CATALOG_PAGE_SIZE,
  catalogEntryAction,
  catalogMessage,
  decodeCatalogPage,
  encodeCatalogPage,
} from '../../../src/blocks/catalog-messages.js';
import { buildDeleteConfirm, buildDeleteSecondConfirm, deleteResultMessage } from '../../../src/blocks/delete-modal.js';
import { ACTION, BLOCK } from '../../../src/blocks/ids.js';
import { collectTexts, messageLimitProblems, modalLimitProblems } from '../../../src/blocks/limits.js';
import { restoreCompletionReply, restoreParentMessage } from '../../../src/blocks/restore-messages.js';
import {
  backupOption,
  buildRestoreConfirm,
  buildRestoreForm,
  readRestoreConfirm,
  readRestoreForm,
  targetProblemText,
} from '../../../src/blocks/restore-modal.js';
import { statusMessage } from '../../../src/blocks/status-messages.js';
import type { DeleteRecord } from '../../../src/db/delete-requests.js';
import type { CatalogEntry } from '../../../src/services/catalog/service.js';
import type { RestoreRequestView, RestoreTarget } from '../../../src/services/restore/model.js';

const HOSTILE = '<!channel> *bold* `tick` <@U999>';

function target(i: number): RestoreTarget {
  const verdict = i % 3 === 0 ? 'ready' : i % 3 === 1 ? 'needs-start' : 'refused';
  return {
    instanceId: `acp-${String(i).padStart(20, '0')}`,
    verdict,
    state: verdict === 'refused' ? 'skipped' : i % 2 === 0 ? 'succeeded' : 'failed',
    facts: { status: verdict === 'needs-start' ? 'STOPPED' : 'RUNNING', name: `${HOSTILE} ${'x'.repeat(60)}` },
    overwrites: i % 4 === 0 ? ['com.example.app', 'com.example.chat'] : undefined,
    startedByBot: verdict === 'needs-start',
    errorCode: verdict === 'refused' ? 'ImageVersionMismatch' : undefined,
    errorMessage: verdict === 'refused' ? `image version differs ${HOSTILE} ${'y'.repeat(200)}` : undefined,
  };
}

function restoreView(targets: number, overrides: Partial<RestoreRequestView> = {}): RestoreRequestView {
  return {
    id: 'req-abc',
    actor: { userId: 'U0ALICE', teamId: 'T1' },
    channelId: 'C1',
    backup: {
      backupFileId: 'bf-abc',
      name: HOSTILE,
      path: 'oss://cloudphone-saved-bucket-x/b/acp-src_1.ab',
      status: 'AVAILABLE',
      sourceInstanceId: 'acp-src',
      sourceInstanceName: HOSTILE,
      apps: Array.from({ length: 50 }, (_, i) => `com.example.app${i}`),
      sizeBytes: 123_456_789,
      facts: { imageVersion: '3.5.3.867', imageKind: 'public', serverType: 'cpm.gx7.10xlarge', instanceType: 'small' },
      factsOrigin: 'source-now',
    },
    status: 'partial',
    startStopped: true,
    createdAt: new Date(1_700_000_000_000),
    finishedAt: new Date(1_700_000_600_000),
    targets: Array.from({ length: targets }, (_, i) => target(i)),
    simulated: true,
    ...overrides,
  };
}

/** Every line of text a message shows, in order. */
const linesOf = (message: { blocks: unknown[] }) => collectTexts(message.blocks).flatMap((text) => text.split('\n'));

function entry(i: number, verified = false): CatalogEntry {
  return {
    backupFileId: `bf-${String(i).padStart(20, '0')}`,
    name: HOSTILE,
    path: 'oss://b/x.ab',
    status: 'AVAILABLE',
    sourceInstanceId: 'acp-src',
    sourceInstanceName: HOSTILE,
    apps: Array.from({ length: 30 }, (_, k) => `com.example.app${k}`),
    sizeBytes: 1024 * i,
    createdAt: 1_700_000_000_000 - i * 1000,
    listedByCloud: true,
    madeByRequestId: i % 2 === 0 ? 'req-1' : undefined,
    madeByUserId: i % 2 === 0 ? 'U0ALICE' : undefined,
    verifications: verified
      ? {
          manual: {
            kind: 'manual',
            backupFileId: 'x',
            restoreRequestId: 'req-2',
            userId: 'U0BOB',
            at: new Date(0),
            instanceIds: [],
          },
        }
      : undefined,
  };
}

describe('restore, catalog, status and delete blocks', () => {
  it('keep a 100-target confirmation and its messages within Slack limits, with person text escaped', () => {
    const view = restoreView(100);
    const confirm = buildRestoreConfirm(view, { privateMetadata: '{"planId":"req-abc"}' });
    expect(modalLimitProblems(confirm as never)).toEqual([]);
    for (const message of [restoreParentMessage(view), restoreCompletionReply(view)]) {
      expect(messageLimitProblems(message as never)).toEqual([]);
      expect(JSON.stringify(message)).not.toContain('<!channel>');
    }
    expect(JSON.stringify(confirm)).not.toContain('<!channel>');
    expect(JSON.stringify(confirm)).toContain('&lt;!channel&gt;');
  });

  it('offers the verify button only when something was restored, and shows who verified once done', () => {
    const none = restoreView(1, { targets: [{ ...target(0), state: 'failed' }], status: 'failed' });
    expect(JSON.stringify(restoreCompletionReply(none))).not.toContain(ACTION.markVerified);
    const done = restoreView(1, { targets: [{ ...target(0), state: 'succeeded' }], status: 'succeeded' });
    expect(JSON.stringify(restoreCompletionReply(done))).toContain(ACTION.markVerified);
    const verified = restoreCompletionReply({
      ...done,
      verification: {
        kind: 'manual',
        backupFileId: 'bf-abc',
        restoreRequestId: 'req-abc',
        userId: 'U0BOB',
        at: new Date(0),
        instanceIds: [],
      },
    });
    expect(JSON.stringify(verified)).not.toContain(ACTION.markVerified);
    expect(JSON.stringify(verified)).toContain('<@U0BOB>');
    // The completion marker survives the update, so a re-run finds the reply instead of posting again.
    expect(JSON.stringify(verified)).toContain('restore-completion:req-abc');
  });

  it('names in the reply only the targets not restored, with their reasons, while the channel message lists all', () => {
    // Targets 0 and 4 restored, 1 and 3 failed, 2 and 5 refused (skipped); the bot's checks ran on target 0.
    const id = (i: number) => target(i).instanceId;
    const view = restoreView(6, {
      checks: { at: new Date(0), targets: [{ instanceId: id(0), outcome: 'passed', apps: [] }] },
    });
    const reply = restoreCompletionReply(view);
    expect(messageLimitProblems(reply as never)).toEqual([]);
    const lines = linesOf(reply);
    const aboutTarget = (i: number) => lines.filter((line) => line.includes(id(i)));
    // Counted as the sentence counts: the targets the person confirmed (the refused ones are only listed).
    expect(lines).toContain('✅ 2 restored · ❌ 2 failed');
    expect(aboutTarget(1)).toEqual([expect.stringMatching(/^❌ .* failed: no reason given/)]);
    expect(aboutTarget(3)).toEqual([expect.stringMatching(/^❌ .* failed: no reason given/)]);
    expect(aboutTarget(2)).toEqual([
      expect.stringMatching(/^🚫 .* not restored: `ImageVersionMismatch` .*image version differs/),
    ]);
    expect(aboutTarget(5)).toEqual([
      expect.stringMatching(/^🚫 .* not restored: `ImageVersionMismatch` .*image version differs/),
    ]);
    // A restored target is only counted; target 0 appears once more, in its check, which the reply keeps.
    expect(aboutTarget(4)).toEqual([]);
    expect(aboutTarget(0)).toEqual([`✅ \`${id(0)}\``]);
    expect(lines.filter((line) => /^✅ `acp-.* restored/.test(line))).toEqual([]);
    expect(reply.blocks[0]).toMatchObject({ block_id: 'restore-completion:req-abc' });
    const block = (blockId: string) => reply.blocks.find((b) => (b as { block_id?: string }).block_id === blockId);
    expect(block(BLOCK.restoreVerify)).toMatchObject({ elements: [{ action_id: ACTION.markVerified }] });
    // Targets failed: the reply offers to retry them, as a new restore of the same backup.
    expect(block(BLOCK.restoreRetry)).toMatchObject({
      elements: [{ action_id: ACTION.retryFailedRestore, value: 'req-abc' }],
    });

    const parent = linesOf(restoreParentMessage(view));
    for (const i of [0, 1, 2, 3, 4, 5]) expect(parent.some((line) => line.includes(id(i)))).toBe(true);
    expect(parent.find((line) => line.includes(id(4)))).toMatch(/^✅ .* restored/);
  });

  it('lists no target at all in the reply when every target was restored', () => {
    const targets = [0, 3, 6].map((i) => ({ ...target(i), state: 'succeeded' as const }));
    const reply = restoreCompletionReply(restoreView(3, { targets, status: 'succeeded' }));
    expect(reply.text).toContain('The restore finished on all 3 instances.');
    const lines = linesOf(reply);
    expect(lines).toContain('✅ 3 restored');
    for (const t of targets) expect(JSON.stringify(reply)).not.toContain(t.instanceId);
    expect(reply.blocks[0]).toMatchObject({ block_id: 'restore-completion:req-abc' });
    expect(JSON.stringify(reply)).toContain(ACTION.markVerified);
  });

  it('reads the form and the confirmation back, tolerating what Slack may leave out', () => {
    expect(readRestoreForm(undefined)).toEqual({});
    expect(
      readRestoreForm({
        [BLOCK.restoreBackup]: { [ACTION.restoreBackup]: { selected_option: { value: 'bf-1' } } },
        [BLOCK.restoreTargets]: { [ACTION.restoreTargets]: { value: 'acp-1' } },
      }),
    ).toEqual({ backupFileId: 'bf-1', targets: 'acp-1' });
    expect(readRestoreConfirm({})).toEqual({ startStopped: undefined });
    expect(
      readRestoreConfirm({
        [BLOCK.restoreStopped]: { [ACTION.restoreStopped]: { selected_option: { value: 'leave_out' } } },
      }),
    ).toEqual({ startStopped: false });
  });

  it('builds a form with at most 100 backups and the named one selected even when the catalog lacks it', () => {
    const form = buildRestoreForm({
      backups: Array.from({ length: 150 }, (_, i) => entry(i)),
      selected: 'bf-notlisted',
      privateMetadata: '{"channelId":"C1"}',
      simulated: false,
    });
    expect(modalLimitProblems(form as never)).toEqual([]);
    expect(JSON.stringify(form)).toContain('"initial_option"');
    expect(JSON.stringify(form)).toContain('bf-notlisted (not in the catalog)');
  });

  it('pages the catalog within limits, and only accepts page and menu values the bot made', () => {
    const catalog = { entries: Array.from({ length: 30 }, (_, i) => entry(i, i === 3)), truncated: false };
    const first = catalogMessage(catalog, { page: 1 });
    expect(messageLimitProblems(first as never)).toEqual([]);
    expect(first.text).toContain(`page 1 of ${Math.ceil(30 / CATALOG_PAGE_SIZE)}`);
    expect(JSON.stringify(first)).toContain(ACTION.catalogNext);
    expect(JSON.stringify(first)).not.toContain(ACTION.catalogPrev);
    const last = catalogMessage(catalog, { page: 99 });
    expect(last.text).toContain('page 4 of 4');
    expect(catalogMessage(catalog, { instanceId: 'acp-1', page: 1 }).text).toMatch(/^Backups from acp-1: /);
    const value = encodeCatalogPage({ instanceId: 'acp-1', app: 'com.x', page: 2 });
    expect(decodeCatalogPage(value)).toEqual({ instanceId: 'acp-1', app: 'com.x', page: 2 });
    expect(decodeCatalogPage('{"p":0}')).toBeUndefined();
    expect(decodeCatalogPage('not json')).toBeUndefined();
    expect(catalogEntryAction('restore:bf-abc')).toEqual({ kind: 'restore', backupFileId: 'bf-abc' });
    // A fleet in several regions: each backup says where it is.
    const regional = catalogMessage(
      { entries: [{ ...entry(1, false), region: 'ap-southeast-1' }], truncated: false },
      { page: 1 },
    );
    expect(JSON.stringify(regional.blocks)).toContain('in `ap-southeast-1`');
    expect(catalogEntryAction('restore:bf-abc;drop')).toBeUndefined();
  });

  it('builds both delete confirmations and the outcome within limits, naming the never-verified backups', () => {
    const plan: DeleteRecord = {
      id: 'del-1',
      step: 'done',
      stepStartedAt: 0,
      parent: undefined,
      progressPostedAt: undefined,
      progressDigest: undefined,
      simulated: false,
      actor: { userId: 'U0ALICE', teamId: 'T1' },
      channelId: 'C1',
      files: Array.from({ length: 100 }, (_, i) => ({
        backupFileId: `bf-${i}`,
        name: HOSTILE,
        apps: ['com.example.app'],
        status: 'AVAILABLE',
        ...(i % 2 === 0 ? { verifiedBy: { userId: 'U0BOB', at: 0, restoreRequestId: 'req-1' } } : {}),
        ...(i === 99 ? { refused: { code: 'BackupBusy', message: HOSTILE } } : {}),
      })),
      status: 'deleted',
      cloudRequestId: 'R-1',
      errorCode: undefined,
      errorMessage: undefined,
      createdAt: 0,
      confirmedAt: 1,
      finishedAt: 2,
    };
    expect(modalLimitProblems(buildDeleteConfirm(plan, { simulated: true }) as never)).toEqual([]);
    // A person's words, not the API's name.
    expect(JSON.stringify(buildDeleteConfirm(plan, { simulated: false }))).not.toContain('DeleteBackupFile');
    const second = buildDeleteSecondConfirm(plan);
    expect(modalLimitProblems(second as never)).toEqual([]);
    expect(JSON.stringify(second)).toContain('bf-1`');
    expect(JSON.stringify(second)).not.toContain('bf-2`');
    expect(messageLimitProblems(deleteResultMessage(plan) as never)).toEqual([]);
    expect(JSON.stringify(buildDeleteConfirm(plan, { simulated: false }))).not.toContain('<!channel>');
  });

  it('renders every kind of status report within limits', () => {
    const request = restoreView(100);
    for (const report of [
      { kind: 'recent' as const, items: [] },
      { kind: 'restore' as const, request: { ...request, step: 'done' } as never, live: [] },
      { kind: 'task' as const, taskId: 't-1' },
      { kind: 'invoke' as const, cloudRequestId: 'R', tasks: [] },
      { kind: 'not-found' as const, text: HOSTILE },
    ]) {
      const message = statusMessage(report);
      expect(messageLimitProblems(message as never)).toEqual([]);
      expect(JSON.stringify(message)).not.toContain('<!channel>');
    }
  });
});

describe("the restore form's backup choices and targets", () => {
  // 2023-11-14 22:13:20 UTC.
  const made = 1_700_000_000_000;
  const backup = (overrides: Partial<CatalogEntry>): CatalogEntry => ({
    ...entry(0),
    apps: ['com.tencent.mm'],
    sizeBytes: 5 * 1024 * 1024,
    createdAt: made,
    ...overrides,
  });

  it('shows when each backup was made, beside its apps, size and verification', () => {
    const option = backupOption(backup({ verifications: entry(0, true).verifications }));
    expect(option.description?.text).toBe('2023-11-14 22:13 UTC · com.tencent.mm · 5.0 MB · restore verified');
    expect(option.value).toBe(entry(0).backupFileId);
  });

  it('gives way on the apps first when the facts would not fit one option description', () => {
    const apps = Array.from({ length: 30 }, (_, k) => `com.example.app${k}`);
    // Too many names: their count instead, and the date is still there.
    expect(backupOption(backup({ apps })).description?.text).toBe(
      '2023-11-14 22:13 UTC · 30 apps · 5.0 MB · never verified',
    );
    // The longest facts (a backup made elsewhere, never verified, a four-digit size) still leave room for a count.
    const crowded = backupOption(backup({ apps, sizeBytes: 1000 * 1024 * 1024, madeByRequestId: undefined }));
    expect(crowded.description?.text).toBe(
      '2023-11-14 22:13 UTC · 30 apps · 1000 MB · never verified · made elsewhere',
    );
    // With no room even for the count (a backup made elsewhere with a thousand apps), the apps go; the date stays.
    const thousand = Array.from({ length: 1000 }, (_, k) => `com.example.app${k}`);
    expect(
      backupOption(backup({ apps: thousand, sizeBytes: 1000 * 1024 * 1024, madeByRequestId: undefined })).description
        ?.text,
    ).toBe('2023-11-14 22:13 UTC · 1000 MB · never verified · made elsewhere');
    for (const option of [crowded, backupOption(backup({ apps: [`com.${'x'.repeat(200)}`] }))]) {
      expect(option.description?.text.length).toBeLessThanOrEqual(75);
      expect(option.text.text.length).toBeLessThanOrEqual(75);
      expect(option.description?.text).toContain('2023-11-14 22:13 UTC');
    }
    // A backup without a known creation time simply has no date.
    expect(backupOption(backup({ createdAt: undefined })).description?.text).toBe(
      'com.tencent.mm · 5.0 MB · never verified',
    );
  });

  it('offers a target picker beside the typed field and reads both back', () => {
    const form = buildRestoreForm({ backups: [entry(1)], privateMetadata: '{"channelId":"C1"}', simulated: false });
    expect(modalLimitProblems(form as never)).toEqual([]);
    const blocks = form.blocks as { block_id?: string; optional?: boolean; element?: { type: string } }[];
    const picker = blocks.find((b) => b.block_id === BLOCK.restoreTargetPicker);
    expect(picker?.element?.type).toBe('multi_external_select');
    // The typed field is optional so the picker alone can name the targets.
    expect(blocks.find((b) => b.block_id === BLOCK.restoreTargets)?.optional).toBe(true);
    expect(
      readRestoreForm({
        [BLOCK.restoreTargets]: { [ACTION.restoreTargets]: { value: 'support-01' } },
        [BLOCK.restoreTargetPicker]: {
          [ACTION.restoreTargetPicker]: { selected_options: [{ value: 'acp-1' }, null, { value: 'acp-2' }] },
        },
      }),
    ).toEqual({ targets: 'support-01', picked: ['acp-1', 'acp-2'] });
  });

  it('says which typed targets to fix and how', () => {
    expect(targetProblemText({ kind: 'unknown', entries: ['foo'] })).toBe(
      'No instance named `foo` or with that id; pick one from the list.',
    );
    expect(targetProblemText({ kind: 'ambiguous', name: 'web', instanceIds: ['acp-1', 'acp-2'] })).toBe(
      '2 instances are named `web` (`acp-1`, `acp-2`); type the id of the one you mean, or pick it from the list.',
    );
    expect(targetProblemText({ kind: 'unknown', entries: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] })).toContain(
      'and 2 more',
    );
  });
});
