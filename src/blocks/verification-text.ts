/**
 * The restore's automatic checks in words, per target and app, with the evidence: "com.a 8.0.50 installed, data
 * 41 MB vs 43 MB at backup, started", or exactly what did not match, or why the bot could not look. Versions and
 * outputs come from the phone, so they are shown in code spans (escaped), never as markup.
 */
import type { RestoreChecks, RestoreRequestView } from '../services/restore/model.js';
import type { AppCheck, AppProblem, NotCompared, TargetCheck, Version } from '../services/verify/compare.js';
import type { ProbeMiss } from '../services/verify/probe.js';
import { code } from './common.js';
import { formatBytes, slackDate } from './format.js';

const versionText = (version: Version): string =>
  version.name === undefined && version.code === undefined
    ? 'no version'
    : `${code(version.name ?? '?', 40)}${version.code !== undefined ? ` (${version.code})` : ''}`;

function problemText(problem: AppProblem): string {
  switch (problem.kind) {
    case 'not-installed':
      return 'not installed after the restore';
    case 'wrong-version':
      return `version ${versionText(problem.found)}, but the backup had ${versionText(problem.expected)}`;
    case 'data-empty':
      return `data directory empty (${formatBytes(problem.foundBytes)})`;
    case 'data-size':
      return `data ${formatBytes(problem.foundBytes)} vs ${formatBytes(problem.expectedBytes)} at backup, more than ${Math.round(problem.tolerance * 100)}% apart`;
    case 'data-unknown':
      return `data size unknown (du: ${code(problem.detail, 80)})`;
    case 'not-started':
      return 'its launcher activity was started but its process did not appear';
    case 'not-reported':
      return 'the probe output stopped before this app (not checked)';
  }
}

const NOT_COMPARED_WORDS: Record<NotCompared, string> = { version: 'version', 'data-size': 'data size' };

/** One app's evidence, then what failed or could not be compared. */
export function appCheckText(check: AppCheck): string {
  const { found, atBackup } = check;
  const parts: string[] = [];
  if (found?.installed) {
    const version = found.versionName ?? (found.versionCode !== undefined ? String(found.versionCode) : undefined);
    parts.push(`${version !== undefined ? `${code(version, 40)} ` : ''}installed`);
    if (found.dataBytes !== undefined) {
      parts.push(
        `data ${formatBytes(found.dataBytes)}${atBackup?.dataBytes !== undefined ? ` vs ${formatBytes(atBackup.dataBytes)} at backup` : ''}`,
      );
    }
    if (found.started) parts.push('started');
  }
  const problems = check.problems.map(problemText);
  const mark = problems.length === 0 ? '✅' : '❌';
  let text = `${mark} ${code(check.packageName, 120)}${parts.length > 0 ? ` ${parts.join(', ')}` : ''}`;
  if (problems.length > 0) text += `: *${problems.join('; ')}*`;
  if (check.notCompared.length > 0) {
    text += ` · could not compare ${check.notCompared.map((what) => NOT_COMPARED_WORDS[what]).join(' or ')}: no app facts were recorded when this backup was made`;
  }
  return text;
}

const MISS_WORDS: Record<ProbeMiss, (detail: string | undefined) => string> = {
  'not-running': (status) =>
    `the instance is ${status ? code(status, 30) : 'not running'}, so the bot could not look at its apps`,
  timeout: (status) =>
    `the check command did not answer within RunSyncCommand's 3 s wait${status ? ` (status ${code(status, 30)})` : ''}`,
  'command-failed': (status) =>
    `the check command failed on the instance${status ? ` (status ${code(status, 30)})` : ''}`,
  'no-answer': () => 'the cloud did not answer for this instance',
  'call-failed': (error) => `RunSyncCommand failed${error ? ` (${code(error, 60)})` : ''}`,
};

/** Everything checked on one target, one line per app. */
export function targetCheckText(check: TargetCheck): string {
  const head = `${code(check.instanceId)}`;
  if (check.outcome === 'impossible') return `⚠️ ${head}: not verified: ${MISS_WORDS[check.miss](check.detail)}`;
  const lines = check.apps.map((app) => `   ${appCheckText(app)}`);
  return [`${check.outcome === 'passed' ? '✅' : '❌'} ${head}`, ...lines].join('\n');
}

/** The heading of the checks: verified automatically, or not and why in short. */
export function checksHeading(view: Pick<RestoreRequestView, 'automaticVerification'>, checks: RestoreChecks): string {
  if (view.automaticVerification) {
    const partly = checks.targets.some(
      (target) => target.outcome !== 'impossible' && target.apps.some((app) => app.notCompared.length > 0),
    );
    return partly
      ? `✅ *Verified automatically* ${slackDate(checks.at)}, as far as the bot could: every restored app is installed, has data and started, but nothing was recorded at backup time to compare its version and data size with.`
      : `✅ *Verified automatically* ${slackDate(checks.at)}: every restored app is installed with the backup's version and its data.`;
  }
  const impossible = checks.targets.filter((t) => t.outcome === 'impossible').length;
  const failed = checks.targets.filter((t) => t.outcome === 'failed').length;
  const why = [
    ...(failed > 0 ? [`${failed} instance${failed === 1 ? '' : 's'} did not match the backup`] : []),
    ...(impossible > 0 ? [`${impossible} could not be checked`] : []),
  ].join(', ');
  return `⚠️ *Not verified automatically*${why ? `: ${why}` : ''}. The backup stays unverified until a check passes or someone marks it verified.`;
}
