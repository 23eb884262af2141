/**
 * The App Home's content for one person: their requests in flight with progress, their last results, their schedules
 * (those they own), and the instances in their backup scope with the age of each one's
 * newest good backup. Everything comes from SQLite and the one cached instance listing the picker keeps, so a Home
 * for a 10,000-phone fleet asks the cloud nothing.
 */
import type { HomeQueries, HomeRequest } from '../../db/home-queries.js';
import type { Actor } from '../backup/model.js';
import type { InstanceSummary } from '../fleet/instance-directory.js';
import type { Clock } from '../pipeline/ports.js';

export type { HomeRequest } from '../../db/home-queries.js';

/** A schedule as the Home lists it (services/schedules: the person's own schedules). */
export interface HomeSchedule {
  id: string;
  /** What it backs up, in words the schedules feature chooses (plain text). */
  description: string;
  nextRunAt?: Date | undefined;
}

/** An instance in the person's scope and when its newest good backup finished (none: never backed up by the bot). */
export interface InstanceBackupAge {
  instanceId: string;
  name?: string | undefined;
  status: string;
  lastGoodBackupAt?: Date | undefined;
}

export interface HomeInstances {
  /** False when the cloud's listing is not available yet (the Home says so and shows no instances). */
  listed: boolean;
  total: number;
  /** Instances whose newest good backup is older than the stale age, or that have none. */
  staleCount: number;
  /** Of the stale ones, those never backed up by the bot. */
  neverCount: number;
  /** The stalest first (never backed up, then oldest), at most `MAX_STALE_LISTED`. */
  stale: InstanceBackupAge[];
  /** Instances with a recent backup, by id, at most `MAX_FRESH_LISTED`. */
  fresh: InstanceBackupAge[];
}

export interface HomeOverview {
  inFlight: HomeRequest[];
  inFlightCount: number;
  recent: HomeRequest[];
  schedules: readonly HomeSchedule[];
  instances: HomeInstances;
  staleAfterDays: number;
}

export interface HomeService {
  overview(actor: Actor, channelId: string): Promise<HomeOverview>;
}

export const MAX_IN_FLIGHT_LISTED = 10;
export const RECENT_RESULTS = 10;
export const MAX_STALE_LISTED = 30;
export const MAX_FRESH_LISTED = 15;

const DAY_MS = 86_400_000;

export function createHomeService(deps: {
  queries: Pick<HomeQueries, 'inFlightOf' | 'finishedOf' | 'newestGoodBackups'>;
  deletedFileIds(): Iterable<string>;
  /** The instances in the person's backup scope, from the cached listing. */
  instancesInScope(
    actor: Actor,
    channelId: string,
  ): Promise<{ instances: readonly InstanceSummary[]; listed: boolean }>;
  /** The schedules the person owns (services/schedules `owned`); without it the section stays empty. */
  schedulesOf?: ((actor: Actor) => Promise<readonly HomeSchedule[]>) | undefined;
  clock: Clock;
  staleAfterDays: number;
}): HomeService {
  function instancesOverview(listing: { instances: readonly InstanceSummary[]; listed: boolean }): HomeInstances {
    const newest = deps.queries.newestGoodBackups(deps.deletedFileIds());
    const staleBefore = deps.clock.now() - deps.staleAfterDays * DAY_MS;
    const stale: InstanceBackupAge[] = [];
    const fresh: InstanceBackupAge[] = [];
    let staleCount = 0;
    let neverCount = 0;
    for (const instance of listing.instances) {
      const at = newest.get(instance.instanceId);
      const age: InstanceBackupAge = {
        instanceId: instance.instanceId,
        name: instance.name,
        status: instance.status,
        lastGoodBackupAt: at === undefined ? undefined : new Date(at),
      };
      if (at !== undefined && at >= staleBefore) {
        if (fresh.length < MAX_FRESH_LISTED) fresh.push(age);
        continue;
      }
      staleCount += 1;
      if (at === undefined) neverCount += 1;
      stale.push(age);
    }
    // Never backed up first, then the oldest backup first; only the first few are shown.
    stale.sort((a, b) => (a.lastGoodBackupAt?.getTime() ?? -1) - (b.lastGoodBackupAt?.getTime() ?? -1));
    return {
      listed: listing.listed,
      total: listing.instances.length,
      staleCount,
      neverCount,
      stale: stale.slice(0, MAX_STALE_LISTED),
      fresh,
    };
  }

  return {
    async overview(actor, channelId) {
      const [listing, schedules] = await Promise.all([
        deps.instancesInScope(actor, channelId),
        deps.schedulesOf ? deps.schedulesOf(actor) : Promise.resolve([]),
      ]);
      const inFlight = deps.queries.inFlightOf(actor.userId, MAX_IN_FLIGHT_LISTED);
      return {
        inFlight: inFlight.requests,
        inFlightCount: inFlight.count,
        recent: deps.queries.finishedOf(actor.userId, RECENT_RESULTS),
        schedules,
        instances: instancesOverview(listing),
        staleAfterDays: deps.staleAfterDays,
      };
    },
  };
}
