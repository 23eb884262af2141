/**
 * A policy file on disk for a test (the bot reads CLOUDPHONE_POLICY from a path), in a temporary folder of its own.
 * `remove()` deletes the folder; call it in afterEach.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function writePolicyFile(lines: readonly string[] | string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-policy-'));
  const path = join(dir, 'policy.yaml');
  writeFileSync(path, typeof lines === 'string' ? lines : `${lines.join('\n')}\n`);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
