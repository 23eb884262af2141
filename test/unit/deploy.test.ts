/**
 * Production start without a compiler: `npm start` runs the built bot and never rebuilds, and deploy/ (systemd,
 * Docker) follows the README's steps.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const readme = read('README.md');
const dockerfile = read('deploy/Dockerfile');
const unit = read('deploy/cloudphone-bot.service');

// npm start's command: node, the heap flags the bench's burst row measured, then dist/main.js.
const startCommand = pkg.scripts.start ?? '';
const startWords = startCommand.split(/\s+/);

describe('running in production', () => {
  it('npm start runs dist/main.js and builds nothing', () => {
    expect(startWords[0]).toBe('node');
    expect(startWords.at(-1)).toBe('dist/main.js');
    expect(pkg.scripts.prestart).toBeUndefined();
    expect(readme).toContain('npm ci && npm run build');
    expect(readme).toContain(startCommand);
  });

  it('the Dockerfile builds in stages and runs node dist/main.js as a non-root user, with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev$/m);
    const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runStage).toMatch(/^USER (?!root)\w+/m);
    expect(runStage).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(runStage).toContain(`CMD ${JSON.stringify(startWords).replaceAll(',', ', ')}`);
    expect(runStage).not.toMatch(/tsc|npm run build|tsx/);
  });

  it('the systemd unit runs the built bot as its own user and does not loop on a settings error', () => {
    expect(unit).toContain(`ExecStart=/usr/bin/${startCommand}\n`);
    expect(unit).toMatch(/^User=(?!root)\w+/m);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    expect(unit).toContain('npm ci && npm run build && npm prune --omit=dev');
    expect(readme).toContain('npm prune --omit=dev');
  });
});
