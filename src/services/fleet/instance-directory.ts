/**
 * The account's cloud phone instances as the access layer and the backup modal need them: ids, names, statuses and
 * instance groups. Listing a fleet takes one `DescribeAndroidInstances` page per 100 instances, far too slow to do
 * for every keystroke in the modal's instance picker or every permission check, so the listing is cached.
 *
 * - `list` answers from the cached listing, even a stale one (refreshing it in the background), so the picker
 *   answers within Slack's 3 seconds. With no listing yet it waits at most `waitMs` for the first one.
 * - `groupsOf` answers the instance groups of a few ids for policy rules that name `ag-…` groups. A listing younger
 *   than `ttlMs` answers; ids it lacks, or all of them when it is older, are asked for by id (and cached as long).
 *   A failed or late answer throws, and the caller fails closed.
 * - Failures are never cached: the next question asks the cloud again.
 */

export interface InstanceSummary {
  instanceId: string;
  name?: string | undefined;
  status: string;
  instanceGroupId?: string | undefined;
  /** The configured region whose endpoint listed it (CLOUDPHONE_REGIONS). */
  region?: string | undefined;
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
}

/** Ids asked for one by one are remembered up to this many (oldest forgotten first): typed ids are unbounded. */
const MAX_LEARNT_GROUPS = 10_000;

interface Listing {
  instances: readonly InstanceSummary[];
  byId: ReadonlyMap<string, InstanceSummary>;
  at: number;
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
  /** Groups learnt by id, for instances the listing does not have yet. */
  const groupById = new Map<string, { groupId: string | undefined; at: number }>();

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
      const out: Record<string, string> = {};
      const missing: string[] = [];
      const current = listing && fresh(listing.at) ? listing : undefined;
      for (const id of new Set(instanceIds)) {
        const known = current?.byId.get(id);
        const learnt = groupById.get(id);
        if (known) {
          if (known.instanceGroupId) out[id] = known.instanceGroupId;
        } else if (learnt && fresh(learnt.at)) {
          if (learnt.groupId) out[id] = learnt.groupId;
        } else {
          missing.push(id);
        }
      }
      if (missing.length === 0) return out;
      const askedAt = now();
      const found = await within(options.describe({ instanceIds: missing }), waitMs);
      if (found === undefined) throw new Error(`the cloud did not list the instances within ${waitMs} ms`);
      const byId = new Map(found.map((i) => [i.instanceId, i]));
      for (const id of missing) {
        // An id the cloud does not know is in no group; remembering that saves asking again within ttl.
        const groupId = byId.get(id)?.instanceGroupId;
        if (ttlMs > 0) {
          groupById.delete(id);
          groupById.set(id, { groupId, at: askedAt });
          if (groupById.size > MAX_LEARNT_GROUPS) groupById.delete(groupById.keys().next().value as string);
        }
        if (groupId) out[id] = groupId;
      }
      return out;
    },
  };
}
