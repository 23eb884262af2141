/**
 * The "Schedule backups" modal: building it (with a preview of the next three runs and how many instances the targets
 * match now), reading what was typed, and field errors for `response_action: 'errors'` (plain text under each field).
 *
 * The cron, time zone and targets inputs have `dispatch_action`: Slack sends a block action as the person types
 * (`on_character_entered`) or presses Enter, and the bot answers with `views.update` of the preview. Inputs keep what
 * was typed across that update because their block and action ids stay the same (the typed values are also given
 * back as initial values).
 */
import type { InputBlock, KnownBlock, ModalView, PlainTextInput } from '@slack/types';
import { z } from 'zod';
import { EXAMPLES } from '../services/backup/input.js';
import { CADENCE_EXAMPLE, cadenceInWords } from '../services/schedules/cadence.js';
import type { SchedulePreview } from '../services/schedules/service.js';
import {
  SCHEDULE_DEFAULTS,
  type ScheduleField,
  type ScheduleFieldErrors,
  type ScheduleRawInput,
  type ScheduleSpec,
} from '../services/schedules/spec.js';
import { checkPrivateMetadata, context, plain, SIMULATED_NOTE, section } from './common.js';
import { inlineCode, mrkdwnToPlain, truncate } from './escape.js';
import { plural, slackDate } from './format.js';
import { ACTION, BLOCK, CALLBACK } from './ids.js';
import { SLACK_LIMITS } from './limits.js';

export const SCHEDULE_MODAL_TEXT = {
  title: 'Schedule backups',
  changeTitle: 'Change schedule',
  submit: 'Save schedule',
  close: 'Cancel',
} as const;

/** Which input shows the message for each field (a description has no field of its own: under the name). */
const FIELD_BLOCKS: Readonly<Record<ScheduleField, string>> = {
  name: BLOCK.scheduleName,
  targets: BLOCK.scheduleTargets,
  apps: BLOCK.scheduleApps,
  backupPath: BLOCK.schedulePath,
  uploadEndpoint: BLOCK.scheduleEndpoint,
  cron: BLOCK.scheduleCron,
  timeZone: BLOCK.scheduleTimeZone,
  keep: BLOCK.scheduleKeep,
  maxAge: BLOCK.scheduleMaxAge,
  wave: BLOCK.scheduleWave,
  channel: BLOCK.scheduleChannel,
  description: BLOCK.scheduleName,
};

/** The channel the form was opened from; with `scheduleName`, the form changes that schedule. */
const ScheduleMetadata = z.object({ channelId: z.string(), scheduleName: z.string().optional() });
export type ScheduleModalMetadata = z.infer<typeof ScheduleMetadata>;

