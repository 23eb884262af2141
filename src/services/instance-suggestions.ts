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

/** Case-insensitive: every word typed must appear in the id, the name or the group id. */
function matchesQuery(words: readonly string[], instance: InstanceSummary): boolean {
  if (words.length === 0) return true;
  const haystack = `${instance.instanceId} ${instance.name ?? ''} ${instance.instanceGroupId ?? ''}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}

export function createInstanceSuggestions(deps: {
  directory: Pick<InstanceDirectory, 'list'>;
  scopeOf(actor: Actor, channelId: string): Promise<InstanceScope>;
  /** How long a first listing may take before the picker answers without it (Slack waits 3 s for the answer). */
  waitMs: number;
}): InstanceSuggestions {
  return {
    async suggest(actor, channelId, query) {
      const scope = await deps.scopeOf(actor, channelId);
      if (!scope.unrestricted && scope.patterns.length === 0) return { instances: [], listed: true, inScope: 0 };
      // A failed listing is logged by the directory; the picker then offers nothing and typed ids still work.
      const all = await deps.directory.list({ waitMs: deps.waitMs }).catch(() => undefined);
      if (all === undefined) return { instances: [], listed: false, inScope: 0 };
      const words = query
        .toLowerCase()
        .split(/[\s,;]+/)
        .filter(Boolean);
      const allowed = all.filter((instance) => inScope(scope, instance));
      const instances = allowed
        .filter((instance) => matchesQuery(words, instance))
        .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
      return { instances, listed: true, inScope: allowed.length };
    },
  };
}
