/**
 * Schedules for tests, made directly through the repository (the form and `schedule add` are another change's), and
 * helpers to follow a run through the Slack stand-in.
 */

import type { RunRecord } from '../../src/db/schedule-runs.js';
import type { ScheduleRecord } from '../../src/db/schedules.js';
import type { ScheduleSpec } from '../../src/services/schedules/spec.js';
import { ADMIN, BACKUP_PATH, CHANNEL, type Harness } from './harness.js';
import { waitUntil } from './wait-until.js';

let counter = 0;

/** A schedule whose next slot is `nextSlotAt` (default: now, so the next poll round takes it). */
export function createSchedule(
  h: Harness,
  spec: Partial<ScheduleSpec> & Pick<ScheduleSpec, 'targets'>,
  options: { ownerId?: string; nextSlotAt?: number; now?: number } = {},
): ScheduleRecord {
  counter += 1;
  const now = options.now ?? Date.now();
  const created = h.bot.repos.schedules.create({
    id: `sch-test${counter}`,
    teamId: h.slack.team.id,
    ownerId: options.ownerId ?? ADMIN,
    spec: {
      name: `nightly-${counter}`,
      apps: ['com.tencent.mm'],
      backupPath: BACKUP_PATH,
      cron: '0 3 * * *',
      timeZone: 'UTC',
      retention: {},
      wave: { kind: 'count', count: 2 },
      channelId: CHANNEL,
      ...spec,
    },
    nextSlotAt: options.nextSlotAt ?? now,
    now,
  });
  if (created === 'name-taken') throw new Error('schedule name taken');
  return created;
}

/** `/cloudphone <text>` as a person types it; the ephemeral answer's text. */
export async function cloudphone(h: Harness, text: string, userId = ADMIN): Promise<string> {
  const res = await h.driver.slashCommand({ command: '/cloudphone', text, userId, channelId: CHANNEL });
  return JSON.stringify(res.body);
}

/** The runs of a schedule, oldest first. */
export function runsOf(h: Harness, scheduleId: string): RunRecord[] {
  const ids = h.bot.repos.db
    .prepare(`SELECT id FROM requests WHERE kind = 'schedule-run' AND json_extract(detail_json, '$.scheduleId') = ?
      ORDER BY created_at, rowid`)
    .all(scheduleId) as { id: string }[];
  return ids.map(({ id }) => h.bot.repos.scheduleRuns.get(id) as RunRecord);
}

/** Waits until the schedule has a run that ended (its reply posted). */
export async function endedRun(h: Harness, scheduleId: string, timeoutMs = 20_000): Promise<RunRecord> {
  return waitUntil(() => runsOf(h, scheduleId).find((run) => run.step === 'done' && run.status !== 'missed'), {
    timeoutMs,
    description: `a run of ${scheduleId} that ended`,
  });
}

export const textOf = (message: { text?: string; blocks?: unknown }) =>
  `${message.text ?? ''}\n${JSON.stringify(message.blocks ?? [])}`;
