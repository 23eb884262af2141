/**
 * A backup uploads within the phones' region. BackupApp sends the file from the phone to OSS through the endpoint the
 * request names; the service documents the bucket's internal endpoint for a bucket in the phone's region and its
 * public endpoint for one elsewhere (BackupFile, `UploadEndpoint`). The bot keeps backups in the phones' region: the
 * form starts with the internal endpoint of the instances' region, and a request whose endpoint serves another
 * region than an instance, or whose instances span regions (one endpoint serves one region), is refused with what to
 * change, rather than uploading across regions over the public network.
 *
 * Checked only with several CLOUDPHONE_REGIONS; the region is the phone's own (`RegionId` as listed), else the
 * configured region that listed it. Instances the cloud does not know are left out here (known-instances.ts refuses
 * them when it can tell in time, else the backup itself reports them).
 *
 * The messages follow `input.ts`: Slack mrkdwn with values in code spans, turned into plain text for modal fields.
 */
import { inlineCode } from '../../blocks/escape.js';
import { internalUploadEndpoint, ossEndpointRegion } from '../../cloud-phone/regions.js';
import type { BackupFieldErrors } from './input.js';
import type { BackupSpec } from './model.js';

const show = (value: string): string => inlineCode(value, 60);

/** Instance ids by the region they are in; ids without a known region are left out. */
export function byRegion(
  instanceIds: readonly string[],
  regions: Readonly<Record<string, string>>,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const id of instanceIds) {
    const region = regions[id];
    if (region !== undefined) groups.set(region, [...(groups.get(region) ?? []), id]);
  }
  return groups;
}

/** Up to `max` ids in code spans, the rest counted. */
export function listIds(ids: readonly string[], max = 3): string {
  const shown = ids.slice(0, max).map(show).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

/**
 * What is wrong with uploading these instances' backups through `uploadEndpoint`, by field; undefined when nothing
 * is (one region, and an endpoint of that region or one whose region the bot cannot tell).
 */
export function uploadRegionErrors(
  spec: Pick<BackupSpec, 'instanceIds' | 'uploadEndpoint'>,
  regions: Readonly<Record<string, string>>,
): BackupFieldErrors | undefined {
  const groups = byRegion(spec.instanceIds, regions);
  if (groups.size > 1) {
    const where = [...groups].map(([region, ids]) => `${listIds(ids)} in ${show(region)}`).join('; ');
    return {
      instanceIds: `These instances are in ${groups.size} regions: ${where}. One backup uploads through one OSS endpoint, which serves one region, and the bot does not upload across regions: back up each region's instances in a request of their own.`,
    };
  }
  const [only] = groups;
  if (!only) return undefined;
  const [region, ids] = only;
  const endpoint = ossEndpointRegion(spec.uploadEndpoint);
  if (!endpoint || endpoint.region === region) return undefined;
  const isAre = ids.length === 1 ? 'is' : 'are';
  return {
    uploadEndpoint: `${show(spec.uploadEndpoint)} is in ${show(endpoint.region)}, but ${listIds(ids)} ${isAre} in ${show(region)}, and the bot does not upload across regions. Choose ${show(internalUploadEndpoint(region))} with a bucket in ${show(region)}, or back up instances in ${show(endpoint.region)}.`,
  };
}

/**
 * The endpoint a backup of these instances starts with: the internal endpoint of their region when they are all in
 * one region and `fallback` serves another (or none the bot can tell), else `fallback`.
 */
export function endpointFollowingRegion(
  instanceIds: readonly string[],
  regions: Readonly<Record<string, string>>,
  fallback: string,
): string {
  const groups = byRegion(instanceIds, regions);
  if (groups.size !== 1) return fallback;
  const [region] = [...groups.keys()] as [string];
  return ossEndpointRegion(fallback)?.region === region ? fallback : internalUploadEndpoint(region);
}

const UNKNOWN_REGIONS =
  "The bot could not learn which region these instances are in from the cloud just now, and a backup uploads within the phones' region. Try again in a moment.";

export interface UploadRegionsOptions {
  /** False with one configured region: nothing is looked up and every endpoint is taken as given. */
  enabled: boolean;
  /** Instance id → the region the phone is in, for the ids the cloud knows. Rejects when the cloud does not answer. */
  regionsOf(instanceIds: readonly string[]): Promise<Readonly<Record<string, string>>>;
}

export interface UploadRegions {
  /** The form's first endpoint for instances typed with the command (`fallback` when they are unknown or mixed). */
  endpointFor(instanceIds: readonly string[], fallback: string): Promise<string>;
  /**
   * The spec to submit, or what to fix. With `endpointTyped` false (the inline command without `--endpoint`), the
   * endpoint follows the instances' region first; a typed one (and every form's) is checked as it is.
   */
  settle(
    spec: BackupSpec,
    options: { endpointTyped: boolean },
  ): Promise<{ ok: true; spec: BackupSpec } | { ok: false; errors: BackupFieldErrors }>;
}

export function createUploadRegions(options: UploadRegionsOptions): UploadRegions {
  return {
    async endpointFor(instanceIds, fallback) {
      if (!options.enabled || instanceIds.length === 0) return fallback;
      try {
        return endpointFollowingRegion(instanceIds, await options.regionsOf(instanceIds), fallback);
      } catch {
        // The form opens with the usual default; the submission is checked again.
        return fallback;
      }
    },

    async settle(spec, { endpointTyped }) {
      if (!options.enabled) return { ok: true, spec };
      let regions: Readonly<Record<string, string>>;
      try {
        regions = await options.regionsOf(spec.instanceIds);
      } catch {
        return { ok: false, errors: { instanceIds: UNKNOWN_REGIONS } };
      }
      const settled = endpointTyped
        ? spec
        : { ...spec, uploadEndpoint: endpointFollowingRegion(spec.instanceIds, regions, spec.uploadEndpoint) };
      const errors = uploadRegionErrors(settled, regions);
      return errors ? { ok: false, errors } : { ok: true, spec: settled };
    },
  };
}
