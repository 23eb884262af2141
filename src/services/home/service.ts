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

/**
 * One listing's instances with the age of each one's newest good backup, independent of the time of day: built once
 * per (listing, good-backups version) and shared by every Home opened meanwhile. The stale/fresh split then only
 * compares numbers (`split`), so 50 people opening their Home at once against a 10,000-phone fleet do not build 50
 * times 10,000 objects.
 */
interface Ages {
  version: number;
  /** In listing order (by id). */
  inOrder: InstanceBackupAge[];
  /** Each one's newest good backup (epoch ms), NaN for none, in listing order. */
  at: Float64Array;
  /** Never backed up first, then the oldest backup first; listing order among equals. */
  byAge: InstanceBackupAge[];
  /** `byAge`'s times (NaN for the never backed up, which come first). */
  byAgeAt: Float64Array;
  neverCount: number;
}

function agesOf(instances: readonly InstanceSummary[], newest: ReadonlyMap<string, number>, version: number): Ages {
  const inOrder: InstanceBackupAge[] = [];
  const at = new Float64Array(instances.length);
  let neverCount = 0;
  for (const [i, instance] of instances.entries()) {
    const time = newest.get(instance.instanceId);
    if (time === undefined) neverCount += 1;
    at[i] = time ?? Number.NaN;
    inOrder.push({
      instanceId: instance.instanceId,
      name: instance.name,
      status: instance.status,
      lastGoodBackupAt: time === undefined ? undefined : new Date(time),
    });
  }
  // A stable sort of the positions: never backed up first (as -1), then the oldest backup first.
  const key = (i: number) => (Number.isNaN(at[i] as number) ? -1 : (at[i] as number));
  const order = inOrder.map((_, i) => i).sort((a, b) => key(a) - key(b));
  return {
    version,
    inOrder,
    at,
    byAge: order.map((i) => inOrder[i] as InstanceBackupAge),
    byAgeAt: Float64Array.from(order, (i) => at[i] as number),
    neverCount,
  };
}

/** The Home's instance section at `staleBefore`: the same answer as judging every instance one by one. */
function split(ages: Ages, staleBefore: number): Pick<HomeInstances, 'staleCount' | 'neverCount' | 'stale' | 'fresh'> {
  // Stale: never backed up (the first `neverCount` of byAge) or backed up before `staleBefore`; byAge's times after
  // the never backed up ones ascend, so the stale ones are its first `staleCount`.
  let low = ages.neverCount;
  let high = ages.byAgeAt.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ages.byAgeAt[mid] as number) < staleBefore) low = mid + 1;
    else high = mid;
  }
  const staleCount = low;
  const fresh: InstanceBackupAge[] = [];
  for (let i = 0; i < ages.at.length && fresh.length < MAX_FRESH_LISTED; i++) {
    // NaN (never backed up) compares false: stale.
    if ((ages.at[i] as number) >= staleBefore) fresh.push(ages.inOrder[i] as InstanceBackupAge);
  }
  return {
    staleCount,
    neverCount: ages.neverCount,
    stale: ages.byAge.slice(0, Math.min(staleCount, MAX_STALE_LISTED)),
    fresh,
  };
}

export function createHomeService(deps: {
  queries: Pick<HomeQueries, 'inFlightOf' | 'finishedOf' | 'newestGoodBackups' | 'goodBackupsVersion'>;
  deletedFileIds(): Iterable<string>;
  /**
   * The instances in the person's backup scope, from the cached listing. The array is expected to be the same one for
   * as long as the listing (and the person's scope) is: the Home's backup ages are kept per array.
   */
  instancesInScope(
    actor: Actor,
    channelId: string,
  ): Promise<{ instances: readonly InstanceSummary[]; listed: boolean }>;
  /** The schedules the person owns (services/schedules `owned`); without it the section stays empty. */
  schedulesOf?: ((actor: Actor) => Promise<readonly HomeSchedule[]>) | undefined;
  clock: Clock;
  staleAfterDays: number;
}): HomeService {
  // Each instance's newest good backup, read again only when the database's good-backups version moves (a backup
  // succeeded, a request finished, files were deleted: triggers of migration 012).
  let newest: { version: number; map: Map<string, number> } | undefined;
  // Per listing array (a listing and scope): its backup ages at one version. A refreshed listing is another array.
  const agesByListing = new WeakMap<readonly InstanceSummary[], Ages>();
  // A person's Home being built: opening it again meanwhile (Slack sends the event per tab switch) waits for that one.
  const building = new Map<string, Promise<HomeOverview>>();

  function agesFor(instances: readonly InstanceSummary[]): Ages {
    const version = deps.queries.goodBackupsVersion();
    if (newest?.version !== version) {
      newest = { version, map: deps.queries.newestGoodBackups(deps.deletedFileIds()) };
    }
    let ages = agesByListing.get(instances);
    if (ages?.version !== version) {
      ages = agesOf(instances, newest.map, version);
      agesByListing.set(instances, ages);
    }
    return ages;
  }

  function instancesOverview(listing: { instances: readonly InstanceSummary[]; listed: boolean }): HomeInstances {
    const staleBefore = deps.clock.now() - deps.staleAfterDays * DAY_MS;
    return {
      listed: listing.listed,
      total: listing.instances.length,
      ...split(agesFor(listing.instances), staleBefore),
    };
  }

  async function build(actor: Actor, channelId: string): Promise<HomeOverview> {
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
  }

  return {
    overview(actor, channelId) {
      const key = `${actor.teamId}\n${actor.userId}\n${channelId}`;
      let pending = building.get(key);
      if (pending === undefined) {
        pending = build(actor, channelId).finally(() => building.delete(key));
        building.set(key, pending);
      }
      return pending;
    },
  };
}
