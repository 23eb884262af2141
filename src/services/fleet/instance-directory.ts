/**
 * The account's cloud phone instances as the access layer and the backup modal need them: ids, names, statuses and
 * instance groups. Listing a fleet takes one `DescribeAndroidInstances` page per 100 instances, far too slow to do
 * for every keystroke in the modal's instance picker or every permission check, so the listing is cached.
 *
 * - `list` answers from the cached listing, even a stale one (refreshing it in the background), so the picker
 *   answers within Slack's 3 seconds. With no listing yet it waits at most `waitMs` for the first one.
 * - `groupsOf` (and `regionsOf`) answer the instance groups (regions) of a few ids for policy rules that name `ag-…`
 *   groups (`regions:`). A listing younger
 *   than `ttlMs` answers; ids it lacks, or all of them when it is older, are asked for by id (and cached as long).
 *   A failed or late answer throws, and the caller fails closed.
 * - `unknownOf` tells which typed ids the cloud has no instance for, so a form can refuse them before anything is
 *   recorded. It needs a listing and never waits for one.
 * - Failures are never cached: the next question asks the cloud again.
 */

export interface InstanceSummary {
  instanceId: string;
  name?: string | undefined;
  status: string;
  instanceGroupId?: string | undefined;
  /** The configured region whose endpoint listed it (CLOUDPHONE_REGIONS). */
  region?: string | undefined;
  /** The phone's own region as the cloud lists it (`RegionId`), which the OSS upload endpoint must match. */
  regionId?: string | undefined;
}

export interface InstanceDirectoryOptions {
  /** `DescribeAndroidInstances`: every instance without ids, else those ids. */
  describe(query: { instanceIds?: string[] }): Promise<readonly InstanceSummary[]>;
  /** How long a listing (or an instance's group) is trusted for `groupsOf`; stale listings still serve `list`. */
  ttlMs: number;
  now?: () => number;
  /** Told about each failed listing (for the log). */
  onError?: (error: unknown) => void;
}

export interface InstanceDirectory {
  /** Every instance, from the cached listing; undefined when there is none yet after `waitMs`. */
  list(options: { waitMs: number }): Promise<readonly InstanceSummary[] | undefined>;
  /** Instance id → instance group id (`ag-…`) for these ids; ids in no group are left out. Throws when the cloud does. */
  groupsOf(instanceIds: readonly string[], options: { waitMs: number }): Promise<Record<string, string>>;
  /** Instance id → region that listed it, for policy roles that name regions; like `groupsOf`, unknown ids left out. */
  regionsOf(instanceIds: readonly string[], options: { waitMs: number }): Promise<Record<string, string>>;
  /** Instance id → the phone's own region (`RegionId`), else the region that listed it; for upload endpoints. */
  phoneRegionsOf(instanceIds: readonly string[], options: { waitMs: number }): Promise<Record<string, string>>;
  /**
   * The ids among these that the cloud has no instance for; undefined when that cannot be told in time: there is no
   * listing yet (none is waited for), or the cloud did not answer within `waitMs` for ids the listing lacks.
   */
  unknownOf(instanceIds: readonly string[], options: { waitMs: number }): Promise<string[] | undefined>;
}

/** What `groupsOf` and `regionsOf` answer from: one instance's group and region. */
type Placement = Pick<InstanceSummary, 'instanceGroupId' | 'region' | 'regionId'>;

/** Ids asked for one by one are remembered up to this many (oldest forgotten first): typed ids are unbounded. */
const MAX_LEARNT_GROUPS = 10_000;

interface Listing {
  instances: readonly InstanceSummary[];
  byId: ReadonlyMap<string, InstanceSummary>;
  at: number;
}

/** One field of each placement, ids without it (or unknown to the cloud) left out. */
function pick(
  placements: ReadonlyMap<string, Placement | undefined>,
  field: (placement: Placement) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, placement] of placements) {
    const value = placement && field(placement);
    if (value) out[id] = value;
  }
  return out;
}

