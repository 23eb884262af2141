/**
 * A schedule as a person defines it (form or `/cloudphone schedule add …`), checked field by field with messages that
 * say what to fix, and turned into the {@link ScheduleSpec} the store keeps and each run reads.
 */
import {
  type Check,
  checkBackupPath,
  checkDescription,
  checkPackageName,
  checkUploadEndpoint,
  splitList,
} from '../backup/input.js';
import { type Cadence, checkCron, checkTimeZone } from './cadence.js';
import { checkTarget, MAX_TARGETS } from './targets.js';

/** At most this many instances are stopped or being backed up at once by one run. */
export type WaveSize = { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

export interface Retention {
  /** Keep the newest this many good backups per instance (and schedule). */
  keep?: number | undefined;
  /** Keep good backups younger than this (ms). */
  maxAgeMs?: number | undefined;
}

export interface ScheduleSpec extends Cadence {
  name: string;
  /** Target texts as typed: instance ids, `acp-…*` globs, `ag-…` groups. */
  targets: string[];
  apps: string[];
  backupPath: string;
  /** Undefined: the endpoint follows the instances' region, as for a manual backup. */
  uploadEndpoint?: string | undefined;
  retention: Retention;
  wave: WaveSize;
  /** Where each run reports; undefined: CLOUDPHONE_OPS_CHANNEL. */
  channelId?: string | undefined;
  description?: string | undefined;
}

export type ScheduleField =
  | 'name'
  | 'targets'
  | 'apps'
  | 'backupPath'
  | 'uploadEndpoint'
  | 'cron'
  | 'timeZone'
  | 'keep'
  | 'maxAge'
  | 'wave'
  | 'channel'
  | 'description';

export type ScheduleFieldErrors = Partial<Record<ScheduleField, string>>;

/** A schedule as typed, before checking (every value text, as the form and the command line give them). */
export interface ScheduleRawInput {
  name?: string | undefined;
  targets?: string | undefined;
  apps?: string | undefined;
  backupPath?: string | undefined;
  uploadEndpoint?: string | undefined;
  cron?: string | undefined;
  timeZone?: string | undefined;
  keep?: string | undefined;
  maxAge?: string | undefined;
  wave?: string | undefined;
  /** A channel id (`C…`), already resolved from a mention or a picker. */
  channelId?: string | undefined;
  description?: string | undefined;
}

export const SCHEDULE_DEFAULTS = { timeZone: 'UTC', wave: { kind: 'count', count: 50 } as WaveSize } as const;
export const SCHEDULE_LIMITS = { maxNameLength: 40, maxKeep: 1000, maxWave: 5000, maxAgeDays: 3650 } as const;

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function checkScheduleName(raw: string): Check<string> {
  const value = raw.trim();
  if (value === '') return { ok: false, message: 'Enter a name for the schedule, like `nightly-qa`.' };
  if (value.length > SCHEDULE_LIMITS.maxNameLength || !NAME.test(value)) {
    return {
      ok: false,
      message: `\`${value.slice(0, 40)}\` cannot name a schedule: use at most ${SCHEDULE_LIMITS.maxNameLength} lowercase letters, digits, \`-\` and \`_\`, like \`nightly-qa\`.`,
    };
  }
  return { ok: true, value };
}

/** `--keep 7`: a whole number of backups, 1 or more. */
export function checkKeep(raw: string): Check<number> {
  const value = raw.trim();
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > SCHEDULE_LIMITS.maxKeep) {
    return {
      ok: false,
      message: `\`${value.slice(0, 20)}\` is not a number of backups to keep: use a whole number from 1 to ${SCHEDULE_LIMITS.maxKeep}, like \`7\`.`,
    };
  }
  return { ok: true, value: n };
}

/** `--max-age 30d` (days) or `12h` (hours). */
export function checkMaxAge(raw: string): Check<number> {
  const value = raw.trim();
  const match = /^(\d+)([dh])$/.exec(value);
  const amount = match ? Number(match[1]) : 0;
  const ms = match ? amount * (match[2] === 'd' ? DAY_MS : HOUR_MS) : 0;
  if (!match || amount < 1 || ms > SCHEDULE_LIMITS.maxAgeDays * DAY_MS) {
    return {
      ok: false,
      message: `\`${value.slice(0, 20)}\` is not an age: use days or hours, like \`30d\` or \`12h\` (at most ${SCHEDULE_LIMITS.maxAgeDays}d).`,
    };
  }
  return { ok: true, value: ms };
}

