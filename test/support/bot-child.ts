/**
 * The bot as a child process (test/support/bot-process.ts), for tests that kill it with SIGKILL and start it again on
 * the same database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const botScript = join(process.cwd(), 'test', 'support', 'bot-process.ts');

/** Starts the bot with this environment; resolves once it takes requests, with its port. */
export function startBotProcess(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    // node itself with tsx as a loader, not the tsx CLI: the CLI runs the script in a child process that a SIGKILL
    // of the CLI would leave running.
    const child = spawn(process.execPath, ['--import', 'tsx', botScript], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`bot did not start: ${out.slice(-2000)}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bot exited with ${code} before it was ready: ${out.slice(-2000)}`));
    });
  });
}

/** SIGKILL: no graceful stop, nothing flushed beyond what was committed. */
export function killBot(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A linear congruential generator: crash tests kill the bot at the same points on every run of a seed. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
