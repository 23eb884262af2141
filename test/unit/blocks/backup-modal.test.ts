import type { Checkboxes, InputBlock, ModalView, PlainTextInput, StaticSelect } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackupModalOptions,
  buildBackupModal,
  FIELD_BLOCKS,
  fieldErrors,
  MODAL_TEXT,
  readBackupForm,
} from '../../../src/blocks/backup-modal.js';
import { ACTION, BLOCK, CALLBACK, OPTION } from '../../../src/blocks/ids.js';
import { collectTexts, modalLimitProblems, SLACK_LIMITS } from '../../../src/blocks/limits.js';
import { BackupForm, validateBackupInput } from '../../../src/services/backup/input.js';
import { submittedState } from './fixtures.js';

const base: BackupModalOptions = {
  defaults: {
    uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
    backupPath: 'oss://cloudphone-saved-bucket-demo/backups/',
  },
  endpoints: [
    { value: 'oss-cn-shanghai-internal.aliyuncs.com', label: 'Shanghai (internal)' },
    { value: 'oss-cn-shanghai.aliyuncs.com', label: 'Shanghai (public)' },
  ],
  privateMetadata: JSON.stringify({ channelId: 'C0123' }),
};

function inputs(view: ModalView): InputBlock[] {
  return view.blocks.filter((b) => b.type === 'input') as InputBlock[];
}

function input(view: ModalView, blockId: string): InputBlock {
  const found = inputs(view).find((b) => b.block_id === blockId);
  if (found === undefined) throw new Error(`no block ${blockId}`);
  return found;
}

