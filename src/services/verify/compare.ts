/**
 * Compares what the probe found on a restored target with what it found on the source at backup time: installed,
 * same version, data directory not empty and within the size tolerance, started. Without facts from backup time
 * (a backup made before this, or elsewhere) only what needs none is checked, and what could not be compared is named.
 */
import { type AppFacts, EMPTY_DATA_KIB } from './app-probe.js';
import type { InstanceProbe, ProbeMiss } from './probe.js';

export type AppProblem =
  | { kind: 'not-installed' }
  | { kind: 'wrong-version'; expected: Version; found: Version }
  | { kind: 'data-empty'; foundBytes: number }
  | { kind: 'data-size'; foundBytes: number; expectedBytes: number; tolerance: number }
  | { kind: 'data-unknown'; detail: string }
  | { kind: 'not-started' }
  | { kind: 'not-reported' };

export interface Version {
  name?: string | undefined;
  code?: number | undefined;
}

/** What could not be compared for want of facts from backup time. */
export type NotCompared = 'version' | 'data-size';

export interface AppCheck {
  packageName: string;
  found?: AppFacts | undefined;
  atBackup?: AppFacts | undefined;
  problems: AppProblem[];
  notCompared: NotCompared[];
}

export type TargetCheck =
  | { instanceId: string; outcome: 'passed' | 'failed'; apps: AppCheck[] }
  | {
      instanceId: string;
      outcome: 'impossible';
      miss: ProbeMiss;
      /** The instance's status when it was not running; the invocation status or error code otherwise. */
      detail?: string | undefined;
    };

/** Facts the source gave at backup time: per app, or why there are none. */
export type SourceFacts = { recorded: true; apps: AppFacts[] } | { recorded: false };

const sameVersion = (a: AppFacts, b: AppFacts): boolean =>
  (a.versionName ?? '') === (b.versionName ?? '') && a.versionCode === b.versionCode;

function checkApp(packageName: string, found: AppFacts | undefined, source: SourceFacts, tolerance: number): AppCheck {
  const atBackup = source.recorded ? source.apps.find((app) => app.packageName === packageName) : undefined;
  const check: AppCheck = { packageName, found, atBackup, problems: [], notCompared: [] };
  if (!found) {
    check.problems.push({ kind: 'not-reported' });
    return check;
  }
  if (!found.installed) {
    check.problems.push({ kind: 'not-installed' });
    return check;
  }
  if (atBackup?.installed) {
    if (!sameVersion(found, atBackup)) {
      check.problems.push({
        kind: 'wrong-version',
        expected: { name: atBackup.versionName, code: atBackup.versionCode },
        found: { name: found.versionName, code: found.versionCode },
      });
    }
  } else check.notCompared.push('version');
  if (found.dataBytes === undefined) {
    check.problems.push({ kind: 'data-unknown', detail: found.dataError ?? 'no size' });
  } else if (found.dataBytes <= EMPTY_DATA_KIB * 1024) {
    check.problems.push({ kind: 'data-empty', foundBytes: found.dataBytes });
  } else if (atBackup?.dataBytes !== undefined) {
    const expected = atBackup.dataBytes;
    if (Math.abs(found.dataBytes - expected) > expected * tolerance) {
      check.problems.push({ kind: 'data-size', foundBytes: found.dataBytes, expectedBytes: expected, tolerance });
    }
  } else check.notCompared.push('data-size');
  if (found.started === false) check.problems.push({ kind: 'not-started' });
  return check;
}

/**
 * One target's verdict. `tolerance` is a fraction (0.2 for 20%). A target the probe could not read is `impossible`,
 * never passed: "could not look" is not evidence.
 */
export function checkTarget(input: {
  instanceId: string;
  packages: readonly string[];
  probe: InstanceProbe;
  source: SourceFacts;
  tolerance: number;
  /** The target's status when it was seen not to be running. */
  status?: string | undefined;
}): TargetCheck {
  const { probe } = input;
  if (!probe.ok) {
    return {
      instanceId: input.instanceId,
      outcome: 'impossible',
      miss: probe.miss,
      detail: probe.miss === 'not-running' ? input.status : probe.detail,
    };
  }
  const apps = input.packages.map((name) =>
    checkApp(
      name,
      probe.apps.find((app) => app.packageName === name),
      input.source,
      input.tolerance,
    ),
  );
  const passed = apps.length > 0 && apps.every((app) => app.problems.length === 0);
  return { instanceId: input.instanceId, outcome: passed ? 'passed' : 'failed', apps };
}