/** Resolves to undefined after `ms` unless `promise` settles first (its rejection passes through). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export function createInstanceDirectory(options: InstanceDirectoryOptions): InstanceDirectory {
  const now = options.now ?? Date.now;
  const ttlMs = Math.max(0, options.ttlMs);
  let listing: Listing | undefined;
  let loading: Promise<Listing> | undefined;
  /** Groups and regions learnt by id, for instances the listing does not have yet. */
  const learntById = new Map<string, { placement: Placement | undefined; at: number }>();

  const fresh = (at: number) => now() - at < ttlMs;

  function refresh(): Promise<Listing> {
    if (loading) return loading;
    const askedAt = now();
    const load = (async () => {
      try {
        const instances = await options.describe({});
        const next = { instances, byId: new Map(instances.map((i) => [i.instanceId, i])), at: askedAt };
        listing = next;
        return next;
      } finally {
        loading = undefined;
      }
    })();
    loading = load;
    // A refresh nobody waits for must not become an unhandled rejection.
    load.catch((error: unknown) => options.onError?.(error));
    return load;
  }

  /**
   * Each id's group and region: a listing younger than ttl answers, else what was learnt by id within ttl, and the rest
   * are asked for by id (an id the cloud does not know maps to undefined; remembering that saves asking again).
   */
  async function placementsOf(
    instanceIds: readonly string[],
    waitMs: number,
  ): Promise<Map<string, Placement | undefined>> {
    const out = new Map<string, Placement | undefined>();
    const missing: string[] = [];
    const current = listing && fresh(listing.at) ? listing : undefined;
    for (const id of new Set(instanceIds)) {
      const known = current?.byId.get(id);
      const learnt = learntById.get(id);
      if (known) out.set(id, known);
      else if (learnt && fresh(learnt.at)) out.set(id, learnt.placement);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const askedAt = now();
    const found = await within(options.describe({ instanceIds: missing }), waitMs);
    if (found === undefined) throw new Error(`the cloud did not list the instances within ${waitMs} ms`);
    const byId = new Map(found.map((i) => [i.instanceId, i]));
    for (const id of missing) {
      const summary = byId.get(id);
      const placement: Placement | undefined = summary && {
        instanceGroupId: summary.instanceGroupId,
        region: summary.region,
        regionId: summary.regionId,
      };
      if (ttlMs > 0) {
        learntById.delete(id);
        learntById.set(id, { placement, at: askedAt });
        if (learntById.size > MAX_LEARNT_GROUPS) learntById.delete(learntById.keys().next().value as string);
      }
      out.set(id, placement);
    }
    return out;
  }

  return {
    async list({ waitMs }) {
      const current = listing;
      if (current) {
        if (!fresh(current.at)) void refresh().catch(() => undefined);
        return current.instances;
      }
      return (await within(refresh(), waitMs))?.instances;
    },

    async groupsOf(instanceIds, { waitMs }) {
      return pick(await placementsOf(instanceIds, waitMs), (placement) => placement.instanceGroupId);
    },

    async regionsOf(instanceIds, { waitMs }) {
      return pick(await placementsOf(instanceIds, waitMs), (placement) => placement.region);
    },

    async phoneRegionsOf(instanceIds, { waitMs }) {
      return pick(await placementsOf(instanceIds, waitMs), (placement) => placement.regionId || placement.region);
    },

    async unknownOf(instanceIds, { waitMs }) {
      const current = listing;
      // No listing yet: a first one can take longer than the answer has (Slack's 3 s), so the caller is told nothing
      // and the backup reports an unknown id later, as it always could. None is started for this: the open form and
      // the picker start one, and an inline command's backup looks its instances up by id anyway.
      if (!current) return undefined;
      if (!fresh(current.at)) void refresh().catch(() => undefined);
      const absent = [...new Set(instanceIds)].filter((id) => !current.byId.has(id));
      if (absent.length === 0) return [];
      // An instance created after the listing is missing from it: only the cloud's answer by id refuses an id.
      try {
        const placements = await placementsOf(absent, waitMs);
        return absent.filter((id) => placements.get(id) === undefined);
      } catch {
        return undefined;
      }
    },
  };
}