describe('buildBackupModal', () => {
  it('fits every modal limit', () => {
    const view = buildBackupModal({ ...base, simulated: true, prefill: { instanceIds: ['acp-a'] } });
    expect(modalLimitProblems(view)).toEqual([]);
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe(CALLBACK.backupModal);
    expect(view.title.text).toBe('Back up apps');
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.submit?.text.length).toBeLessThanOrEqual(24);
    expect(view.close?.text.length).toBeLessThanOrEqual(24);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(view.private_metadata).toBe(base.privateMetadata);
  });

  it('gives every input block a block_id and action_id from ids.ts', () => {
    const view = buildBackupModal(base);
    const blockIds = new Set<string>(Object.values(BLOCK));
    const actionIds = new Set<string>(Object.values(ACTION));
    const seen = inputs(view).map((b) => {
      expect(blockIds.has(String(b.block_id))).toBe(true);
      expect(actionIds.has(String((b.element as { action_id?: string }).action_id))).toBe(true);
      return b.block_id;
    });
    expect(seen).toEqual([
      BLOCK.instances,
      BLOCK.instancePicker,
      BLOCK.apps,
      BLOCK.endpoint,
      BLOCK.path,
      BLOCK.fileName,
      BLOCK.description,
      BLOCK.options,
    ]);
    expect(new Set(seen).size).toBe(seen.length);
    // Every field error has an input block to show under.
    for (const blockId of Object.values(FIELD_BLOCKS)) expect(seen).toContain(blockId);
  });

  it('sets the defaults and the multiline/optional shape of each input', () => {
    const view = buildBackupModal(base);
    const instances = input(view, BLOCK.instances).element as PlainTextInput;
    expect(instances.multiline).toBe(true);
    expect(instances.initial_value).toBeUndefined();
    expect(input(view, BLOCK.instances).hint?.text).toContain('One per line or comma separated');
    expect((input(view, BLOCK.apps).element as PlainTextInput).multiline).toBe(true);
    const endpoint = input(view, BLOCK.endpoint).element as StaticSelect;
    expect(endpoint.type).toBe('static_select');
    expect(endpoint.initial_option?.value).toBe(base.defaults.uploadEndpoint);
    expect(endpoint.options?.map((o) => o.value)).toEqual(base.endpoints.map((e) => e.value));
    expect((input(view, BLOCK.path).element as PlainTextInput).initial_value).toBe(base.defaults.backupPath);
    expect(input(view, BLOCK.fileName).optional).toBe(true);
    expect(input(view, BLOCK.description).optional).toBe(true);
    expect((input(view, BLOCK.description).element as PlainTextInput).multiline).toBe(true);
    // Typed ids or picked ones: either field may be empty, the submission checks that there is at least one.
    expect(input(view, BLOCK.instances).optional).toBe(true);
    const picker = input(view, BLOCK.instancePicker);
    expect(picker.optional).toBe(true);
    expect(picker.element).toMatchObject({
      type: 'multi_external_select',
      action_id: ACTION.instancePicker,
      min_query_length: 0,
      max_selected_items: 500,
    });
  });

  it('has both options, both ticked, with the agreed wording within option limits', () => {
    const block = input(buildBackupModal(base), BLOCK.options);
    expect(block.optional).toBe(true);
    const element = block.element as Checkboxes;
    expect(element.options.map((o) => o.value)).toEqual([OPTION.stopBefore, OPTION.startAfter]);
    expect(element.initial_options?.map((o) => o.value)).toEqual([OPTION.stopBefore, OPTION.startAfter]);
    const [stop, start] = element.options;
    expect(`${stop?.text.text} (${stop?.description?.text.toLowerCase()})`).toBe(
      'Stop running instances before the backup (recommended: a running instance can make the backup fail)',
    );
    expect(start?.text.text).toBe('Start them again afterwards');
    for (const option of element.options) {
      expect(option.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.optionText);
      expect(option.description?.text.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.optionDescription);
      expect(String(option.value).length).toBeLessThanOrEqual(SLACK_LIMITS.optionValue);
    }
  });

  it('prefills from the command, including cleared options', () => {
    const view = buildBackupModal({
      ...base,
      prefill: {
        instanceIds: ['acp-a', 'acp-b'],
        apps: 'com.a.b, com.c.d',
        backupPath: 'oss://cloudphone-saved-bucket-other/x/',
        uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com',
        backupFileName: 'Nightly',
        description: 'before upgrade',
        stopBeforeBackup: false,
        startAfterBackup: true,
      },
    });
    expect((input(view, BLOCK.instances).element as PlainTextInput).initial_value).toBe('acp-a\nacp-b');
    expect((input(view, BLOCK.apps).element as PlainTextInput).initial_value).toBe('com.a.b\ncom.c.d');
    expect((input(view, BLOCK.endpoint).element as StaticSelect).initial_option?.value).toBe(
      'oss-cn-shanghai.aliyuncs.com',
    );
    expect((input(view, BLOCK.path).element as PlainTextInput).initial_value).toBe(
      'oss://cloudphone-saved-bucket-other/x/',
    );
    expect((input(view, BLOCK.fileName).element as PlainTextInput).initial_value).toBe('Nightly');
    expect((input(view, BLOCK.options).element as Checkboxes).initial_options?.map((o) => o.value)).toEqual([
      OPTION.startAfter,
    ]);
    const none = buildBackupModal({ ...base, prefill: { stopBeforeBackup: false, startAfterBackup: false } });
    expect((input(none, BLOCK.options).element as Checkboxes).initial_options).toBeUndefined();
  });

  it('keeps endpoint options within 100, 75-character text and usable values, default first if missing', () => {
    const endpoints = Array.from({ length: 150 }, (_, i) => ({
      value: `oss-region${i}.aliyuncs.com`,
      label: `Region ${i} ${'with a very long label '.repeat(5)}`,
    }));
    endpoints.push({ value: `oss-${'x'.repeat(80)}.aliyuncs.com`, label: 'too long a value' });
    endpoints.push({ value: 'oss-region1.aliyuncs.com', label: 'duplicate' });
    const view = buildBackupModal({ ...base, endpoints });
    const select = input(view, BLOCK.endpoint).element as StaticSelect;
    expect(select.options).toHaveLength(100);
    expect(select.options?.[0]?.value).toBe(base.defaults.uploadEndpoint);
    expect(select.initial_option).toEqual(select.options?.[0]);
    expect(new Set(select.options?.map((o) => o.value)).size).toBe(100);
    expect(modalLimitProblems(view)).toEqual([]);
  });

  it('falls back to a text input when there is no endpoint to offer', () => {
    const view = buildBackupModal({ ...base, endpoints: [], defaults: { ...base.defaults, uploadEndpoint: '' } });
    const element = input(view, BLOCK.endpoint).element as PlainTextInput;
    expect(element.type).toBe('plain_text_input');
    expect(element.action_id).toBe(ACTION.endpoint);
    const state = submittedState(view, {
      [BLOCK.instances]: { [ACTION.instances]: { type: 'plain_text_input', value: 'acp-a' } },
      [BLOCK.apps]: { [ACTION.apps]: { type: 'plain_text_input', value: 'com.a.b' } },
      [BLOCK.endpoint]: { [ACTION.endpoint]: { type: 'plain_text_input', value: 'oss-cn-beijing.aliyuncs.com' } },
    });
    const result = validateBackupInput(readBackupForm(state));
    expect(result.ok && result.spec.uploadEndpoint).toBe('oss-cn-beijing.aliyuncs.com');
  });

  it('says so when simulated', () => {
    expect(collectTexts(buildBackupModal(base).blocks).join(' ')).not.toContain('Simulated');
    const view = buildBackupModal({ ...base, simulated: true });
    expect(view.blocks[0]?.type).toBe('context');
    expect(collectTexts(view.blocks[0]).join(' ')).toContain('Simulated (no real cloud)');
  });

  it('cuts a very long instance prefill at a whole id and says how many were left out', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `acp-2ze3abcdefghij${String(i).padStart(4, '0')}`);
    const view = buildBackupModal({ ...base, prefill: { instanceIds: ids } });
    const block = input(view, BLOCK.instances);
    const initial = (block.element as PlainTextInput).initial_value ?? '';
    expect(initial.length).toBeLessThanOrEqual(3000);
    const kept = initial.split('\n');
    expect(ids.slice(0, kept.length)).toEqual(kept);
    expect(block.hint?.text).toContain(`Only the first ${kept.length} of the 500 ids`);
  });

  it('refuses private_metadata over 3000 characters', () => {
    expect(() => buildBackupModal({ ...base, privateMetadata: 'x'.repeat(3001) })).toThrow(RangeError);
    expect(() => buildBackupModal({ ...base, privateMetadata: 'x'.repeat(3000) })).not.toThrow();
  });
});

