/**
 * The "Back up apps" modal: building it, reading its submitted state, and turning validation messages into the
 * `response_action: 'errors'` answer that shows each message under its field.
 */
import type {
  Checkboxes,
  ContextBlock,
  InputBlock,
  KnownBlock,
  ModalView,
  MultiExternalSelect,
  PlainTextInput,
  PlainTextOption,
  StaticSelect,
} from '@slack/types';
import { z } from 'zod';
import {
  BACKUP_BUCKET_PREFIX,
  BACKUP_LIMITS,
  type BackupField,
  type BackupFieldErrors,
  type BackupRawInput,
  backupFieldErrors,
  EXAMPLES,
} from '../services/backup/input.js';
import { checkPrivateMetadata, plain } from './common.js';
import { mrkdwnToPlain, truncate } from './escape.js';
import { ACTION, BLOCK, type BlockId, CALLBACK, OPTION } from './ids.js';
import { pickedValues } from './instance-options.js';
import { SLACK_LIMITS } from './limits.js';

export interface EndpointChoice {
  value: string;
  label: string;
}

export interface BackupModalOptions {
  /** Values to start from (for example instance ids typed after `/cloudphone backup`). */
  prefill?: Partial<BackupRawInput> | undefined;
  /** What the endpoint and path start as when `prefill` has none. */
  defaults: { uploadEndpoint: string; backupPath: string };
  /** The endpoints a person may pick from (the first 100 usable ones are offered). */
  endpoints: readonly EndpointChoice[];
  /** Carried to the submission handler (channel, thread…): at most 3000 characters. */
  privateMetadata: string;
  /** Says in the modal that the bot runs against the simulator. */
  simulated?: boolean | undefined;
}

/** Which input block shows the message for each field. */
export const FIELD_BLOCKS: Readonly<Record<BackupField, BlockId>> = {
  instanceIds: BLOCK.instances,
  apps: BLOCK.apps,
  uploadEndpoint: BLOCK.endpoint,
  backupPath: BLOCK.path,
  backupFileName: BLOCK.fileName,
  description: BLOCK.description,
};

export const MODAL_TEXT = {
  title: 'Back up apps',
  submit: 'Back up',
  close: 'Cancel',
  stopBefore: 'Stop running instances before the backup',
  stopBeforeDetail: 'Recommended: a running instance can make the backup fail',
  startAfter: 'Start them again afterwards',
  startAfterDetail: 'Only the instances the bot stopped',
} as const;

/**
 * Slack does not document a cap on `initial_value`, but caps what a person may type at 3000 characters; a prefill
 * longer than that is cut at a whole id and the hint says so.
 */
const MAX_INITIAL_VALUE = 3000;

function listText(value: string | readonly string[] | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value.filter((v) => typeof v === 'string').join('\n');
}

/** Whole lines of `text` that fit in `max` characters, and how many lines were left out. */
function fitLines(text: string, max: number): { text: string; kept: number; dropped: number } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let used = 0;
  let kept = 0;
  for (const line of lines) {
    const cost = line.length + (kept > 0 ? 1 : 0);
    if (used + cost > max) break;
    used += cost;
    kept += 1;
  }
  return { text: lines.slice(0, kept).join('\n'), kept, dropped: lines.length - kept };
}

function textInput(
  blockId: BlockId,
  actionId: string,
  label: string,
  options: { initial?: string; multiline?: boolean; optional?: boolean; hint?: string; placeholder?: string },
): InputBlock {
  const element: PlainTextInput = { type: 'plain_text_input', action_id: actionId };
  if (options.multiline) element.multiline = true;
  if (options.initial !== undefined && options.initial.trim() !== '') {
    element.initial_value = truncate(options.initial, MAX_INITIAL_VALUE);
  }
  if (options.placeholder !== undefined)
    element.placeholder = plain(truncate(options.placeholder, SLACK_LIMITS.placeholder));
  const block: InputBlock = { type: 'input', block_id: blockId, label: plain(label), element };
  if (options.optional) block.optional = true;
  if (options.hint !== undefined) block.hint = plain(truncate(options.hint, SLACK_LIMITS.hint));
  return block;
}

