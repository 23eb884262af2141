/**
 * Instance ids the cloud has no phone for, refused while the person can still fix them (under the form's instances
 * field, or as the inline command's answer) instead of being recorded and reported as skipped after the backup ran.
 *
 * The answer comes from the fleet listing the instance picker keeps (services/fleet/instance-directory.ts), the same
 * cache the upload-region check reads, never from a listing made for this request: the refusal has to be said before
 * Slack's 3-second ack. When the bot cannot tell in time (no listing yet, the cloud slow to answer by id) the request
 * goes through as before and the backup itself reports an id it does not find.
 *
 * Messages are mrkdwn like `input.ts`; `fieldErrors` makes them plain text for the form.
 */
import { COMMAND } from '../../blocks/ids.js';
import type { BackupFieldErrors } from './input.js';
import { listIds } from './upload-region.js';

/** Where the ids were typed: the form has an instance picker to choose from, the inline command does not. */
export type TypedIn = 'form' | 'command';

export interface KnownInstancesOptions {
  /** The ids the cloud has no instance for; undefined when that cannot be told in time. Never throws. */
  unknownOf(instanceIds: readonly string[]): Promise<readonly string[] | undefined>;
}

export interface KnownInstances {
  /** What to fix under the instances field when some ids name no instance; undefined when none do, or not known. */
  check(instanceIds: readonly string[], typedIn: TypedIn): Promise<BackupFieldErrors | undefined>;
}

/** The refusal for `unknown` ids (at least one). */
export function unknownInstancesText(unknown: readonly string[], typedIn: TypedIn): string {
  const one = unknown.length === 1;
  const what = one ? `No instance ${listIds(unknown)}` : `No instances ${listIds(unknown)}`;
  const fix =
    typedIn === 'form'
      ? one
        ? 'check the id, or pick one from the list'
        : 'check the ids, or pick them from the list'
      : `check ${one ? 'the id' : 'the ids'}, or pick from the list in the form (\`${COMMAND} backup\`)`;
  return `${what} in this account and region: ${fix}.`;
}

export function createKnownInstances(options: KnownInstancesOptions): KnownInstances {
  return {
    async check(instanceIds, typedIn) {
      const unknown = await options.unknownOf(instanceIds).catch(() => undefined);
      if (!unknown || unknown.length === 0) return undefined;
      return { instanceIds: unknownInstancesText(unknown, typedIn) };
    },
  };
}
