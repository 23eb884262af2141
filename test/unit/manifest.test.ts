import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND } from '../../src/blocks/ids.js';
import { SUBCOMMANDS } from '../../src/commands/parse-command.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Slack's official manifest schema (MIT; its licence is beside it), kept in the project so a plain clone can run this.
const schemaPath = join(root, 'test', 'fixtures', 'slack', 'manifest.schema.1.0.0.json');

const manifest = parse(readFileSync(`${root}manifest.yml`, 'utf8')) as {
  features: {
    slash_commands: { command: string; url?: string; usage_hint?: string; should_escape?: boolean }[];
    app_home?: { home_tab_enabled?: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    event_subscriptions?: { request_url?: string; bot_events?: string[] };
  };
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

  it('turns the Home tab on and subscribes to app_home_opened on the endpoint Bolt serves', () => {
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions?.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.event_subscriptions?.request_url).toMatch(/\/slack\/events$/);
  });

  it('has Slack escape mentions (so `audit @alex` arrives as <@U…|alex>) and names every command in its hint', () => {
    const [command] = manifest.features.slash_commands;
    expect(command?.should_escape).toBe(true);
    for (const sub of SUBCOMMANDS) expect(command?.usage_hint).toContain(sub);
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
