/**
 * The restore modal: the form (backup picked from the catalog, targets typed by name or id or picked from a list, the
 * uninstall warning), the confirmation that names what will be overwritten and what is refused and why (with the
 * choice for stopped targets), and the short notice views shown while the bot asks the cloud. Readers for each
 * submission.
 */
import type { InputBlock, KnownBlock, ModalView, PlainTextOption, RadioButtons, StaticSelect } from '@slack/types';
import type { CloudFailure } from '../services/backup/model.js';
import type { CatalogEntry } from '../services/catalog/service.js';
import { latestVerification, type RestoreRequestView, type RestoreTarget } from '../services/restore/model.js';
import { MAX_RESTORE_TARGETS, type RestoreFormErrors } from '../services/restore/service.js';
import type { TargetProblem } from '../services/restore/targets.js';
import {
  appsText,
  backupTitle,
  checkPrivateMetadata,
  code,
  context,
  failureText,
  noticeView,
  packedSections,
  plain,
  SIMULATED_NOTE,
  section,
} from './common.js';
import { inlineCode, mrkdwnToPlain, truncate } from './escape.js';
import { formatBytes } from './format.js';
import { ACTION, BLOCK, CALLBACK, CHOICE, COMMAND } from './ids.js';
import { pickedValues } from './instance-options.js';
import { SLACK_LIMITS } from './limits.js';
import { backupDetails, factsOriginText, factsText, reasonText, targetName } from './restore-text.js';

export const RESTORE_TEXT = {
  title: 'Restore apps',
  submitForm: 'Check targets',
  submitConfirm: 'Restore',
  close: 'Cancel',
  warning:
    '⚠️ *A restore replaces apps.* On each target, any existing copy of the backed-up apps is *uninstalled first, with its data*, then the backed-up version is installed. Targets must run the same image version, the same kind of image (public or custom), and the same instance type and architecture as the backed-up instance, and must be running.',
} as const;

export function restoreLoadingView(simulated: boolean): ModalView {
  return noticeView({
    callbackId: CALLBACK.restoreLoading,
    title: RESTORE_TEXT.title,
    text: '⏳ Looking up the backups you can restore…',
    simulated,
  });
}

export function restoreCheckingView(backupFileId: string, targets: number, simulated: boolean): ModalView {
  return noticeView({
    callbackId: CALLBACK.restoreChecking,
    title: RESTORE_TEXT.title,
    text: `⏳ Checking ${targets === 1 ? 'the target' : `${targets} targets`} against backup ${code(backupFileId)}: image version, image kind, instance type, architecture, whether each is running, and which of the backup's apps each already has…`,
    simulated,
  });
}

/** `/cloudphone restore bf-…` naming a backup the catalog does not have (or cannot restore): no form, just why. */
export function unknownBackupView(backupFileId: string, simulated: boolean): ModalView {
  return noticeView({
    callbackId: CALLBACK.restoreNotice,
    title: RESTORE_TEXT.title,
    text: `❌ There is no backup ${inlineCode(backupFileId, 70)} that you can restore: it is not in the catalog, not in your scope, or its status does not allow a restore. \`${COMMAND} backups\` lists the backups and their ids.`,
    simulated,
  });
}

