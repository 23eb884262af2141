/**
 * The app probe (issue 17): one short shell command, sent with RunSyncCommand to a batch of instances, that reports
 * for each package whether it is installed (`pm path`), its version (`dumpsys package`), the size of its data
 * directory (`du -sk`), and, when asked, whether its launcher activity starts (`monkey … LAUNCHER`, then `pidof`).
 * This module only builds the command and reads its output; it makes no call.
 *
 * Package names go into a shell command, so each one is checked against Android's package-name pattern first and
 * anything else is refused: the pattern admits only letters, digits, `_` and `.`, none of which a shell treats
 * specially.
 */

/** Android's package-name rule (the manifest's `package`): dot-separated segments, each starting with a letter. */
export const ANDROID_PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$/;

/** RunSyncCommand's longest wait (ms): the whole probe must finish within it (cloud-phone-api.md §3.10). */
export const PROBE_WAIT_MS = 3000;

/** Lines the probe prints before each app's facts and for its process; chosen so no tool's own output starts so. */
const APP_MARK = '@@app ';
const PID_MARK = '@@pid ';

/** A data directory of at most this many KiB holds nothing but its own empty folders (`du -sk` counts 4 per folder). */
export const EMPTY_DATA_KIB = 16;

/** What the probe found about one app on one instance. */
export interface AppFacts {
  packageName: string;
  installed: boolean;
  versionName?: string | undefined;
  versionCode?: number | undefined;
  /** Size of `/data/data/<package>` in bytes (from `du -sk`), when du could measure it. */
  dataBytes?: number | undefined;
  /** What du said instead of a size (e.g. `No such file or directory`), when it gave no size. */
  dataError?: string | undefined;
  /** With a launch: whether the app's process was running after its launcher activity was started. */
  started?: boolean | undefined;
}

export class UnsafePackageNameError extends Error {
  constructor(readonly packageName: string) {
    super(
      `"${packageName.slice(0, 80)}" is not an Android package name (letters, digits and _ in dot-separated parts, e.g. com.example.app); it was not put in a command`,
    );
    this.name = 'UnsafePackageNameError';
  }
}

/**
 * The probe's command for these packages. With `launch`, each app's launcher activity is started first and, after a
 * second (all apps at once, to stay within RunSyncCommand's 3 s), the app's process id is printed.
 * Throws UnsafePackageNameError for any name that is not a package name.
 */
export function buildProbeCommand(packages: readonly string[], options: { launch: boolean }): string {
  if (packages.length === 0) throw new Error('the probe needs at least one package');
  for (const name of packages) if (!ANDROID_PACKAGE_NAME.test(name)) throw new UnsafePackageNameError(name);
  const list = packages.join(' ');
  const facts = [
    `echo "${APP_MARK}$p"`,
    `pm path "$p" 2>&1 | head -n 1`,
    `dumpsys package "$p" | grep -E 'versionName=|versionCode='`,
    `du -sk "/data/data/$p" 2>&1`,
    ...(options.launch ? [`echo "${PID_MARK}$(pidof "$p")"`] : []),
  ].join('; ');
  const probe = `for p in ${list}; do ${facts}; done`;
  if (!options.launch) return probe;
  const launch = `for p in ${list}; do monkey -p "$p" -c android.intent.category.LAUNCHER 1 >/dev/null 2>&1; done; sleep 1`;
  return `${launch}; ${probe}`;
}

/** Splits the output into each app's lines, by the marks the command prints. */
function sections(output: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.startsWith(APP_MARK)) {
      current = [];
      found.set(line.slice(APP_MARK.length).trim(), current);
    } else if (current && line.trim() !== '') current.push(line);
  }
  return found;
}

/** One app's lines → its facts. The first versionName/versionCode wins: dumpsys lists the active package first. */
export function parseAppSection(packageName: string, lines: readonly string[]): AppFacts {
  const facts: AppFacts = { packageName, installed: lines.some((line) => line.trim().startsWith('package:')) };
  const dataDir = `/data/data/${packageName}`;
  const duErrors: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    const name = /^versionName=(.*)$/.exec(trimmed);
    if (name && facts.versionName === undefined) facts.versionName = name[1]?.trim() || undefined;
    const code = /(?:^|\s)versionCode=(\d+)/.exec(trimmed);
    if (code && facts.versionCode === undefined) facts.versionCode = Number(code[1]);
    const size = /^(\d+)\s+(\S.*)$/.exec(trimmed);
    if (size && size[2] === dataDir) facts.dataBytes = Number(size[1]) * 1024;
    if (trimmed.startsWith('du:')) duErrors.push(trimmed.replace(`du: ${dataDir}: `, '').replace(/^du:\s*/, ''));
    if (trimmed.startsWith(PID_MARK.trim())) facts.started = /\d/.test(trimmed.slice(PID_MARK.trim().length));
  }
  if (facts.dataBytes === undefined) facts.dataError = duErrors[0] ?? 'du printed no size';
  return facts;
}

/**
 * Reads one instance's probe output. An app whose section is missing (the command was cut off) is left out: the
 * caller says it could not check it, rather than calling it uninstalled.
 */
export function parseProbeOutput(output: string, packages: readonly string[]): Map<string, AppFacts> {
  const bySection = sections(output);
  const result = new Map<string, AppFacts>();
  for (const name of packages) {
    const lines = bySection.get(name);
    if (lines) result.set(name, parseAppSection(name, lines));
  }
  return result;
}