function option(value: string, label: string): PlainTextOption {
  return { text: plain(truncate(label.trim() === '' ? value : label, SLACK_LIMITS.optionText)), value };
}

/**
 * The endpoint options: usable values only (non-empty, at most 75 characters, since a cut value would be wrong),
 * deduplicated, the initial one first if the list lacks it, at most 100.
 */
function endpointOptions(
  endpoints: readonly EndpointChoice[],
  initial: string,
): { options: PlainTextOption[]; initial?: PlainTextOption } {
  const usable = (value: unknown): value is string =>
    typeof value === 'string' && value.trim() !== '' && value.length <= SLACK_LIMITS.optionValue;
  const seen = new Set<string>();
  const options: PlainTextOption[] = [];
  for (const choice of Array.isArray(endpoints) ? endpoints : []) {
    if (typeof choice !== 'object' || choice === null || !usable(choice.value) || seen.has(choice.value)) continue;
    seen.add(choice.value);
    options.push(option(choice.value, typeof choice.label === 'string' ? choice.label : choice.value));
  }
  const wanted = initial.trim();
  if (usable(wanted) && !seen.has(wanted)) options.unshift(option(wanted, wanted));
  const capped = options.slice(0, SLACK_LIMITS.selectOptions);
  const selected = capped.find((o) => o.value === wanted);
  return selected === undefined ? { options: capped } : { options: capped, initial: selected };
}

function endpointBlock(endpoints: readonly EndpointChoice[], initial: string): InputBlock {
  const label = 'OSS endpoint';
  const hint = 'Use the -internal endpoint when the bucket is in the same region as the phones.';
  const { options, initial: initialOption } = endpointOptions(endpoints, initial);
  if (options.length === 0) {
    // A select needs at least one option; with none configured, let the person type the host.
    return textInput(BLOCK.endpoint, ACTION.endpoint, label, {
      initial,
      hint,
      placeholder: EXAMPLES.uploadEndpoint,
    });
  }
  const element: StaticSelect = {
    type: 'static_select',
    action_id: ACTION.endpoint,
    options,
    placeholder: plain('Choose an endpoint'),
  };
  if (initialOption !== undefined) element.initial_option = initialOption;
  return { type: 'input', block_id: BLOCK.endpoint, label: plain(label), hint: plain(hint), element };
}

/**
 * Suggestions from the bot as the person types (a block_suggestion request each time): the instances they may back
 * up. With `min_query_length` 0 the list shows as soon as the menu opens.
 */
function instancePickerBlock(): InputBlock {
  const element: MultiExternalSelect = {
    type: 'multi_external_select',
    action_id: ACTION.instancePicker,
    min_query_length: 0,
    max_selected_items: BACKUP_LIMITS.maxInstances,
    placeholder: plain('Search by id or name'),
  };
  return {
    type: 'input',
    block_id: BLOCK.instancePicker,
    optional: true,
    label: plain('Or pick instances'),
    hint: plain('Lists the instances you may back up. Picked and typed instances are backed up together.'),
    element,
  };
}

function optionsBlock(stop: boolean, start: boolean): InputBlock {
  const stopOption: PlainTextOption = {
    text: plain(MODAL_TEXT.stopBefore),
    description: plain(MODAL_TEXT.stopBeforeDetail),
    value: OPTION.stopBefore,
  };
  const startOption: PlainTextOption = {
    text: plain(MODAL_TEXT.startAfter),
    description: plain(MODAL_TEXT.startAfterDetail),
    value: OPTION.startAfter,
  };
  const element: Checkboxes = { type: 'checkboxes', action_id: ACTION.options, options: [stopOption, startOption] };
  const initial = [...(stop ? [stopOption] : []), ...(start ? [startOption] : [])];
  // Slack rejects an empty initial_options; leaving it out means nothing is ticked.
  if (initial.length > 0) element.initial_options = initial;
  // Optional, or Slack would refuse a submission with both boxes cleared.
  return { type: 'input', block_id: BLOCK.options, optional: true, label: plain('Options'), element };
}