export function readScheduleModalMetadata(raw: string | undefined): ScheduleModalMetadata | undefined {
  try {
    const parsed = ScheduleMetadata.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Each message under its field, as plain text (Slack shows field errors without formatting). */
export function scheduleFieldErrors(errors: ScheduleFieldErrors): {
  response_action: 'errors';
  errors: Record<string, string>;
} {
  const out: Record<string, string> = {};
  for (const [field, message] of Object.entries(errors) as [ScheduleField, string | undefined][]) {
    if (!message) continue;
    const block = FIELD_BLOCKS[field];
    const text = mrkdwnToPlain(message);
    out[block] = out[block] ? `${out[block]} ${text}` : text;
  }
  return { response_action: 'errors', errors: out };
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A saved schedule as the form's fields show it (to change it). */
export function rawFromSpec(spec: ScheduleSpec): ScheduleRawInput {
  const { keep, maxAgeMs } = spec.retention;
  const maxAge =
    maxAgeMs === undefined
      ? undefined
      : maxAgeMs % DAY_MS === 0
        ? `${maxAgeMs / DAY_MS}d`
        : `${Math.round(maxAgeMs / HOUR_MS)}h`;
  return {
    name: spec.name,
    targets: spec.targets.join(', '),
    apps: spec.apps.join(', '),
    backupPath: spec.backupPath,
    uploadEndpoint: spec.uploadEndpoint,
    cron: spec.cron,
    timeZone: spec.timeZone,
    keep: keep === undefined ? undefined : String(keep),
    maxAge,
    wave: spec.wave.kind === 'count' ? String(spec.wave.count) : `${spec.wave.percent}%`,
    channelId: spec.channelId,
  };
}

type StateValues = Record<string, Record<string, { value?: string | null; selected_conversation?: string | null }>>;

/** What the form holds now (on submission, or on a keystroke in a previewed input). */
export function readScheduleForm(values: StateValues): ScheduleRawInput {
  const text = (block: string, action: string): string | undefined => values[block]?.[action]?.value ?? undefined;
  return {
    name: text(BLOCK.scheduleName, ACTION.scheduleName),
    targets: text(BLOCK.scheduleTargets, ACTION.scheduleTargets),
    apps: text(BLOCK.scheduleApps, ACTION.scheduleApps),
    backupPath: text(BLOCK.schedulePath, ACTION.schedulePath),
    uploadEndpoint: text(BLOCK.scheduleEndpoint, ACTION.scheduleEndpoint),
    cron: text(BLOCK.scheduleCron, ACTION.scheduleCron),
    timeZone: text(BLOCK.scheduleTimeZone, ACTION.scheduleTimeZone),
    keep: text(BLOCK.scheduleKeep, ACTION.scheduleKeep),
    maxAge: text(BLOCK.scheduleMaxAge, ACTION.scheduleMaxAge),
    wave: text(BLOCK.scheduleWave, ACTION.scheduleWave),
    channelId: values[BLOCK.scheduleChannel]?.[ACTION.scheduleChannel]?.selected_conversation ?? undefined,
  };
}

function input(
  blockId: string,
  actionId: string,
  label: string,
  options: { initial?: string | undefined; optional?: boolean; hint?: string; placeholder?: string; live?: boolean },
): InputBlock {
  const element: PlainTextInput = { type: 'plain_text_input', action_id: actionId };
  if (options.initial !== undefined && options.initial.trim() !== '')
    element.initial_value = truncate(options.initial, 3000);
  if (options.placeholder) element.placeholder = plain(truncate(options.placeholder, SLACK_LIMITS.placeholder));
  if (options.live)
    element.dispatch_action_config = { trigger_actions_on: ['on_enter_pressed', 'on_character_entered'] };
  const block: InputBlock = { type: 'input', block_id: blockId, label: plain(label), element };
  if (options.optional) block.optional = true;
  if (options.hint) block.hint = plain(truncate(options.hint, SLACK_LIMITS.hint));
  if (options.live) block.dispatch_action = true;
  return block;
}

/** The preview's text: next runs in each reader's own time zone, and what the targets match now. */
export function previewText(values: ScheduleRawInput, preview: SchedulePreview): string {
  const lines: string[] = [];
  if (preview.nextRuns && preview.nextRuns.length > 0) {
    const zone = values.timeZone?.trim() ? values.timeZone.trim() : SCHEDULE_DEFAULTS.timeZone;
    const words = cadenceInWords({ cron: values.cron?.trim() ?? '', timeZone: zone });
    const runs = preview.nextRuns.map((at) => slackDate(new Date(at), '{date_short_pretty} {time}')).join(' · ');
    lines.push(`*Next runs* (shown in your time zone): ${runs}`, `_${truncate(words, 300)}_`);
  } else {
    lines.push(
      `*Next runs:* type a cadence as five cron fields, like ${inlineCode(CADENCE_EXAMPLE)} (03:00 every day).`,
    );
  }
  if (preview.matched !== undefined) {
    const unmatched =
      preview.unmatched.length > 0
        ? `; ${preview.unmatched
            .slice(0, 5)
            .map((t) => inlineCode(t, 40))
            .join(', ')} ${preview.unmatched.length === 1 ? 'matches' : 'match'} nothing`
        : '';
    lines.push(`*Targets* match ${plural(preview.matched, 'instance')} now${unmatched}.`);
  } else if (values.targets?.trim()) {
    lines.push('*Targets:* checked against the fleet when you save.');
  } else {
    lines.push('*Targets:* type instance ids, patterns or groups to see how many instances they match now.');
  }
  return lines.join('\n');
}

export interface ScheduleModalOptions {
  values?: ScheduleRawInput | undefined;
  preview: SchedulePreview;
  /** What the path starts as when nothing was typed (the person's default). */
  defaultPath?: string | undefined;
  privateMetadata: string;
  simulated?: boolean | undefined;
  /** The name of the schedule the form changes (its name is shown, not asked: a name stays). */
  changing?: string | undefined;
}

export function buildScheduleModal(options: ScheduleModalOptions): ModalView {
  checkPrivateMetadata(options.privateMetadata);
  const v = options.values ?? {};
  const blocks: KnownBlock[] = [];
  if (options.simulated) blocks.push(context(SIMULATED_NOTE));
  blocks.push(
    options.changing !== undefined
      ? section(`Changing schedule *${inlineCode(options.changing, 40)}*. The name stays.`, BLOCK.scheduleName)
      : input(BLOCK.scheduleName, ACTION.scheduleName, 'Name', {
          initial: v.name,
          placeholder: 'nightly-qa',
          hint: 'Lowercase letters, digits, - and _. You use it in /cloudphone schedule show|edit|run|pause|resume|delete.',
        }),
    input(BLOCK.scheduleTargets, ACTION.scheduleTargets, 'Targets', {
      initial: v.targets,
      placeholder: 'acp-2ze3abc01, acp-qa*, ag-2ze3grp01',
      hint: 'Instance ids, id patterns (* and ?) and instance groups (ag-…), separated by commas. Resolved at each run.',
      live: true,
    }),
    input(BLOCK.scheduleApps, ACTION.scheduleApps, 'Apps', {
      initial: v.apps,
      placeholder: `${EXAMPLES.packageName}, com.example.chat`,
      hint: 'Package names, separated by commas.',
    }),
    input(BLOCK.schedulePath, ACTION.schedulePath, 'Backup path', {
      initial: v.backupPath ?? options.defaultPath,
      placeholder: EXAMPLES.backupPath,
    }),
    input(BLOCK.scheduleEndpoint, ACTION.scheduleEndpoint, 'OSS endpoint', {
      initial: v.uploadEndpoint,
      optional: true,
      placeholder: EXAMPLES.uploadEndpoint,
      hint: "Leave empty to use each instance's region's endpoint.",
    }),
    input(BLOCK.scheduleCron, ACTION.scheduleCron, 'Cadence (cron)', {
      initial: v.cron,
      placeholder: CADENCE_EXAMPLE,
      hint: 'Five fields: minute hour day month weekday. 0 3 * * * is 03:00 every day; 0 2 * * 1 is Mondays at 02:00.',
      live: true,
    }),
    input(BLOCK.scheduleTimeZone, ACTION.scheduleTimeZone, 'Time zone', {
      initial: v.timeZone ?? SCHEDULE_DEFAULTS.timeZone,
      hint: 'An IANA name such as Asia/Shanghai or Europe/Berlin; the cron is read in it.',
      live: true,
    }),
    section(previewText(v, options.preview), BLOCK.schedulePreview),
    input(BLOCK.scheduleKeep, ACTION.scheduleKeep, 'Keep the newest (backups per instance)', {
      initial: v.keep,
      optional: true,
      placeholder: '7',
      hint: 'Retention: older backups of this schedule are deleted after each run. With retention you need the delete right too.',
    }),
    input(BLOCK.scheduleMaxAge, ACTION.scheduleMaxAge, 'Keep backups younger than', {
      initial: v.maxAge,
      optional: true,
      placeholder: '30d',
      hint: 'Days or hours, like 30d or 12h. The newest good backup of an instance is always kept.',
    }),
    input(BLOCK.scheduleWave, ACTION.scheduleWave, 'Wave size', {
      initial: v.wave,
      optional: true,
      placeholder: '50',
      hint: 'At most this many phones stopped or backed up at once: a number (default 50) or a percentage like 10%.',
    }),
    {
      type: 'input',
      block_id: BLOCK.scheduleChannel,
      optional: true,
      label: plain('Report channel'),
      hint: plain('Where each run reports. Leave empty for the ops channel the bot is set up with.'),
      element: {
        type: 'conversations_select',
        action_id: ACTION.scheduleChannel,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(v.channelId ? { initial_conversation: v.channelId } : {}),
      },
    },
  );
  return {
    type: 'modal',
    callback_id: CALLBACK.scheduleForm,
    title: plain(options.changing !== undefined ? SCHEDULE_MODAL_TEXT.changeTitle : SCHEDULE_MODAL_TEXT.title),
    submit: plain(SCHEDULE_MODAL_TEXT.submit),
    close: plain(SCHEDULE_MODAL_TEXT.close),
    private_metadata: options.privateMetadata,
    blocks,
  };
}
