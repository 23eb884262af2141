/**
 * What the backup modal's instance picker offers as a person types: instances from the cached listing that are in
 * their scope for `backup` (instance globs and `ag-…` groups of their roles, everything for admins), matching what
 * they typed. The picker only helps: the submission is checked like typed ids, whatever the picker offered.
 */
import type { InstanceDirectory, InstanceSummary } from './instance-directory.js';
import type { Actor } from './model.js';
import { globMatches } from './policy.js';

/** Which instances a person may pick: everything, or those an instance glob or an `ag-…` group id covers. */
export interface InstanceScope {
  unrestricted: boolean;
  patterns: readonly string[];
}

export interface InstanceSuggestions {
  /** Matching instances in scope, sorted by id; `listed` is false when the cloud's listing is not available yet. */
  suggest(
    actor: Actor,
    channelId: string,
    query: string,
  ): Promise<{ instances: InstanceSummary[]; listed: boolean; inScope: number }>;
}

export function inScope(scope: InstanceScope, instance: InstanceSummary): boolean {
  if (scope.unrestricted) return true;
  return scope.patterns.some((pattern) =>
    pattern.startsWith('ag-') ? instance.instanceGroupId === pattern : globMatches(pattern, instance.instanceId),
  );
}

/** An instance in scope, with the lower-case text a query is matched against. */
interface Candidate {
  instance: InstanceSummary;
  haystack: string;
}

/** Scopes kept per listing: a listing lives a minute, and each person's keystrokes reuse their scope's list. */
const MAX_SCOPES_PER_LISTING = 200;

const byId = (a: Candidate, b: Candidate) =>
  a.instance.instanceId < b.instance.instanceId ? -1 : a.instance.instanceId > b.instance.instanceId ? 1 : 0;

export function createInstanceSuggestions(deps: {
  directory: Pick<InstanceDirectory, 'list'>;
  scopeOf(actor: Actor, channelId: string): Promise<InstanceScope>;
  /** How long a first listing may take before the picker answers without it (Slack waits 3 s for the answer). */
  waitMs: number;
}): InstanceSuggestions {
  // Matching a 10,000-instance listing against a scope's globs took about 7 ms; a keystroke must not redo it.
  let cachedListing: readonly InstanceSummary[] | undefined;
  const byScope = new Map<string, Candidate[]>();

  function candidates(all: readonly InstanceSummary[], scope: InstanceScope): Candidate[] {
    if (all !== cachedListing) {
      cachedListing = all;
      byScope.clear();
    }
    const key = scope.unrestricted ? '*' : scope.patterns.join('\n');
    let found = byScope.get(key);
    if (found === undefined) {
      found = all
        .filter((instance) => inScope(scope, instance))
        .map((instance) => ({
          instance,
          haystack: `${instance.instanceId} ${instance.name ?? ''} ${instance.instanceGroupId ?? ''}`.toLowerCase(),
        }))
        .sort(byId);
      if (byScope.size >= MAX_SCOPES_PER_LISTING) byScope.clear();
      byScope.set(key, found);
    }
    return found;
  }

  return {
    async suggest(actor, channelId, query) {
      const scope = await deps.scopeOf(actor, channelId);
      if (!scope.unrestricted && scope.patterns.length === 0) return { instances: [], listed: true, inScope: 0 };
      // A failed listing is logged by the directory; the picker then offers nothing and typed ids still work.
      const all = await deps.directory.list({ waitMs: deps.waitMs }).catch(() => undefined);
      if (all === undefined) return { instances: [], listed: false, inScope: 0 };
      const allowed = candidates(all, scope);
      // Case-insensitive: every word typed must appear in the id, the name or the group id.
      const words = query
        .toLowerCase()
        .split(/[\s,;]+/)
        .filter(Boolean);
      const matching = words.length === 0 ? allowed : allowed.filter((c) => words.every((w) => c.haystack.includes(w)));
      return { instances: matching.map((c) => c.instance), listed: true, inScope: allowed.length };
    },
  };
}
