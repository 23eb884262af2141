/** What every operation handler receives and returns. Handlers validate, change state and shape the response. */
import { instanceNotFound, instanceStatusInvalid } from '../api-error.js';
import type { Params } from '../params.js';
import type { InstanceStatus, SimInstance, SimState } from '../state.js';

export interface OperationContext {
  params: Params;
  state: SimState;
  now: number;
  requestId: string;
}

export interface Operation {
  /** Changes state; used for the default scope of the `dropAfterApply` fault. */
  mutating: boolean;
  /** The response body without RequestId, which the gateway adds. Throws ApiError to refuse. */
  run(context: OperationContext): Record<string, unknown>;
}

/** Every id must exist (404 otherwise), in the order given. */
export function requireInstances(state: SimState, ids: string[]): SimInstance[] {
  return ids.map((id) => {
    const instance = state.instances.get(id);
    if (!instance) throw instanceNotFound(id);
    return instance;
  });
}

/**
 * Refuses the whole call if any instance is in a state the operation does not allow. The real code for this is
 * UNCONFIRMED (§5.1); see api-error.ts.
 */
export function requireStatus(instances: SimInstance[], allowed: readonly InstanceStatus[], action: string): void {
  for (const instance of instances) {
    if (!allowed.includes(instance.status)) {
      throw instanceStatusInvalid(instance.id, instance.status, action, allowed);
    }
  }
}

/** Case-insensitive substring, for the parameters the docs call fuzzy. */
export function fuzzyMatch(value: string, query: string | undefined): boolean {
  return query === undefined || value.toLowerCase().includes(query.toLowerCase());
}