/** `2026-12-05 14:03 UTC`: option text is plain, so no Slack date token; absolute, so it reads the same tomorrow. */
export function compactUtc(ms: number): string | undefined {
  const date = new Date(ms);
  if (!Number.isFinite(date.getTime())) return undefined;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const SEPARATOR = ' · ';

/**
 * A backup as a choice: its id and source, then the facts that tell backups apart (when it was made, its apps, size,
 * whether a restore from it was ever verified). The facts must fit one option description (75 characters); the apps
 * give way first, from their names to their count to nothing, since the date and the verification are what a person
 * choosing between backups of one instance compares.
 */
export function backupOption(entry: CatalogEntry): PlainTextOption {
  const source = entry.sourceInstanceName ?? entry.sourceInstanceId ?? 'unknown source';
  const text = truncate(`${entry.backupFileId} · ${source}`, SLACK_LIMITS.optionText);
  const created = entry.createdAt !== undefined ? compactUtc(entry.createdAt) : undefined;
  const after = [
    ...(entry.sizeBytes !== undefined ? [formatBytes(entry.sizeBytes)] : []),
    latestVerification(entry.verifications) ? 'restore verified' : 'never verified',
    ...(entry.madeByRequestId ? [] : ['made elsewhere']),
  ];
  const fixed = [...(created ? [created] : []), ...after].join(SEPARATOR);
  const room = SLACK_LIMITS.optionDescription - fixed.length - SEPARATOR.length;
  const count = `${entry.apps.length} app${entry.apps.length === 1 ? '' : 's'}`;
  const names = entry.apps.join(', ');
  const apps = entry.apps.length > 0 && names.length <= room ? names : count.length <= room ? count : undefined;
  const facts = [...(created ? [created] : []), ...(apps ? [apps] : []), ...after].join(SEPARATOR);
  return {
    text: plain(text),
    description: plain(truncate(facts, SLACK_LIMITS.optionDescription)),
    value: entry.backupFileId,
  };
}

export interface RestoreFormOptions {
  backups: readonly CatalogEntry[];
  /** The backup named in the command, selected (added when the catalog lacks it). */
  selected?: string | undefined;
  /** Targets filled in (a retry of a restore's failed targets). */
  targets?: readonly string[] | undefined;
  cloudError?: CloudFailure | undefined;
  privateMetadata: string;
  simulated: boolean;
}

/** The restore form. Without any backup to offer, a notice instead (no submit). */
export function buildRestoreForm(options: RestoreFormOptions): ModalView {
  checkPrivateMetadata(options.privateMetadata);
  const choices = options.backups.slice(0, SLACK_LIMITS.selectOptions).map(backupOption);
  if (options.selected && !choices.some((choice) => choice.value === options.selected)) {
    choices.unshift({
      text: plain(truncate(`${options.selected} (not in the catalog)`, SLACK_LIMITS.optionText)),
      value: options.selected,
    });
    choices.splice(SLACK_LIMITS.selectOptions);
  }
  const blocks: KnownBlock[] = [];
  if (options.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(section(RESTORE_TEXT.warning));
  if (options.cloudError) {
    blocks.push(
      context(
        `The cloud could not be asked for its backups (${failureText(options.cloudError)}); only the bot's own records are offered.`,
      ),
    );
  }
  if (choices.length === 0) {
    blocks.push(section('There are no backups to restore. Make one with `/cloudphone backup`.'));
    return {
      type: 'modal',
      callback_id: CALLBACK.restoreForm,
      title: plain(RESTORE_TEXT.title),
      close: plain('Close'),
      private_metadata: options.privateMetadata,
      blocks,
    };
  }
  const select: StaticSelect = {
    type: 'static_select',
    action_id: ACTION.restoreBackup,
    placeholder: plain('Choose a backup'),
    options: choices,
  };
  const initial = choices.find((choice) => choice.value === options.selected);
  if (initial) select.initial_option = initial;
  const backupBlock: InputBlock = {
    type: 'input',
    block_id: BLOCK.restoreBackup,
    label: plain('Backup'),
    hint: plain('Newest first. Every app in the backup is restored, each with its data.'),
    element: select,
  };
  const targetsBlock: InputBlock = {
    type: 'input',
    block_id: BLOCK.restoreTargets,
    // Optional so that a person may use the picker alone; the submission still needs at least one target.
    optional: true,
    label: plain('Target instances'),
    hint: plain(
      `Instance names or ids, one per line or comma separated, or pick them below. Up to ${MAX_RESTORE_TARGETS} in all. The next step checks each one and shows what would be overwritten before anything happens.`,
    ),
    element: {
      type: 'plain_text_input',
      action_id: ACTION.restoreTargets,
      multiline: true,
      placeholder: plain('support-01, acp-2ze3abc02'),
      ...(options.targets && options.targets.length > 0 ? { initial_value: options.targets.join('\n') } : {}),
    },
  };
  // The backup form's picker, asking for the instances the person may restore onto (src/options/instance-picker.ts).
  const pickerBlock: InputBlock = {
    type: 'input',
    block_id: BLOCK.restoreTargetPicker,
    optional: true,
    label: plain('Or pick targets'),
    hint: plain('Lists the instances you may restore onto. Picked and typed targets are restored together.'),
    element: {
      type: 'multi_external_select',
      action_id: ACTION.restoreTargetPicker,
      min_query_length: 0,
      max_selected_items: MAX_RESTORE_TARGETS,
      placeholder: plain('Search by name or id'),
    },
  };
  blocks.push(backupBlock, targetsBlock, pickerBlock);
  return {
    type: 'modal',
    callback_id: CALLBACK.restoreForm,
    title: plain(RESTORE_TEXT.title),
    submit: plain(RESTORE_TEXT.submitForm),
    close: plain(RESTORE_TEXT.close),
    private_metadata: options.privateMetadata,
    blocks,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stateEntry(values: unknown, blockId: string, actionId: string): Record<string, unknown> | undefined {
  if (!isRecord(values)) return undefined;
  const block = values[blockId];
  if (!isRecord(block)) return undefined;
  const entry = block[actionId];
  return isRecord(entry) ? entry : undefined;
}

function selectedValue(entry: Record<string, unknown> | undefined): string | undefined {
  const selected = entry?.selected_option;
  return isRecord(selected) && typeof selected.value === 'string' ? selected.value : undefined;
}

/** The form's raw values: the backup, the typed targets and the picked instance ids; never throws. */
export function readRestoreForm(values: unknown): { backupFileId?: string; targets?: string; picked?: string[] } {
  const backupFileId = selectedValue(stateEntry(values, BLOCK.restoreBackup, ACTION.restoreBackup));
  const targets = stateEntry(values, BLOCK.restoreTargets, ACTION.restoreTargets)?.value;
  const picked = pickedValues(
    stateEntry(values, BLOCK.restoreTargetPicker, ACTION.restoreTargetPicker)?.selected_options,
  );
  return {
    ...(backupFileId !== undefined ? { backupFileId } : {}),
    ...(typeof targets === 'string' ? { targets } : {}),
    ...(picked.length > 0 ? { picked } : {}),
  };
}

/** Shows at most this many of the entries that need fixing; the rest are counted. */
const MAX_NAMED_ENTRIES = 5;

function entriesText(entries: readonly string[]): string {
  const shown = entries.slice(0, MAX_NAMED_ENTRIES).map((entry) => inlineCode(entry, 60));
  const more = entries.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** What to fix under the targets field when typed entries name no instance, or not just one. */
export function targetProblemText(problem: TargetProblem): string {
  switch (problem.kind) {
    case 'unknown':
      return problem.entries.length === 1
        ? `No instance named ${entriesText(problem.entries)} or with that id; pick one from the list.`
        : `No instances named ${entriesText(problem.entries)} or with those ids; pick them from the list.`;
    case 'ambiguous':
      return `${problem.instanceIds.length} instances are named ${inlineCode(problem.name, 60)} (${entriesText(problem.instanceIds)}); type the id of the one you mean, or pick it from the list.`;
    case 'not-listed':
      return `The bot has no list of instances yet, so it cannot look up ${entriesText(problem.entries)} by name; type the id instead, or try again in a moment.`;
    case 'malformed':
      return problem.message;
  }
}

/** Ids the cloud has no instance for (at least one), refused under the targets field. */
export function unknownTargetIdsText(instanceIds: readonly string[]): string {
  return targetProblemText({ kind: 'unknown', entries: [...instanceIds] });
}

/** Field errors under the form's inputs (plain text, short). */
export function restoreFormErrors(errors: RestoreFormErrors): {
  response_action: 'errors';
  errors: Record<string, string>;
} {
  const out: Record<string, string> = {};
  if (errors.backup) out[BLOCK.restoreBackup] = truncate(mrkdwnToPlain(errors.backup), 1000);
  if (errors.targets) out[BLOCK.restoreTargets] = truncate(mrkdwnToPlain(errors.targets), 1000);
  return { response_action: 'errors', errors: out };
}

// ---------------------------------------------------------------------------------------------------------------
// The confirmation

/** Sections of at most 3000 characters holding a heading and its lines. */
function packed(heading: string, lines: readonly string[]): KnownBlock[] {
  return packedSections(heading, lines, SLACK_LIMITS.sectionText);
}

function overwriteLine(target: RestoreTarget): string {
  const who = targetName(target);
  if (target.overwrites === undefined) {
    return `• ${who}: any copy of these apps on it is uninstalled first (the bot could not list its apps)`;
  }
  if (target.overwrites.length === 0) return `• ${who}: none of these apps is installed; they are installed`;
  return `• ${who}: ⚠️ ${appsText(target.overwrites, 400)} ${target.overwrites.length === 1 ? 'is' : 'are'} *uninstalled with ${target.overwrites.length === 1 ? 'its' : 'their'} data* and replaced by the backed-up version`;
}

/**
 * The confirmation: the backup and the facts targets must match, then each group of targets: ready (with what is
 * overwritten on each), stopped (with the choice to start them first or leave them out), refused (with why; nothing
 * is sent to them). Without anything to restore, no submit button.
 */
export function buildRestoreConfirm(plan: RestoreRequestView, options: { privateMetadata: string }): ModalView {
  checkPrivateMetadata(options.privateMetadata);
  const ready = plan.targets.filter((t) => t.verdict === 'ready');
  const stopped = plan.targets.filter((t) => t.verdict === 'needs-start');
  const refused = plan.targets.filter((t) => t.verdict === 'refused');
  const blocks: KnownBlock[] = [];
  if (plan.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(
    section(`*Restore* ${backupTitle(plan.backup)}\n${appsText(plan.backup.apps, 600)}\n${backupDetails(plan.backup)}`),
  );
  blocks.push(
    context(`Targets must match: ${factsText(plan.backup.facts)}. Source facts ${factsOriginText(plan.backup)}.`),
  );
  if (ready.length + stopped.length > 0) {
    blocks.push(
      section(
        `⚠️ *What will be overwritten:* on each target below, any existing copy of ${appsText(plan.backup.apps, 400)} is uninstalled first, *with its data*, then the backed-up version is installed. Changes made on these instances since the backup are lost.`,
      ),
    );
  }
  if (ready.length > 0) {
    blocks.push(...packed(`*Ready: running and compatible (${ready.length})*`, ready.map(overwriteLine)));
  }
  if (stopped.length > 0) {
    blocks.push(
      ...packed(
        `*Stopped (${stopped.length}):* compatible, but a restore needs them running`,
        stopped.map(
          (t) =>
            `• ${targetName(t)} is ${code(t.facts?.status ?? 'not running', 30)}; once started, any copy of these apps on it is uninstalled first`,
        ),
      ),
    );
    const startOption: PlainTextOption = {
      text: plain(`Start ${stopped.length === 1 ? 'it' : 'them'} first, then restore`),
      description: plain(
        stopped.length === 1
          ? 'The bot starts it, waits until it runs, then restores'
          : 'The bot starts them, waits until they run, then restores',
      ),
      value: CHOICE.startFirst,
    };
    const leaveOption: PlainTextOption = {
      text: plain(`Leave ${stopped.length === 1 ? 'it' : 'them'} out`),
      description: plain('Restore only onto the running targets'),
      value: CHOICE.leaveOut,
    };
    const radio: RadioButtons = {
      type: 'radio_buttons',
      action_id: ACTION.restoreStopped,
      options: ready.length > 0 ? [startOption, leaveOption] : [startOption],
    };
    blocks.push({
      type: 'input',
      block_id: BLOCK.restoreStopped,
      label: plain(stopped.length === 1 ? 'The stopped target' : `The ${stopped.length} stopped targets`),
      element: radio,
    });
  }
  if (refused.length > 0) {
    blocks.push(
      ...packed(
        `*Refused (${refused.length}):* nothing is sent to ${refused.length === 1 ? 'it' : 'these'}`,
        refused.map((t) => `• ${targetName(t)}: ${reasonText(t)}`),
      ),
    );
  }
  const restorable = ready.length + stopped.length > 0;
  if (!restorable) blocks.push(context('Nothing here can be restored, so there is nothing to confirm.'));
  else {
    blocks.push(
      context(
        'The bot checks every target once more just before it restores, posts progress in the channel, and replies in the thread when it is done.',
      ),
    );
  }
  return {
    type: 'modal',
    callback_id: CALLBACK.restoreConfirm,
    title: plain(RESTORE_TEXT.title),
    ...(restorable ? { submit: plain(RESTORE_TEXT.submitConfirm) } : {}),
    close: plain(restorable ? RESTORE_TEXT.close : 'Close'),
    private_metadata: options.privateMetadata,
    blocks: blocks.slice(0, SLACK_LIMITS.modalBlocks),
  };
}

/** The choice for stopped targets: true (start first), false (leave out), undefined (no choice shown or made). */
export function readRestoreConfirm(values: unknown): { startStopped: boolean | undefined } {
  const value = selectedValue(stateEntry(values, BLOCK.restoreStopped, ACTION.restoreStopped));
  return { startStopped: value === CHOICE.startFirst ? true : value === CHOICE.leaveOut ? false : undefined };
}

/** Whether the confirmation shows the stopped-targets choice (an input block errors can go under). */
export function confirmHasChoice(plan: RestoreRequestView): boolean {
  return plan.targets.some((t) => t.verdict === 'needs-start');
}
