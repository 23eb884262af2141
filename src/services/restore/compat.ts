/**
 * Whether a backup can be restored onto an instance. Pure. The API is blunt (cloud-phone-api.md §3.1 caveat 3,
 * §3.2): no restore across image versions, between custom and public images, or across architectures, and only onto a
 * running instance. The bot refuses rather than guesses: a fact it does not know is a refusal, with the reason.
 */
import type { ImageFacts, RestoreTarget, TargetFacts, TargetVerdict } from './model.js';

/** Statuses from which StartAndroidInstance can bring an instance up (§3.8): the bot may offer a start first. */
export const STARTABLE_STATUSES: ReadonlySet<string> = new Set(['STOPPED', 'BACKUP_FAILED', 'RECOVER_FAILED']);

/** Backup file statuses a restore can read from (§4.2). */
export const RESTORABLE_FILE_STATUSES: ReadonlySet<string> = new Set(['AVAILABLE', 'RECOVERING', 'RECOVERY_FAILED']);

export type CompatibilityCode =
  | 'ImageKindMismatch'
  | 'ImageVersionMismatch'
  | 'ArchitectureMismatch'
  | 'InstanceTypeMismatch'
  | 'SourceFactUnknown'
  | 'TargetFactUnknown';

export interface Incompatibility {
  code: CompatibilityCode;
  /** Which fact: `imageKind`, `imageVersion`, `serverType`, `instanceType`. */
  fact: keyof ImageFacts;
  source?: string | undefined;
  target?: string | undefined;
}

const RULES: readonly { fact: keyof ImageFacts; code: CompatibilityCode; what: string }[] = [
  { fact: 'imageKind', code: 'ImageKindMismatch', what: 'image kind (public or custom)' },
  { fact: 'imageVersion', code: 'ImageVersionMismatch', what: 'image version' },
  { fact: 'serverType', code: 'ArchitectureMismatch', what: 'architecture (server type)' },
  { fact: 'instanceType', code: 'InstanceTypeMismatch', what: 'instance type' },
];

const known = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** Every rule the target breaks against the source, in a fixed order; empty when compatible. */
export function compatibilityProblems(source: ImageFacts, target: ImageFacts): Incompatibility[] {
  const problems: Incompatibility[] = [];
  for (const rule of RULES) {
    const s = source[rule.fact];
    const t = target[rule.fact];
    if (!known(s)) problems.push({ code: 'SourceFactUnknown', fact: rule.fact, target: t });
    else if (!known(t)) problems.push({ code: 'TargetFactUnknown', fact: rule.fact, source: s });
    else if (s.trim().toLowerCase() !== t.trim().toLowerCase()) {
      problems.push({ code: rule.code, fact: rule.fact, source: s, target: t });
    }
  }
  return problems;
}

/** One sentence per problem, e.g. "image version differs: the backup needs 3.5.3.867, this instance has 3.6.1.1012". */
export function describeProblem(problem: Incompatibility): string {
  const what = RULES.find((rule) => rule.fact === problem.fact)?.what ?? problem.fact;
  switch (problem.code) {
    case 'SourceFactUnknown':
      return `the backup's source ${what} is unknown, so the bot cannot check it`;
    case 'TargetFactUnknown':
      return `this instance's ${what} is unknown, so the bot cannot check it`;
    default:
      return `${what} differs: the backup needs ${problem.source}, this instance has ${problem.target}`;
  }
}

export interface TargetAssessment {
  verdict: TargetVerdict;
  /** For a refusal: the first problem's code (`ImageVersionMismatch`, `InstanceNotFound`, `UnsuitableStatus`…). */
  code?: string | undefined;
  /** For a refusal: every reason, in words. */
  reason?: string | undefined;
}

/**
 * The verdict on one target: refused when the source facts are unknown, the instance is missing, it breaks a
 * compatibility rule, or its status allows neither a restore nor a start; `needs-start` when it is compatible but not
 * running; otherwise `ready`.
 */
export function assessTarget(
  source: { facts?: ImageFacts | undefined; unknownReason?: string | undefined },
  target: TargetFacts | undefined,
): TargetAssessment {
  if (source.facts === undefined) {
    return {
      verdict: 'refused',
      code: 'SourceUnknown',
      reason: source.unknownReason ?? 'the image and architecture of the backed-up instance are unknown',
    };
  }
  if (target === undefined) {
    return { verdict: 'refused', code: 'InstanceNotFound', reason: 'no instance with this id in this account' };
  }
  const problems = compatibilityProblems(source.facts, target);
  if (problems.length > 0) {
    return {
      verdict: 'refused',
      code: problems[0]?.code,
      reason: problems.map(describeProblem).join('; '),
    };
  }
  if (target.status === 'RUNNING') return { verdict: 'ready' };
  if (STARTABLE_STATUSES.has(target.status)) return { verdict: 'needs-start' };
  return {
    verdict: 'refused',
    code: 'UnsuitableStatus',
    reason: `the instance is ${target.status}; a restore needs it RUNNING (try again when it is)`,
  };
}

/**
 * A restore stays within the backup's region: RecoverApp, sent to the target's region, takes backup file ids of that
 * region. (Its reference lets the bucket be elsewhere, read through the bucket's public endpoint by OSS path, but says
 * nothing of another region's backup file ids; README "Fleets in several regions".) Undefined when both regions are
 * the same or unknown.
 */
export function crossRegionRefusal(
  backupRegion: string | undefined,
  targetRegion: string | undefined,
): TargetAssessment | undefined {
  if (backupRegion === undefined || targetRegion === undefined || backupRegion === targetRegion) return undefined;
  return {
    verdict: 'refused',
    code: 'CrossRegion',
    reason: `the backup is in ${backupRegion} and this instance in ${targetRegion}; a restore stays within the backup's region`,
  };
}

/** The targets a confirmed restore includes: ready ones, and stopped ones the person chose to start. */
export function includedTargets(request: { targets: RestoreTarget[]; startStopped: boolean }): RestoreTarget[] {
  return request.targets.filter(
    (target) => target.verdict === 'ready' || (target.verdict === 'needs-start' && request.startStopped),
  );
}
