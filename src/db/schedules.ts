/**
 * The schedule definitions (migration 009). A run of a schedule is a request of the shared request table; this
 * repository only keeps what a schedule is, whose it is, whether it is active and the next slot it has not taken.
 */
import type { ScheduleSpec } from '../services/schedules/spec.js';
import type { Db } from './database.js';

/**
 * `awaiting-approval`: saved with retention on instances an approvals rule covers, waiting for its approval (takes no
 * slots); `not-approved`: that approval was denied or ran out (takes no slots until changed and approved).
 */
export type ScheduleState = 'active' | 'paused' | 'awaiting-approval' | 'not-approved' | 'deleted';

export interface ScheduleRecord {
  id: string;
  teamId: string;
  name: string;
  ownerId: string;
  spec: ScheduleSpec;
  state: ScheduleState;
  /** The first slot (epoch ms) not yet taken; undefined when the cadence has no more runs. */
  nextSlotAt: number | undefined;
  lastRunId: string | undefined;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  team_id: string;
  name: string;
  owner_id: string;
  spec_json: string;
  state: ScheduleState;
  next_slot_at: number | null;
  last_run_id: string | null;
  created_at: number;
  updated_at: number;
}

const toRecord = (row: Row): ScheduleRecord => ({
  id: row.id,
  teamId: row.team_id,
  name: row.name,
  ownerId: row.owner_id,
  spec: JSON.parse(row.spec_json) as ScheduleSpec,
  state: row.state,
  nextSlotAt: row.next_slot_at ?? undefined,
  lastRunId: row.last_run_id ?? undefined,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export interface NewSchedule {
  id: string;
  teamId: string;
  ownerId: string;
  spec: ScheduleSpec;
  nextSlotAt: number | undefined;
  /** Default `active`. */
  state?: 'active' | 'awaiting-approval' | undefined;
  now: number;
}

export function createScheduleRepository(db: Db) {
  const insert = db.prepare(`INSERT INTO schedules (id, team_id, name, owner_id, spec_json, state, next_slot_at,
    created_at, updated_at) VALUES (@id, @teamId, @name, @ownerId, @spec, @state, @nextSlotAt, @now, @now)`);
  const byName = db.prepare("SELECT * FROM schedules WHERE team_id = ? AND name = ? AND state != 'deleted'");
  const byId = db.prepare('SELECT * FROM schedules WHERE id = ?');
  const all = db.prepare("SELECT * FROM schedules WHERE team_id = ? AND state != 'deleted' ORDER BY name");
  const due = db.prepare(
    "SELECT * FROM schedules WHERE state = 'active' AND next_slot_at IS NOT NULL AND next_slot_at <= ? ORDER BY next_slot_at",
  );
  const nextDue = db.prepare("SELECT MIN(next_slot_at) AS at FROM schedules WHERE state = 'active'");
  const setState = db.prepare('UPDATE schedules SET state = ?, next_slot_at = ?, updated_at = ? WHERE id = ?');
  const markDeleted = db.prepare(
    "UPDATE schedules SET state = 'deleted', next_slot_at = NULL, deleted_at = ?, updated_at = ? WHERE id = ?",
  );
  const setSpec = db.prepare('UPDATE schedules SET spec_json = ?, next_slot_at = ?, updated_at = ? WHERE id = ?');
  // Compare-and-set: only the caller that still sees the slot it took moves it on.
  const advance = db.prepare(
    'UPDATE schedules SET next_slot_at = ?, last_run_id = COALESCE(?, last_run_id), updated_at = ? WHERE id = ? AND next_slot_at = ?',
  );

  return {
    /** Runs `work` in one transaction (a schedule held for approval is saved together with its request). */
    transaction<T>(work: () => T): T {
      return db.transaction(work)();
    },
    /** Saves a new schedule; 'name-taken' when the team has a live schedule of that name. */
    create(schedule: NewSchedule): ScheduleRecord | 'name-taken' {
      if (byName.get(schedule.teamId, schedule.spec.name)) return 'name-taken';
      insert.run({
        id: schedule.id,
        teamId: schedule.teamId,
        name: schedule.spec.name,
        ownerId: schedule.ownerId,
        spec: JSON.stringify(schedule.spec),
        state: schedule.state ?? 'active',
        nextSlotAt: schedule.nextSlotAt ?? null,
        now: schedule.now,
      });
      return toRecord(byId.get(schedule.id) as Row);
    },
    get(id: string): ScheduleRecord | undefined {
      const row = byId.get(id) as Row | undefined;
      return row && toRecord(row);
    },
    byName(teamId: string, name: string): ScheduleRecord | undefined {
      const row = byName.get(teamId, name) as Row | undefined;
      return row && toRecord(row);
    },
    list(teamId: string): ScheduleRecord[] {
      return (all.all(teamId) as Row[]).map(toRecord);
    },
    /** Active schedules whose next slot has come. */
    due(now: number): ScheduleRecord[] {
      return (due.all(now) as Row[]).map(toRecord);
    },
    /** The earliest next slot of any active schedule (for the runner's wake-up). */
    nextDueAt(): number | undefined {
      return (nextDue.get() as { at: number | null }).at ?? undefined;
    },
    /** Pause (no next slot kept), resume or activate (with the next slot from now), or hold for an approval. */
    setState(id: string, state: Exclude<ScheduleState, 'deleted'>, nextSlotAt: number | undefined, now: number): void {
      setState.run(state, nextSlotAt ?? null, now, id);
    },
    delete(id: string, now: number): void {
      markDeleted.run(now, now, id);
    },
    update(id: string, spec: ScheduleSpec, nextSlotAt: number | undefined, now: number): void {
      setSpec.run(JSON.stringify(spec), nextSlotAt ?? null, now, id);
    },
    /** Replaces the definition and holds the schedule (no slot) until its approval. */
    hold(id: string, spec: ScheduleSpec, now: number): void {
      db.transaction(() => {
        setSpec.run(JSON.stringify(spec), null, now, id);
        setState.run('awaiting-approval', null, now, id);
      })();
    },
    /**
     * Moves the schedule past `takenSlot` (call it in the transaction that records the slot's run). False when another
     * caller had already moved it (the slot is not this caller's).
     */
    advance(id: string, takenSlot: number, nextSlotAt: number | undefined, runId: string | undefined, now: number) {
      return advance.run(nextSlotAt ?? null, runId ?? null, now, id, takenSlot).changes === 1;
    },
  };
}

export type ScheduleRepository = ReturnType<typeof createScheduleRepository>;
