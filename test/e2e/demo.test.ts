/**
 * `npm run demo` (CI also runs it on a clean clone): the transcript a newcomer reads, and a non-zero exit with the
 * reason when anything goes wrong.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/sandbox/demo.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('prints the conversation as a person sees it and succeeds', async () => {
    const lines: string[] = [];
    const result = await runDemo({ print: (line) => lines.push(line) });
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain('alice types: /cloudphone backup acp-5im2h81vop0g97yye acp-s8ipbb7tojojqe0dg');
    expect(text).toContain('Slack opens the form "Back up apps"');
    expect(text).toContain('│ 🧪 Simulated (no real cloud)');
    expect(text).toContain('│ @alice asked to back up 1 app on 2 instances');
    expect(text).toContain('│ ✅ Finished: all 2 backed up');
    expect(text).toMatch(
      /#backups {2}the bot updates it: ✅ Finished: all 2 backed up\n.*#backups {2}the bot replies in the thread/,
    );
    expect(text).toContain('└─ 1 reply');
    expect(text).toContain('│ @alice Finished: all 2 instances are backed up.');
    expect(result.backupFileIds).toHaveLength(2);
    for (const id of result.backupFileIds) expect(text).toMatch(new RegExp(`✅ acp-\\w+ \\([\\w-]+\\) → ${id} `));
    expect(text).toContain(`alice types: /cloudphone audit ${result.requestId}`);
    expect(text).toMatch(new RegExp(`@alice backup ✅ allowed \\(admins\\) ${result.requestId} .* → succeeded`));
    expect(text).toMatch(/^OK in \d+\.\d s: 2 backup files/m);
    // mrkdwn is rendered, not shown raw.
    expect(text).not.toMatch(/<@U|<#C|<!date|&lt;|&gt;|:white_check_mark:|`/);
    // A successful run leaves nothing behind.
    expect(existsSync(result.dir)).toBe(false);
  }, 60_000);

  it('fails with the reason when the backup does not succeed, and keeps the bot log', async () => {
    const result = await runDemo({
      print: () => undefined,
      beforeSubmit: ({ simulator, instanceIds }) =>
        simulator.failNextTask(instanceIds[1]!, 'AppNotInstalled', 'the app is not installed'),
    });
    try {
      expect(result.ok).toBe(false);
      expect(result.reason).toBe(`the request ended partial, not succeeded`);
      expect(existsSync(join(result.dir, 'bot.log'))).toBe(true);
    } finally {
      rmSync(result.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('exits non-zero and says why when it runs out of time', async () => {
    const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(root, 'src/sandbox/demo.ts'), '--timeout', '0.5'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^\nDemo FAILED: it did not finish within 0\.5 s/);
    const kept = /kept in (\S+)\n/.exec(stderr)?.[1];
    expect(kept).toBeDefined();
    if (kept) rmSync(kept, { recursive: true, force: true });
  }, 60_000);
});