describe('readBackupForm → validateBackupInput round trip', () => {
  it('turns the submitted state of the modal into the BackupSpec', () => {
    const view = buildBackupModal({ ...base, prefill: { instanceIds: ['acp-2ze3abc01', 'acp-2ze3abc02'] } });
    const state = submittedState(view, {
      [BLOCK.apps]: {
        [ACTION.apps]: { type: 'plain_text_input', value: 'com.example.app\ncom.example.chat, com.example.app' },
      },
      [BLOCK.description]: { [ACTION.description]: { type: 'plain_text_input', value: 'before the upgrade' } },
      [BLOCK.options]: {
        [ACTION.options]: {
          type: 'checkboxes',
          selected_options: [{ text: { type: 'plain_text', text: MODAL_TEXT.stopBefore }, value: OPTION.stopBefore }],
        },
      },
      'some-extra-block': { whatever: { type: 'plain_text_input', value: 'ignored' } },
    });
    const raw = readBackupForm(state);
    const result = validateBackupInput(raw);
    expect(result).toEqual({
      ok: true,
      spec: {
        instanceIds: ['acp-2ze3abc01', 'acp-2ze3abc02'],
        apps: ['com.example.app', 'com.example.chat'],
        uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
        backupPath: 'oss://cloudphone-saved-bucket-demo/backups/',
        description: 'before the upgrade',
        stopBeforeBackup: true,
        startAfterBackup: false,
      },
    });
    expect(BackupForm.parse(raw)).toEqual(result.ok ? result.spec : undefined);
  });

  it('reads nulls (empty optional inputs) and untouched options', () => {
    const view = buildBackupModal(base);
    const raw = readBackupForm(submittedState(view));
    expect(raw.instanceIds).toBeUndefined();
    expect(raw.backupFileName).toBeUndefined();
    expect(raw.stopBeforeBackup).toBe(true);
    expect(raw.startAfterBackup).toBe(true);
    const cleared = readBackupForm({
      [BLOCK.options]: { [ACTION.options]: { type: 'checkboxes', selected_options: [] } },
    });
    expect(cleared.stopBeforeBackup).toBe(false);
    expect(cleared.startAfterBackup).toBe(false);
  });

  it('backs up picked and typed instances together, each once', () => {
    const view = buildBackupModal({ ...base, prefill: { instanceIds: ['acp-typed1', 'acp-both'] } });
    const picked = (...ids: string[]) => ({
      [BLOCK.instancePicker]: {
        [ACTION.instancePicker]: {
          type: 'multi_external_select',
          selected_options: ids.map((id) => ({ text: { type: 'plain_text', text: `${id} (Running)` }, value: id })),
        },
      },
    });
    const apps = { [BLOCK.apps]: { [ACTION.apps]: { type: 'plain_text_input', value: 'com.example.app' } } };
    const both = validateBackupInput(
      readBackupForm(submittedState(view, { ...apps, ...picked('acp-both', 'acp-pick1') })),
    );
    expect(both.ok && both.spec.instanceIds).toEqual(['acp-typed1', 'acp-both', 'acp-pick1']);

    const noneTyped = { [BLOCK.instances]: { [ACTION.instances]: { type: 'plain_text_input', value: null } } };
    const onlyPicked = validateBackupInput(
      readBackupForm(submittedState(view, { ...apps, ...noneTyped, ...picked('acp-pick1') })),
    );
    expect(onlyPicked.ok && onlyPicked.spec.instanceIds).toEqual(['acp-pick1']);

    // A picked value is checked like a typed one: the picker's options are the bot's, but the request is not.
    const forged = validateBackupInput(
      readBackupForm(submittedState(view, { ...apps, ...noneTyped, ...picked('x; rm') })),
    );
    expect(forged.ok).toBe(false);

    const neither = validateBackupInput(readBackupForm(submittedState(view, { ...apps, ...noneTyped, ...picked() })));
    if (neither.ok) throw new Error('expected an error');
    expect(fieldErrors(neither.errors).errors[BLOCK.instances]).toMatch(/at least one/);
  });

  it('maps the errors of a bad submission to the blocks they belong under', () => {
    const view = buildBackupModal(base);
    const state = submittedState(view, {
      [BLOCK.instances]: { [ACTION.instances]: { type: 'plain_text_input', value: 'acp_123 <!channel>' } },
      [BLOCK.path]: { [ACTION.path]: { type: 'plain_text_input', value: 'oss://my-bucket/x/' } },
    });
    const result = validateBackupInput(readBackupForm(state));
    if (result.ok) throw new Error('expected errors');
    const ack = fieldErrors(result.errors);
    expect(ack.response_action).toBe('errors');
    expect(Object.keys(ack.errors).sort()).toEqual([BLOCK.apps, BLOCK.instances, BLOCK.path].sort());
    // Modal errors are plain text: no backticks shown literally, entities decoded so the person sees what they typed.
    expect(ack.errors[BLOCK.instances]).toContain('acp_123 is not an instance id: ids look like acp-2ze3abc…');
    expect(ack.errors[BLOCK.instances]).not.toContain('`');
    expect(ack.errors[BLOCK.instances]).toContain('<!channel> is not an instance id');
    expect(ack.errors[BLOCK.path]).toContain('cloudphone-saved-bucket-');
    // The house-style listener passes the ZodError straight through.
    const parsed = BackupForm.safeParse(readBackupForm(state));
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(fieldErrors(parsed.error)).toEqual(ack);
  });

  it('never throws on hostile state and always yields an object (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (state) => {
        const raw = readBackupForm(state);
        expect(typeof raw).toBe('object');
        const result = validateBackupInput(raw);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    const hostile = {
      get [BLOCK.instances]() {
        throw new Error('boom');
      },
    };
    expect(readBackupForm(hostile)).toEqual({});
    expect(
      readBackupForm({ [BLOCK.instances]: { other_action: { type: 'plain_text_input', value: 'acp-a' } } }),
    ).toMatchObject({
      instanceIds: 'acp-a',
    });
    expect(readBackupForm({ [BLOCK.instances]: null, [BLOCK.apps]: { [ACTION.apps]: { value: 5 } } })).toMatchObject({
      instanceIds: undefined,
      apps: undefined,
    });
  });

  it('fieldErrors keeps messages short and ignores unknown keys', () => {
    const ack = fieldErrors({ apps: 'x'.repeat(5000), nonsense: 'y' } as never);
    expect(Object.keys(ack.errors)).toEqual([BLOCK.apps]);
    expect(ack.errors[BLOCK.apps]?.length).toBeLessThanOrEqual(1000);
  });
});