/**
 * The backup modal. Throws a RangeError when `privateMetadata` is over Slack's 3000 characters: cutting it would
 * corrupt what the submission handler reads, so that is the caller's bug to fix.
 */
export function buildBackupModal(options: BackupModalOptions): ModalView {
  const { prefill = {}, defaults, endpoints, privateMetadata, simulated = false } = options;
  checkPrivateMetadata(privateMetadata);
  const blocks: KnownBlock[] = [];
  if (simulated) {
    const context: ContextBlock = {
      type: 'context',
      block_id: BLOCK.simulated,
      elements: [
        { type: 'mrkdwn', text: '🧪 *Simulated (no real cloud):* nothing you submit touches a real cloud phone.' },
      ],
    };
    blocks.push(context);
  }

  const instances = fitLines(listText(prefill.instanceIds).replace(/[,;\s]+/g, '\n'), MAX_INITIAL_VALUE);
  const instanceHint =
    `One per line or comma separated, like ${EXAMPLES.instanceId}, or pick them below. Up to ${BACKUP_LIMITS.maxInstances} instances in all.` +
    (instances.dropped > 0
      ? ` Only the first ${instances.kept} of the ${instances.kept + instances.dropped} ids you gave fit here; back up the rest with a second request.`
      : '');
  blocks.push(
    textInput(BLOCK.instances, ACTION.instances, 'Cloud phone instances', {
      initial: instances.text,
      multiline: true,
      // Optional so that a person may use the picker alone; the submission still needs at least one instance.
      optional: true,
      hint: instanceHint,
      placeholder: 'acp-2ze3abc01, acp-2ze3abc02',
    }),
  );
  blocks.push(instancePickerBlock());
  const apps = fitLines(listText(prefill.apps).replace(/[,;\s]+/g, '\n'), MAX_INITIAL_VALUE);
  blocks.push(
    textInput(BLOCK.apps, ACTION.apps, 'Apps (package names)', {
      initial: apps.text,
      multiline: true,
      hint: `One per line or comma separated, like ${EXAMPLES.packageName}. Up to ${BACKUP_LIMITS.maxApps} apps. Each app is backed up with its data.`,
      placeholder: 'com.example.app, com.example.chat',
    }),
  );
  blocks.push(endpointBlock(endpoints, prefill.uploadEndpoint ?? defaults.uploadEndpoint));
  blocks.push(
    textInput(BLOCK.path, ACTION.path, 'OSS folder', {
      initial: prefill.backupPath ?? defaults.backupPath,
      hint: `Like ${EXAMPLES.backupPath}. The cloud phone service only writes to buckets named ${BACKUP_BUCKET_PREFIX}…`,
      placeholder: EXAMPLES.backupPath,
    }),
  );
  blocks.push(
    textInput(BLOCK.fileName, ACTION.fileName, 'Backup file name', {
      ...(prefill.backupFileName !== undefined ? { initial: prefill.backupFileName } : {}),
      optional: true,
      hint: `Up to ${BACKUP_LIMITS.maxFileName} letters, digits, dots, underscores or hyphens. Leave empty to let the service name the files.`,
      placeholder: 'MyBackup',
    }),
  );
  blocks.push(
    textInput(BLOCK.description, ACTION.description, 'Description', {
      ...(prefill.description !== undefined ? { initial: prefill.description } : {}),
      multiline: true,
      optional: true,
      hint: `Up to ${BACKUP_LIMITS.maxDescription} characters; stored with the backups.`,
      placeholder: 'Before the app upgrade',
    }),
  );
  blocks.push(optionsBlock(prefill.stopBeforeBackup !== false, prefill.startAfterBackup !== false));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: 'The bot posts progress in the channel and replies in its thread when every instance is done.',
      },
    ],
  });

  return {
    type: 'modal',
    callback_id: CALLBACK.backupModal,
    title: plain(MODAL_TEXT.title),
    submit: plain(MODAL_TEXT.submit),
    close: plain(MODAL_TEXT.close),
    private_metadata: privateMetadata,
    blocks,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a submission

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The state entry for an element: by its action id, or the block's only entry if the id changed. */
function entry(
  values: Record<string, unknown>,
  blockId: string,
  actionId: string,
): Record<string, unknown> | undefined {
  const block = values[blockId];
  if (!isRecord(block)) return undefined;
  const exact = block[actionId];
  if (isRecord(exact)) return exact;
  const all = Object.values(block);
  return all.length === 1 && isRecord(all[0]) ? all[0] : undefined;
}

function textOf(e: Record<string, unknown> | undefined): string | undefined {
  if (e === undefined) return undefined;
  if (typeof e.value === 'string') return e.value;
  const selected = e.selected_option;
  if (isRecord(selected) && typeof selected.value === 'string') return selected.value;
  return undefined;
}

/**
 * The raw request from a `view_submission`'s `view.state.values`, ready for `validateBackupInput`. Tolerates null
 * values (empty optional inputs), missing and extra blocks. Never throws.
 */
export function readBackupForm(stateValues: unknown): BackupRawInput {
  try {
    const values = isRecord(stateValues) ? stateValues : {};
    const typed = textOf(entry(values, BLOCK.instances, ACTION.instances));
    const picked = pickedValues(entry(values, BLOCK.instancePicker, ACTION.instancePicker)?.selected_options);
    const raw: BackupRawInput = {
      instanceIds: picked.length === 0 ? typed : [...(typed === undefined ? [] : [typed]), ...picked],
      apps: textOf(entry(values, BLOCK.apps, ACTION.apps)),
      uploadEndpoint: textOf(entry(values, BLOCK.endpoint, ACTION.endpoint)),
      backupPath: textOf(entry(values, BLOCK.path, ACTION.path)),
      backupFileName: textOf(entry(values, BLOCK.fileName, ACTION.fileName)),
      description: textOf(entry(values, BLOCK.description, ACTION.description)),
    };
    const checkboxes = entry(values, BLOCK.options, ACTION.options);
    if (checkboxes !== undefined) {
      const selected = Array.isArray(checkboxes.selected_options) ? checkboxes.selected_options : [];
      const ticked = new Set(selected.filter(isRecord).map((o) => o.value));
      raw.stopBeforeBackup = ticked.has(OPTION.stopBefore);
      raw.startAfterBackup = ticked.has(OPTION.startAfter);
    }
    return raw;
  } catch {
    return {};
  }
}

const BackupModalMetadata = z.object({ channelId: z.string().min(1) });

/** What `private_metadata` carries from the slash command to the modal's later requests; undefined if unreadable. */
export function readBackupModalMetadata(raw: string | undefined): { channelId: string } | undefined {
  try {
    const parsed = BackupModalMetadata.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Modal error text: Slack shows it as plain text, so undo the mrkdwn escaping; keep it short. */
const MAX_FIELD_ERROR = 1000;

function isZodError(value: unknown): value is z.ZodError {
  return isRecord(value) && Array.isArray(value.issues);
}

/**
 * The `ack()` body that shows each message under its field. Takes validation (or permission) messages keyed by
 * field, or the ZodError of a failed `BackupForm.safeParse`.
 */
export function fieldErrors(errors: BackupFieldErrors | z.ZodError): {
  response_action: 'errors';
  errors: Record<string, string>;
} {
  const byField = isZodError(errors) ? backupFieldErrors(errors) : errors;
  const out: Record<string, string> = {};
  for (const [field, blockId] of Object.entries(FIELD_BLOCKS) as [BackupField, BlockId][]) {
    const message = byField[field];
    if (typeof message === 'string' && message.trim() !== '') {
      out[blockId] = truncate(mrkdwnToPlain(message), MAX_FIELD_ERROR);
    }
  }
  return { response_action: 'errors', errors: out };
}
