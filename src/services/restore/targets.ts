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
  /**
   * Picked ids, then typed entries (lines, or comma-separated parts; a part is a whole instance name, or words that are
   * each an id or a name), as instance ids without repeats. Never throws.
   */
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
      const isId = (entry: string) => checkInstanceId(entry).ok;
      // Only a part that is not all ids needs the listing: pasted ids never wait for it.
      const needsNames = typed.some((entry) => !entry.split(/\s+/).every(isId));
      const scope = needsNames
        ? await deps.inScope(actor, channelId).catch(() => ({ instances: [], listed: false }))
        : { instances: [], listed: true };
      const named = (name: string): InstanceSummary[] => {
        const exact = scope.instances.filter((i) => i.name === name);
        // Names differ from what people remember mostly in case; an exact match wins over a case-blind one.
        if (exact.length > 0) return exact;
        const lower = name.toLowerCase();
        return scope.instances.filter((i) => i.name !== undefined && i.name.toLowerCase() === lower);
      };
      const unknown: string[] = [];
      for (const entry of typed) {
        // A whole line that names an instance is that instance ("Login phone"); otherwise its words are ids or names.
        const whole = /\s/.test(entry) ? named(entry) : [];
        const parts: [string, InstanceSummary[]][] =
          whole.length > 0 ? [[entry, whole]] : entry.split(/\s+/).map((word) => [word, isId(word) ? [] : named(word)]);
        for (const [part, matches] of parts) {
          const [only, ...others] = matches;
          if (matches.length === 0 && isId(part)) ids.push(part);
          else if (only && others.length === 0) ids.push(only.instanceId);
          else if (only) {
            return {
              ok: false,
              problem: { kind: 'ambiguous', name: part, instanceIds: matches.map((i) => i.instanceId) },
            };
          } else unknown.push(part);
        }
      }
      if (unknown.length > 0) {
        // `acp-…` typed slightly wrong is a typo in an id, not a name: its check says exactly what to fix.
        const idLike = unknown.find((entry) => /^acp-/i.test(entry));
        const check = idLike === undefined ? undefined : checkInstanceId(idLike);
        if (check && !check.ok) return { ok: false, problem: { kind: 'malformed', message: check.message } };
        return {
          ok: false,
          problem: { kind: scope.listed ? 'unknown' : 'not-listed', entries: [...new Set(unknown)] },
        };
      }
      return { ok: true, instanceIds: [...new Set(ids)] };
    },

    async unknownIds(instanceIds) {
      const unknown = await deps.unknownOf(instanceIds).catch(() => undefined);
      return unknown ? [...unknown] : [];
    },
  };
}
