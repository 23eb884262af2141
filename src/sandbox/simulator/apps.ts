/**
 * The apps on a simulated phone, as the bot's probe sees them (issue 17): each installed package has a version and a
 * data directory of some size. A backup keeps what its apps were; a restore (RecoverApp) puts exactly that on the
 * target, unless a test injected a fault: another version, an empty data directory, or a command that never answers.
 */

import { stableId } from './random.js';
import { appDataBytes, type SimBackupFile, type SimInstance } from './state.js';

export interface SimApp {
  versionName: string;
  versionCode: number;
  dataBytes: number;
}

/** What a test can make go wrong with an instance's apps. */
export interface AppFaults {
  /** While set, restores onto this instance install this version instead of the backup's. */
  restoredVersion?: { versionName: string; versionCode: number } | undefined;
  /** While set, restores onto this instance leave each app's data directory empty. */
  restoredDataEmpty?: boolean | undefined;
  /** RunSyncCommand on this instance does not finish within its wait (InvocationStatus RUNNING, no output). */
  commandTimeout?: boolean | undefined;
}

/** An empty data directory as `du -sk` counts it: the folder and its empty `cache` and `code_cache` (4 KiB each). */
export const EMPTY_DATA_BYTES = 12 * 1024;

/** An installed package's version and data: as set (by a restore or a test), else stable made-up values. */
export function appOf(instance: SimInstance, packageName: string): SimApp {
  const known = instance.appDetails[packageName];
  if (known) return known;
  // One version per package across the fleet, as when every phone installs the same release.
  const minor = Number.parseInt(stableId('', packageName, 2), 36) % 60;
  return {
    versionName: `8.0.${minor}`,
    versionCode: 80_000 + minor,
    dataBytes: appDataBytes(instance.id, packageName),
  };
}

/** What a backup of these apps keeps of them. */
export function snapshotApps(instance: SimInstance, apps: readonly string[]): Record<string, SimApp> {
  return Object.fromEntries(apps.map((name) => [name, { ...appOf(instance, name) }]));
}

/** A successful restore: the backup's apps, as they were, on the target (faults applied). */
export function restoreApps(target: SimInstance, file: SimBackupFile, faults: AppFaults | undefined): void {
  target.packages = [...target.packages.filter((app) => !file.apps.includes(app)), ...file.apps];
  for (const name of file.apps) {
    const kept = file.appDetails[name] ?? { versionName: '1.0', versionCode: 1, dataBytes: EMPTY_DATA_BYTES };
    target.appDetails[name] = {
      ...kept,
      ...(faults?.restoredVersion ?? {}),
      ...(faults?.restoredDataEmpty ? { dataBytes: EMPTY_DATA_BYTES } : {}),
    };
  }
}
