/**
 * What the backup and restore forms' instance pickers offer as a person types: instances from the cached listing that
 * are in their scope for the form's action (instance globs and `ag-…` groups of their roles, everything for admins),
 * matching what they typed. The picker only helps: the submission is checked like typed ids, whatever the picker offered.
 */

import { type InstanceRule, instanceRefCovers } from '../access/policy.js';
import type { Actor } from '../backup/model.js';
import type { InstanceDirectory, InstanceSummary } from './instance-directory.js';

/**
 * Which instances a person may pick: everything, or those an instance glob or an `ag-…` group id covers; with `rules`,
 * those one role covers by pattern in one of its regions (the region that listed the instance, as the policy reads it).
 */
export interface InstanceScope {
  unrestricted: boolean;
  patterns: readonly string[];
  rules?: readonly InstanceRule[] | undefined;
}

/** The action whose scope a picker offers: the backup form's instances, or the restore form's targets. */
export type PickerAction = 'backup' | 'restore';

export interface Suggested {
  instances: InstanceSummary[];
  more: boolean;
  listed: boolean;
}

export interface InstanceSuggestions {
  /**
   * The first `limit` matching instances in scope, by id, and whether more match; `listed` is false when the cloud's
   * listing is not available yet.
   */
  suggest(actor: Actor, channelId: string, query: string, limit: number, action?: PickerAction): Promise<Suggested>;
  /**
   * Every instance in the person's scope for `action` (backup unless said), sorted by id, from the same cached listing
   * and scope index (the App Home lists them; the restore form resolves typed names with them); `listed` is false when
   * the cloud's listing is not available yet. The array is shared: read only.
   */
  inScope(
    actor: Actor,
    channelId: string,
    action?: PickerAction,
  ): Promise<{ instances: readonly InstanceSummary[]; listed: boolean }>;
}

export function inScope(scope: InstanceScope, instance: InstanceSummary): boolean {
  if (scope.unrestricted) return true;
  const covers = (pattern: string) => instanceRefCovers(pattern, instance.instanceId, instance.instanceGroupId);
  if (!scope.rules) return scope.patterns.some(covers);
  return scope.rules.some(
    (rule) =>
      (rule.regions === undefined || (instance.region !== undefined && rule.regions.includes(instance.region))) &&
      rule.patterns.some(covers),
  );
}

/**
 * The instances in one scope, sorted by id, with their lower-case search text (id, name, group, region) joined by newlines
 * into one string. A keystroke then runs `indexOf` over that one string, far quicker than an `includes` per phone.
 */
interface ScopeIndex {
  instances: InstanceSummary[];
  text: string;
  /** Where each instance's search text starts in `text`, plus the end. */
  starts: number[];
}

/** Scopes kept per listing: a listing lives a minute, and each person's keystrokes reuse their scope's index. */
const MAX_SCOPES_PER_LISTING = 200;

const byId = (a: InstanceSummary, b: InstanceSummary) =>
  a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;

function indexScope(all: readonly InstanceSummary[], scope: InstanceScope): ScopeIndex {
  const instances = all.filter((instance) => inScope(scope, instance)).sort(byId);
  const starts: number[] = [];
  let offset = 0;
  const texts = instances.map((instance) => {
    const text =
      `${instance.instanceId} ${instance.name ?? ''} ${instance.instanceGroupId ?? ''} ${instance.region ?? ''}`.toLowerCase();
    starts.push(offset);
    offset += text.length + 1;
    return text;
  });
  starts.push(offset);
  return { instances, text: texts.join('\n'), starts };
}

/**
 * The first `limit` instances whose text holds every word (words never hold a newline, so a match never spans two
 * instances), and whether more match. Stops at the first match past `limit`.
 */
function search(
  index: ScopeIndex,
  words: readonly string[],
  limit: number,
): { found: InstanceSummary[]; more: boolean } {
  const [first, ...rest] = words;
  if (first === undefined) {
    return { found: index.instances.slice(0, limit), more: index.instances.length > limit };
  }
  const found: InstanceSummary[] = [];
  let at = index.text.indexOf(first);
  let k = 0;
  while (at !== -1) {
    while ((index.starts[k + 1] as number) <= at) k++;
    const end = (index.starts[k + 1] as number) - 1;
    const own = rest.length === 0 ? '' : index.text.slice(index.starts[k], end);
    if (rest.every((word) => own.includes(word))) {
      if (found.length === limit) return { found, more: true };
      found.push(index.instances[k] as InstanceSummary);
    }
    at = index.text.indexOf(first, end + 1);
  }
  return { found, more: false };
}

export function createInstanceSuggestions(deps: {
  directory: Pick<InstanceDirectory, 'list'>;
  scopeOf(actor: Actor, channelId: string, action: PickerAction): Promise<InstanceScope>;
  /** How long a first listing may take before the picker answers without it (Slack waits 3 s for the answer). */
  waitMs: number;
}): InstanceSuggestions {
  // Matching a 10,000-instance listing against a scope's globs took about 7 ms; a keystroke must not redo it.
  let cachedListing: readonly InstanceSummary[] | undefined;
  const byScope = new Map<string, ScopeIndex>();

  function indexFor(all: readonly InstanceSummary[], scope: InstanceScope): ScopeIndex {
    if (all !== cachedListing) {
      cachedListing = all;
      byScope.clear();
    }
    const key = scope.unrestricted ? '*' : scope.rules ? JSON.stringify(scope.rules) : scope.patterns.join('\n');
    let index = byScope.get(key);
    if (index === undefined) {
      index = indexScope(all, scope);
      if (byScope.size >= MAX_SCOPES_PER_LISTING) byScope.clear();
      byScope.set(key, index);
    }
    return index;
  }

  /** The person's scope index, or why there is none: no scope at all (empty) or no listing yet. */
  async function scopeIndexOf(
    actor: Actor,
    channelId: string,
    action: PickerAction,
  ): Promise<ScopeIndex | 'no-scope' | 'not-listed'> {
    const scope = await deps.scopeOf(actor, channelId, action);
    if (!scope.unrestricted && scope.patterns.length === 0) return 'no-scope';
    // A failed listing is logged by the directory; the picker then offers nothing and typed ids still work.
    const all = await deps.directory.list({ waitMs: deps.waitMs }).catch(() => undefined);
    if (all === undefined) return 'not-listed';
    return indexFor(all, scope);
  }

  return {
    async inScope(actor, channelId, action = 'backup') {
      const index = await scopeIndexOf(actor, channelId, action);
      if (index === 'no-scope') return { instances: [], listed: true };
      if (index === 'not-listed') return { instances: [], listed: false };
      return { instances: index.instances, listed: true };
    },

    async suggest(actor, channelId, query, limit, action = 'backup') {
      const index = await scopeIndexOf(actor, channelId, action);
      if (index === 'no-scope') return { instances: [], more: false, listed: true };
      if (index === 'not-listed') return { instances: [], more: false, listed: false };
      // Case-insensitive: every word typed must appear in the id, the name or the group id.
      const words = query
        .toLowerCase()
        .split(/[\s,;]+/)
        .filter(Boolean);
      const { found, more } = search(index, words, limit);
      return { instances: found, more, listed: true };
    },
  };
}
