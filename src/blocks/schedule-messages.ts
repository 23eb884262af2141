/**
 * What `/cloudphone schedule …` answers (list, show, saved, paused, resumed, the delete confirmation and its result,
 * and inline errors with the option to fix), and the notice the form turns into once saved.
 */
import type { KnownBlock } from '@slack/types';
import type { ScheduleRecord } from '../db/schedules.js';
import { cadenceInWords, nextRuns } from '../services/schedules/cadence.js';
import type { ScheduleView } from '../services/schedules/service.js';
import {
  type ScheduleField,
  type ScheduleFieldErrors,
  type ScheduleSpec,
  waveInWords,
} from '../services/schedules/spec.js';
import { context, noticeView, section } from './common.js';
import { inlineCode, inlineText, truncate } from './escape.js';
import { channelLink, formatDuration, mention, slackDate } from './format.js';
import { ACTION, BLOCK, CALLBACK, COMMAND } from './ids.js';
import type { SlackMessage } from './limits.js';

/** How each field is named in `schedule add`. */
const INLINE_FIELD: Record<ScheduleField, string> = {
  name: 'Name (after `add`)',
  targets: '`--targets`',
  apps: '`--apps`',
  backupPath: '`--path`',
  uploadEndpoint: '`--endpoint`',
  cron: '`--cron`',
  timeZone: '`--tz`',
  keep: '`--keep`',
  maxAge: '`--max-age`',
  wave: '`--wave`',
  channel: '`--channel`',
  description: '`--description`',
};

/** Validation messages are mrkdwn with person text escaped: keep stray markup inert without re-escaping `&`. */
const inert = (text: string) => truncate(text, 450).replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The answer to `schedule add` with bad values: each option and what to fix. */
export function scheduleErrorsMessage(errors: ScheduleFieldErrors): SlackMessage {
  const lines = (Object.keys(INLINE_FIELD) as ScheduleField[]).flatMap((field) => {
    const message = errors[field];
    return message ? [`• *${INLINE_FIELD[field]}:* ${inert(message)}`] : [];
  });
  const body = lines.length > 0 ? lines.join('\n') : '• The schedule could not be read. Check it and try again.';
  const intro = `The schedule was not saved: fix ${lines.length <= 1 ? 'this' : `these ${lines.length} things`} and run the command again.`;
  return {
    text: `${intro}\n${body}`,
    blocks: [
      section(`*${intro}*`),
      section(body),
      context(`Or use the form: \`${COMMAND} schedule\`. \`${COMMAND} help schedule\` shows every option.`),
    ],
  };
}

/** "keeps the newest 7 and those younger than 30 days per instance" / "keeps every backup". */
export function retentionInWords(retention: ScheduleSpec['retention']): string {
  const { keep, maxAgeMs } = retention;
  const parts = [
    keep !== undefined ? `the newest ${keep}` : '',
    maxAgeMs !== undefined ? `those younger than ${formatDuration(maxAgeMs)}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `keeps ${parts.join(' and ')} per instance` : 'keeps every backup';
}

/** What takes the place of the next run when a schedule takes none. */
const NO_RUNS: Partial<Record<ScheduleRecord['state'], string>> = {
  paused: 'paused',
  'awaiting-approval': '✋ waiting for approval',
  'not-approved': '⛔ not approved (denied or expired)',
};

function nextRunText(schedule: ScheduleRecord): string {
  const none = NO_RUNS[schedule.state];
  if (none) return none;
  return schedule.nextSlotAt === undefined ? 'no more runs' : slackDate(new Date(schedule.nextSlotAt));
}

const cadence = (schedule: ScheduleRecord) => inlineText(cadenceInWords(schedule.spec), 200);

/** `schedule list`: name, owner, cadence in words, next run, last result. */
export function scheduleListMessage(schedules: readonly ScheduleView[]): SlackMessage {
  if (schedules.length === 0) {
    const text = `No schedules you can see. \`${COMMAND} schedule\` opens the form to create one.`;
    return { text, blocks: [section(text)] };
  }
  const lines = schedules.map(
    (s) =>
      `• *${inlineText(s.name, 40)}* · ${mention(s.ownerId)} · ${cadence(s)} · next: ${nextRunText(s)} · last: ${s.lastResult ? inlineText(s.lastResult, 40) : 'not run yet'}`,
  );
  const blocks: KnownBlock[] = [section(`*Schedules* (${schedules.length})`)];
  for (let i = 0; i < lines.length && blocks.length < 48; i += 10) {
    blocks.push(section(truncate(lines.slice(i, i + 10).join('\n'), 3000)));
  }
  blocks.push(context(`\`${COMMAND} schedule show <name>\` shows one in full.`));
  return { text: `Schedules: ${schedules.map((s) => s.name).join(', ')}`, blocks };
}

