/**
 * What a phone's shell prints for the commands the bot sends with RunSyncCommand: `pm list packages [-3]`, and the
 * loops of the app probe (`for p in …; do …; done` over `echo`, `pm path`, `dumpsys package … | grep …`,
 * `du -sk /data/data/…`, `monkey -p … LAUNCHER`, `pidof`, `sleep`). Output is shaped as Android prints it. Anything
 * else prints nothing, as a command with no output would. No real shell is run.
 */
import { appOf } from './apps.js';
import { stableId } from './random.js';
import type { SimInstance } from './state.js';

const SYSTEM_PACKAGES = ['android', 'com.android.phone', 'com.android.settings', 'com.android.systemui'];

/** What one command's run remembers: the apps whose launcher activity it started (their processes now run). */
interface Session {
  instance: SimInstance;
  started: Set<string>;
}

const installed = (session: Session, name: string) => session.instance.packages.includes(name);

function pid(session: Session, name: string): string {
  if (!session.started.has(name)) return '';
  return String(1000 + (Number.parseInt(stableId('', `${session.instance.id}/${name}`, 3), 36) % 30_000));
}

function listPackages(words: string[], instance: SimInstance): string {
  const packages = words.includes('-3') ? instance.packages : [...SYSTEM_PACKAGES, ...instance.packages];
  return packages.map((name) => `package:${name}\n`).join('');
}

/** One simple command (no `;`), `$p` already replaced. */
function runSimple(session: Session, statement: string): string {
  const text = statement.trim();
  const unquoted = (value: string) => value.replace(/^"(.*)"$/, '$1');
  const echo = /^echo (.*)$/.exec(text);
  if (echo) {
    const value = unquoted(echo[1] ?? '').replace(/\$\(pidof "?([\w.]+)"?\)/g, (_, name: string) => pid(session, name));
    return `${value}\n`;
  }
  const words = text.split(/\s+/);
  if (words[0] === 'pm' && words[1] === 'list' && words[2] === 'packages') return listPackages(words, session.instance);
  const path = /^pm path "?([\w.]+)"?/.exec(text);
  if (path?.[1]) {
    const name = path[1];
    return installed(session, name) ? `package:/data/app/~~${stableId('', name, 22)}==/${name}-1/base.apk\n` : '';
  }
  const dumpsys = /^dumpsys package "?([\w.]+)"?/.exec(text);
  if (dumpsys?.[1]) {
    const name = dumpsys[1];
    if (!installed(session, name)) return '';
    const app = appOf(session.instance, name);
    return `    versionCode=${app.versionCode} minSdk=24 targetSdk=33\n    versionName=${app.versionName}\n`;
  }
  const du = /^du -sk "?\/data\/data\/([\w.]+)"?/.exec(text);
  if (du?.[1]) {
    const name = du[1];
    if (!installed(session, name)) return `du: /data/data/${name}: No such file or directory\n`;
    return `${Math.ceil(appOf(session.instance, name).dataBytes / 1024)}\t/data/data/${name}\n`;
  }
  const monkey = /^monkey -p "?([\w.]+)"? -c android\.intent\.category\.LAUNCHER/.exec(text);
  if (monkey?.[1]) {
    if (installed(session, monkey[1])) session.started.add(monkey[1]);
    return '';
  }
  return '';
}

/** `for p in a b; do x; y; done` and plain statements, separated by `; `. */
export function runShell(instance: SimInstance, command: string): string {
  const session: Session = { instance, started: new Set() };
  let out = '';
  const loop = /for p in ([\w. ]+); do (.*?); done/y;
  let rest = command.trim();
  while (rest.length > 0) {
    loop.lastIndex = 0;
    const match = loop.exec(rest);
    if (match) {
      const body = (match[2] ?? '').split('; ');
      for (const name of (match[1] ?? '').trim().split(/\s+/)) {
        for (const statement of body) out += runSimple(session, statement.replaceAll('$p', name));
      }
      rest = rest.slice(match[0].length).replace(/^;\s*/, '');
      continue;
    }
    const end = rest.indexOf('; ');
    out += runSimple(session, end < 0 ? rest : rest.slice(0, end));
    rest = end < 0 ? '' : rest.slice(end + 2);
  }
  return out;
}
