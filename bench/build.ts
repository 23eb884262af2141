/**
 * Compiles the bench workers (bench/ and the src/ they import) with tsc into `.bench-build/`, so that they run as
 * `npm start` runs the bot: plain `node` on JavaScript. Under the tsx loader a process carries a loader thread and
 * esbuild's transform caches, which production does not have (measured: +33 MB resident for a bare `node -e`, +50 MB
 * for the idle bot), and the memory row is about production.
 *
 * The folder sits inside the project so that Node finds `node_modules` and the `"type": "module"` of package.json by
 * walking up, exactly as for `dist/`. Incremental: a re-run recompiles only what changed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where the compiled bench files land (matches outDir + rootDir of tsconfig.bench.json). */
export const BUILD_DIR = '.bench-build';

const WORKERS = ['bot-worker.js', 'sim-worker.js', 'load-worker.js'];

function compile(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], { cwd: projectRoot, stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`tsc -p tsconfig.bench.json failed:\n${output.slice(0, 4000)}`);
  }
}

/** Runs tsc on tsconfig.bench.json; returns the folder holding the compiled bench/*.js. Throws on a type error. */
export function buildWorkers(): string {
  const outDir = join(projectRoot, BUILD_DIR);
  const workerDir = join(outDir, 'bench');
  compile();
  // An incremental build does not re-emit output deleted by hand while its build info stayed: start that one afresh.
  if (!WORKERS.every((file) => existsSync(join(workerDir, file)))) {
    rmSync(outDir, { recursive: true, force: true });
    compile();
  }
  return workerDir;
}

/**
 * The Node flags `npm start` gives the bot (package.json `scripts.start`: `node <flags> dist/main.js`), so the bench's
 * bot processes run with the same heap settings as production.
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').split(/\s+/).filter(Boolean);
  if (words[0] !== 'node') throw new Error(`package.json scripts.start does not run node: ${pkg.scripts?.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}
