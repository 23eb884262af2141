import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND } from '../../src/blocks/ids.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Slack's official schema, kept beside the project in shared/ (see the developers' guide). A git worktree sits one
// level deeper (wt/<branch>/) than the main checkout, so look in both places.
const schemaPath =
  ['../../../shared/slack/manifest.schema.1.0.0.json', '../../../../shared/slack/manifest.schema.1.0.0.json']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((path) => existsSync(path)) ??
  fileURLToPath(new URL('../../../shared/slack/manifest.schema.1.0.0.json', import.meta.url));

const manifest = parse(readFileSync(`${root}manifest.yml`, 'utf8')) as {
  features: { slash_commands: { command: string; url?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url?: string } };
};

describe('manifest.yml', () => {
  it("is valid against Slack's official manifest schema", () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('names exactly the command the code registers, on the endpoint Bolt serves', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([COMMAND]);
    expect(manifest.features.slash_commands[0]?.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
  });

  it('asks for the scopes the bot uses: commands, posting, DMs, thread reading, files, user groups', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining([
        'commands',
        'chat:write',
        'im:write',
        'channels:history',
        'files:write',
        'usergroups:read',
      ]),
    );
  });
});
