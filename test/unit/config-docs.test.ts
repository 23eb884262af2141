import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const example = readFileSync(`${root}.env.example`, 'utf8');

describe('the documented settings', () => {
  it('README "Settings" has a row for every setting, with its default', () => {
    const table = readme.slice(readme.indexOf('### Settings'), readme.indexOf('### Who may do what'));
    for (const name of [...SETTING_NAMES, 'ENV_FILE']) {
      expect(table, name).toMatch(new RegExp(`^\\| \`${name}\` \\| [^|]+ \\| [^|]+ \\|$`, 'm'));
    }
    const rows = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(rows.sort()).toEqual([...SETTING_NAMES, 'ENV_FILE'].sort());
  });

  it('.env.example mentions every setting', () => {
    for (const name of SETTING_NAMES) expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });

  it('README starts with the two commands that set up a fresh clone', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = firstBlock
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm install && npm run demo', 'npm test']);
  });
});
