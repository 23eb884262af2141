import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { signedFetch } from '../../src/sandbox/simulator/index.js';

// `node --import tsx` is what `npm run simulator` amounts to, in one process (the tsx binary adds a second one).
const NODE_ARGS = ['--import', 'tsx', 'src/sandbox/simulator-cli.ts'];

/** Starts the CLI and resolves with its output once it has printed everything up to `until`. */
async function launch(args: string[], env: NodeJS.ProcessEnv, until: RegExp) {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start:\n${output}`)), 20_000);
    const check = () => {
      if (until.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output };
}

async function stopped(child: ChildProcess, signal: NodeJS.Signals) {
  const exit = once(child, 'exit');
  child.kill(signal);
  const [code] = await exit;
  return code as number | null;
}

/** The environment without any Alibaba Cloud key. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  delete env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  return env;
}

/** Runs the CLI with arguments it should refuse; resolves to its exit code and what it wrote to stderr. */
async function refused(args: string[]): Promise<{ code: unknown; errors: string }> {
  const child = spawn(process.execPath, [...NODE_ARGS, '--port', '0', ...args], { env: cleanEnv() });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const [code] = await once(child, 'exit');
  return { code, errors };
}

describe('simulator CLI', () => {
  it('serves with the key pair from the environment, prints its URL, and exits cleanly on SIGTERM', async () => {
    const credentials = { accessKeyId: 'LTAI5tCliTest', accessKeySecret: 'cli-test-secret' };
    const env = {
      ...cleanEnv(),
      ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    };
    const { child, output } = await launch(['--port', '0', '--fast'], env, /Accepting AccessKeyId/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
    expect(url).toBeDefined();
    expect(output()).not.toContain(credentials.accessKeySecret);

    const response = await signedFetch(url!, { action: 'DescribeAndroidInstances', credentials });
    expect(response.status).toBe(200);
    expect((response.body as { TotalCount: number }).TotalCount).toBe(8);
    expect(await stopped(child, 'SIGTERM')).toBe(0);
  });

  it('without keys in the environment, makes up a throwaway pair, prints it, and stops on SIGINT', async () => {
    const { child, output } = await launch(['--port', '0'], cleanEnv(), /ACCESS_KEY_SECRET=\S+/);
    const url = /listening on (http:\/\/[^\s]+)/.exec(output())?.[1];
    const accessKeyId = /ACCESS_KEY_ID=(\S+)/.exec(output())?.[1];
    const accessKeySecret = /ACCESS_KEY_SECRET=(\S+)/.exec(output())?.[1];
    expect(accessKeyId).toBeDefined();
    const response = await signedFetch(url!, {
      action: 'DescribeTasks',
      credentials: { accessKeyId: accessKeyId!, accessKeySecret: accessKeySecret! },
    });
    expect(response.status).toBe(200);
    expect(await stopped(child, 'SIGINT')).toBe(0);
  });

  it('refuses a bad fleet file with a message naming the problem', async () => {
    const { code, errors } = await refused(['--fleet', '/nonexistent/fleet.json']);
    expect(code).toBe(1);
    expect(errors).toContain('Cannot read fleet file /nonexistent/fleet.json');
  });

  it('refuses a rate limit that is not a positive number, and says what to give', async () => {
    const { code, errors } = await refused(['--rate-limit', 'lots']);
    expect(code).toBe(1);
    expect(errors).toContain('--rate-limit must be a positive number of calls per second');
  });
});
