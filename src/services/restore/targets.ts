/**
 * The restore form's targets as a person gives them: instances picked from the list (ids), and typed entries that are
 * ids or instance names. Names are resolved through the cached fleet listing the pickers use, within the person's
 * restore scope: a name outside it resolves to nothing, so the form tells no one what lies beyond their scope. Ids go
 * on as typed: the permission check decides on them first, then `unknownIds` tells which name no instance, all before
 * the ack, so the person fixes them in the form instead of reading about them after the cloud was asked.
 */
import { checkInstanceId } from '../backup/input.js';
import type { Actor } from '../backup/model.js';
import type { InstanceSummary } from '../fleet/instance-directory.js';

export type TargetProblem =
  /** Entries that are neither an instance id nor the name of an instance in the person's restore scope. */
  | { kind: 'unknown'; entries: string[] }
  /** A name that more than one instance in scope carries: only its id says which. */
  | { kind: 'ambiguous'; name: string; instanceIds: string[] }
  /** Names typed while the bot has no listing of the fleet yet: they cannot be looked up in time. */
  | { kind: 'not-listed'; entries: string[] }
  /** An entry shaped almost like an id (`acp-…`) but malformed: the id check's own message says what is wrong. */
  | { kind: 'malformed'; message: string };

export type ResolvedTargets = { ok: true; instanceIds: string[] } | { ok: false; problem: TargetProblem };

export interface RestoreTargets {
  /** Typed entries and picked ids as instance ids, in the order given, without repeats. Never throws. */
  resolve(
    actor: Actor,
    channelId: string,
    typed: readonly string[],
    picked: readonly string[],
  ): Promise<ResolvedTargets>;
  /** The ids among these that the cloud has no instance for; empty when that cannot be told in time. Never throws. */
  unknownIds(instanceIds: readonly string[]): Promise<string[]>;
}

export function createRestoreTargets(deps: {
  /** The person's restore scope from the cached listing (`listed` false when there is none yet). */
  inScope(actor: Actor, channelId: string): Promise<{ instances: readonly InstanceSummary[]; listed: boolean }>;
  /** Ids the cloud has no instance for; undefined when that cannot be told in time. */
  unknownOf(instanceIds: readonly string[]): Promise<readonly string[] | undefined>;
}): RestoreTargets {
  return {
    async resolve(actor, channelId, typed, picked) {
      const ids: string[] = [...picked];
      const named = typed.filter((entry) => !checkInstanceId(entry).ok);
      ids.push(...typed.filter((entry) => checkInstanceId(entry).ok));
      if (named.length > 0) {
        const scope = await deps.inScope(actor, channelId).catch(() => ({ instances: [], listed: false }));
        const unknown: string[] = [];
        for (const entry of named) {
          const exact = scope.instances.filter((i) => i.name === entry);
          // Names differ from what people remember mostly in case; an exact match wins over a case-blind one.
          const matches =
            exact.length > 0
              ? exact
              : scope.instances.filter((i) => i.name !== undefined && i.name.toLowerCase() === entry.toLowerCase());
          const [only, ...others] = matches;
          if (only && others.length === 0) ids.push(only.instanceId);
          else if (only) {
            return {
              ok: false,
              problem: { kind: 'ambiguous', name: entry, instanceIds: matches.map((i) => i.instanceId) },
            };
          } else unknown.push(entry);
        }
        if (unknown.length > 0) {
          // `acp-…` typed slightly wrong is a typo in an id, not a name: its check says exactly what to fix.
          const idLike = unknown.find((entry) => /^acp-/i.test(entry));
          if (idLike !== undefined) {
            const check = checkInstanceId(idLike);
            if (!check.ok) return { ok: false, problem: { kind: 'malformed', message: check.message } };
          }
          return { ok: false, problem: { kind: scope.listed ? 'unknown' : 'not-listed', entries: unknown } };
        }
      }
      return { ok: true, instanceIds: [...new Set(ids)] };
    },

    async unknownIds(instanceIds) {
      const unknown = await deps.unknownOf(instanceIds).catch(() => undefined);
      return unknown ? [...unknown] : [];
    },
  };
}