/** `--wave 50` (instances) or `10%` (of the instances the run matched). */
export function checkWave(raw: string): Check<WaveSize> {
  const value = raw.trim();
  const percent = /^(\d+)%$/.exec(value);
  if (percent) {
    const p = Number(percent[1]);
    if (p >= 1 && p <= 100) return { ok: true, value: { kind: 'percent', percent: p } };
  } else if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= 1 && n <= SCHEDULE_LIMITS.maxWave) return { ok: true, value: { kind: 'count', count: n } };
  }
  return {
    ok: false,
    message: `\`${value.slice(0, 20)}\` is not a wave size: use a number of instances from 1 to ${SCHEDULE_LIMITS.maxWave} (like \`50\`) or a percentage from 1% to 100% (like \`10%\`).`,
  };
}

/** How many instances a wave holds for a run that matched `matched` instances (at least one). */
export function waveCount(wave: WaveSize, matched: number): number {
  if (wave.kind === 'count') return wave.count;
  return Math.max(1, Math.floor((matched * wave.percent) / 100));
}

export function waveInWords(wave: WaveSize): string {
  return wave.kind === 'count' ? `${wave.count} at a time` : `${wave.percent}% at a time`;
}

/** Checks a schedule as typed. Errors are keyed by field, for a form's fields or a command's message. */
export function validateScheduleInput(
  raw: ScheduleRawInput,
): { ok: true; spec: ScheduleSpec } | { ok: false; errors: ScheduleFieldErrors } {
  const errors: ScheduleFieldErrors = {};
  const take = <T>(field: ScheduleField, check: Check<T>): T | undefined => {
    if (check.ok) return check.value;
    errors[field] = check.message;
    return undefined;
  };
  const present = (text: string | undefined): text is string => text !== undefined && text.trim() !== '';

  const name = take('name', checkScheduleName(raw.name ?? ''));
  const targetTexts = splitList(raw.targets ?? '');
  if (targetTexts.length === 0) {
    errors.targets = 'Enter at least one target: an instance id, a pattern like `acp-qa*`, or a group `ag-…`.';
  } else if (targetTexts.length > MAX_TARGETS) {
    errors.targets = `A schedule takes at most ${MAX_TARGETS} targets; use patterns or groups to cover more.`;
  } else {
    const bad = targetTexts.map(checkTarget).find((c) => !c.ok);
    if (bad && !bad.ok) errors.targets = bad.message;
  }
  const appTexts = splitList(raw.apps ?? '');
  if (appTexts.length === 0) errors.apps = 'Enter at least one app package name, like `com.example.app`.';
  else {
    const bad = appTexts.map(checkPackageName).find((c) => !c.ok);
    if (bad && !bad.ok) errors.apps = bad.message;
  }
  const backupPath = take('backupPath', checkBackupPath(raw.backupPath ?? ''));
  const uploadEndpoint = present(raw.uploadEndpoint)
    ? take('uploadEndpoint', checkUploadEndpoint(raw.uploadEndpoint))
    : undefined;
  const timeZone = take('timeZone', present(raw.timeZone) ? checkTimeZone(raw.timeZone) : { ok: true, value: 'UTC' });
  const cron = take('cron', checkCron(raw.cron ?? '', timeZone ?? 'UTC'));
  const keep = present(raw.keep) ? take('keep', checkKeep(raw.keep)) : undefined;
  const maxAgeMs = present(raw.maxAge) ? take('maxAge', checkMaxAge(raw.maxAge)) : undefined;
  const wave = present(raw.wave) ? take('wave', checkWave(raw.wave)) : SCHEDULE_DEFAULTS.wave;
  const description = present(raw.description) ? take('description', checkDescription(raw.description)) : undefined;
  const channelId = present(raw.channelId) ? raw.channelId.trim() : undefined;
  if (channelId !== undefined && !/^[CG][A-Z0-9]+$/.test(channelId)) {
    errors.channel = 'Choose a channel for the reports, like `#ops`.';
  }
  if (Object.keys(errors).length > 0 || !name || !backupPath || !cron || !timeZone || !wave) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    spec: {
      name,
      targets: targetTexts,
      apps: appTexts,
      backupPath,
      uploadEndpoint,
      cron,
      timeZone,
      retention: { keep, maxAgeMs },
      wave,
      channelId,
      description,
    },
  };
}

/** True when the schedule deletes backups (its owner then needs `delete` on its targets too). */
export function hasRetention(spec: Pick<ScheduleSpec, 'retention'>): boolean {
  return spec.retention.keep !== undefined || spec.retention.maxAgeMs !== undefined;
}
