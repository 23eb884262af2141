/**
 * Slack user group membership for the access policy, cached per group for a short time so that a person removed from
 * a group loses access within `ttlMs`. Slack itself is passed in as two functions (the Slack layer wraps
 * `usergroups.users.list` and `usergroups.list`), so this module never imports a Slack client.
 *
 * Fail closed: a lookup that throws counts as "not a member", is reported through `onError`, and is not cached, so
 * the next check asks Slack again.
 */

export interface UserGroupDirectoryOptions {
  /** Members (user ids) of a user group, by id (`S…`). The Slack layer calls `usergroups.users.list`. */
  listMembers: (usergroupId: string) => Promise<readonly string[]>;
  /**
   * Group id for a handle, given WITHOUT the leading `@` and in lower case, or undefined when no group has it. The
   * Slack layer calls `usergroups.list` and matches `handle`. Without it, handles in the policy match nobody.
   */
  resolveHandle?: ((handle: string) => Promise<string | undefined>) | undefined;
  /** How long a group's member list (and a handle's id) is trusted. 0 asks Slack on every check. */
  ttlMs: number;
  now?: (() => number) | undefined;
  /** Told about each failed lookup (for the log); the check itself fails closed. */
  onError?: ((error: unknown, groupRef: string) => void) | undefined;
  /**
   * Longest a membership check waits for Slack; a group still unanswered then counts as failed ("try again"). The
   * check runs before Slack's 3-second ack, so this must leave the ack in time. The lookup itself goes on and fills
   * the cache for the next check. Default: no limit.
   */
  deadlineMs?: number | undefined;
}

export interface MembershipResult {
  /** The references (as given) that the person belongs to. */
  groups: Set<string>;
  /** References whose lookup failed just now; treated as "not a member". */
  failed: string[];
}

export interface UserGroupDirectory {
  /** Which of `candidateGroups` (`S…` ids or `@handles`) the user belongs to. Failed lookups count as not a member. */
  groupsOf(userId: string, candidateGroups: readonly string[]): Promise<Set<string>>;
  /** Like `groupsOf`, and also says which lookups failed so a denial can tell the person to try again. */
  membership(userId: string, candidateGroups: readonly string[]): Promise<MembershipResult>;
  /** Is the user in this one group (`S…` id or `@handle`)? False when the lookup fails. */
  isMember(userId: string, groupRef: string): Promise<boolean>;
  /**
   * The group id of `@handle` (or `handle`) as last resolved, while trusted; undefined when it is not cached or names no
   * group. Never asks Slack: a message that mentions the group uses it, and must not wait.
   */
  knownGroupId(handle: string): string | undefined;
  /** Forgets everything cached (for tests and an admin "reload"). */
  clear(): void;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/** One cache with in-flight sharing: concurrent lookups of the same key make one call; failures are not kept. */
function createLoader<T>(load: (key: string) => Promise<T>, ttlMs: number, now: () => number) {
  const cache = new Map<string, Cached<T>>();
  const inFlight = new Map<string, Promise<T>>();
  return {
    get(key: string): Promise<T> {
      const hit = cache.get(key);
      if (hit && now() < hit.expiresAt) return Promise.resolve(hit.value);
      const pending = inFlight.get(key);
      if (pending) return pending;
      // Expiry counts from when the question was asked, so data is never trusted longer than ttl after Slack's answer.
      const askedAt = now();
      const promise = (async () => {
        try {
          const value = await load(key);
          if (ttlMs > 0) cache.set(key, { value, expiresAt: askedAt + ttlMs });
          else cache.delete(key);
          return value;
        } finally {
          inFlight.delete(key);
        }
      })();
      inFlight.set(key, promise);
      return promise;
    },
    /** The cached value while trusted, without loading. */
    peek(key: string): T | undefined {
      const hit = cache.get(key);
      return hit && now() < hit.expiresAt ? hit.value : undefined;
    },
    clear(): void {
      cache.clear();
    },
  };
}

export class LookupDeadlineError extends Error {
  constructor(deadlineMs: number) {
    super(`Slack did not answer the user group lookup within ${deadlineMs} ms`);
    this.name = 'LookupDeadlineError';
  }
}

/** Like Promise.allSettled, with every promise still pending after `deadlineMs` settled as a LookupDeadlineError. */
function settledWithin<T>(promises: Promise<T>[], deadlineMs: number | undefined): Promise<PromiseSettledResult<T>[]> {
  if (deadlineMs === undefined || promises.length === 0) return Promise.allSettled(promises);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LookupDeadlineError(deadlineMs)), deadlineMs);
  });
  // A late answer must not become an unhandled rejection after the race is decided.
  late.catch(() => undefined);
  return Promise.allSettled(promises.map((promise) => Promise.race([promise, late]))).finally(() =>
    clearTimeout(timer),
  );
}

export function createUserGroupDirectory(options: UserGroupDirectoryOptions): UserGroupDirectory {
  const now = options.now ?? Date.now;
  const ttlMs = Math.max(0, options.ttlMs);
  const members = createLoader(async (groupId) => new Set(await options.listMembers(groupId)), ttlMs, now);
  const handles = createLoader(
    async (handle) => {
      if (!options.resolveHandle) throw new Error(`cannot resolve @${handle}: no handle resolver configured`);
      return options.resolveHandle(handle);
    },
    ttlMs,
    now,
  );

  async function check(userId: string, groupRef: string): Promise<boolean> {
    let groupId = groupRef;
    if (groupRef.startsWith('@')) {
      const resolved = await handles.get(groupRef.slice(1).toLowerCase());
      if (resolved === undefined) return false;
      groupId = resolved;
    }
    return (await members.get(groupId)).has(userId);
  }

  async function membership(userId: string, candidateGroups: readonly string[]): Promise<MembershipResult> {
    const refs = [...new Set(candidateGroups)];
    const results = await settledWithin(
      refs.map((ref) => check(userId, ref)),
      options.deadlineMs,
    );
    const groups = new Set<string>();
    const failed: string[] = [];
    results.forEach((result, index) => {
      const ref = refs[index] as string;
      if (result.status === 'fulfilled') {
        if (result.value) groups.add(ref);
      } else {
        failed.push(ref);
        options.onError?.(result.reason, ref);
      }
    });
    return { groups, failed };
  }

  return {
    membership,
    async groupsOf(userId, candidateGroups) {
      return (await membership(userId, candidateGroups)).groups;
    },
    async isMember(userId, groupRef) {
      return (await membership(userId, [groupRef])).groups.has(groupRef);
    },
    knownGroupId(handle) {
      return handles.peek(handle.replace(/^@/, '').toLowerCase());
    },
    clear() {
      members.clear();
      handles.clear();
    },
  };
}