/** `schedule show <name>`. */
export function scheduleShowMessage(schedule: ScheduleView, now: number): SlackMessage {
  const { spec } = schedule;
  const upcoming =
    schedule.state === 'active' ? nextRuns(spec, now, 3).map((at) => slackDate(new Date(at))) : [nextRunText(schedule)];
  const lines = [
    `*Owner:* ${mention(schedule.ownerId)} · *State:* ${schedule.state}`,
    `*Cadence:* ${cadence(schedule)} (${inlineCode(spec.cron)})`,
    `*Next runs:* ${upcoming.join(' · ')}`,
    `*Targets:* ${spec.targets.map((t) => inlineCode(t, 40)).join(', ')}`,
    `*Apps:* ${spec.apps.map((a) => inlineCode(a, 80)).join(', ')}`,
    `*Path:* ${inlineCode(spec.backupPath, 200)}${spec.uploadEndpoint ? ` via ${inlineCode(spec.uploadEndpoint)}` : ''}`,
    `*Retention:* ${retentionInWords(spec.retention)} · *Waves:* ${waveInWords(spec.wave)}`,
    `*Reports to:* ${spec.channelId ? channelLink(spec.channelId) : 'the ops channel'}`,
    `*Last result:* ${schedule.lastResult ? inlineText(schedule.lastResult, 40) : 'not run yet'}`,
  ];
  return {
    text: `Schedule ${schedule.name}: ${cadenceInWords(spec)}`,
    blocks: [section(`*Schedule ${inlineText(schedule.name, 40)}*`), section(truncate(lines.join('\n'), 3000))],
  };
}

/** Saved (inline): what it is and when it first runs, or that it waits for its approval first. */
export function scheduleSavedMessage(schedule: ScheduleRecord): SlackMessage {
  if (schedule.state === 'awaiting-approval') {
    const text = `✋ Schedule *${inlineText(schedule.name, 40)}* saved, but it deletes old backups unattended (${retentionInWords(schedule.spec.retention)}) on instances that need a second person's approval for that: it takes no runs until someone approves it. The approvers were asked; you will hear the outcome.`;
    return { text, blocks: [section(text), context(`\`${COMMAND} schedule show ${schedule.name}\` shows its state.`)] };
  }
  const first =
    schedule.nextSlotAt === undefined ? 'it has no run ahead' : `first run ${slackDate(new Date(schedule.nextSlotAt))}`;
  const text = `✅ Schedule *${inlineText(schedule.name, 40)}* saved: ${cadence(schedule)}, ${first}.`;
  return { text, blocks: [section(text), context(`\`${COMMAND} schedule show ${schedule.name}\` shows it in full.`)] };
}

/** The form, once saved. */
export function scheduleSavedView(schedule: ScheduleRecord, simulated: boolean) {
  return {
    response_action: 'update' as const,
    view: noticeView({
      callbackId: CALLBACK.scheduleSaved,
      title: 'Schedule saved',
      text: scheduleSavedMessage(schedule).text,
      simulated,
    }),
  };
}

export function scheduleStateMessage(schedule: ScheduleRecord, change: 'paused' | 'resumed'): SlackMessage {
  const text =
    change === 'paused'
      ? `⏸️ Schedule *${inlineText(schedule.name, 40)}* paused: it takes no runs until \`${COMMAND} schedule resume ${schedule.name}\`.`
      : `▶️ Schedule *${inlineText(schedule.name, 40)}* resumed: next run ${nextRunText(schedule)} (runs missed while paused are not made up).`;
  return { text, blocks: [section(text)] };
}

export function scheduleNotFoundMessage(name: string): SlackMessage {
  const text = `There is no schedule ${inlineCode(name, 40)} you can see. \`${COMMAND} schedule list\` lists them.`;
  return { text, blocks: [section(text)] };
}

/** The confirmation `schedule delete <name>` shows; the button is checked again when clicked. */
export function scheduleDeleteConfirmMessage(schedule: ScheduleRecord): SlackMessage {
  const text = `Delete schedule *${inlineText(schedule.name, 40)}* (${cadence(schedule)})? It takes no more runs; the backups it made stay.`;
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        block_id: BLOCK.scheduleDelete,
        elements: [
          {
            type: 'button',
            action_id: ACTION.scheduleDeleteConfirm,
            style: 'danger',
            text: { type: 'plain_text', text: 'Delete schedule' },
            value: schedule.id,
          },
        ],
      },
      context('Nothing is deleted until you press the button; ignore this message to keep the schedule.'),
    ],
  };
}

export function scheduleDeletedMessage(schedule: ScheduleRecord): SlackMessage {
  const text = `🗑️ Schedule *${inlineText(schedule.name, 40)}* deleted. The backups it made stay.`;
  return { text, blocks: [section(text)] };
}
