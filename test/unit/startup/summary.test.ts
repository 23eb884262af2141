import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startSummary } from '../../../src/startup/summary.js';

const SLACK = { SLACK_BOT_TOKEN: 'xoxb-secret-token-1', SLACK_SIGNING_SECRET: 'signing-secret-2' };

describe('the start line and its warnings', () => {
  it('says how the bot runs in one line, never a secret', () => {
    const config = loadConfig({
      ...SLACK,
      CLOUDPHONE_ADMINS: 'U0ALICE U0BOB',
      CLOUDPHONE_SIMULATOR: '1',
      DATABASE_PATH: '/var/lib/bot/bot.db',
      PORT: '3100',
      HOST: '127.0.0.1',
    });
    const { line, warnings } = startSummary(config, undefined);
    expect(line).toBe(
      'Cloud Phone bot: HTTP mode on 127.0.0.1:3100; simulated cloud (no real cloud phone is touched); 2 admins, no policy file; database /var/lib/bot/bot.db',
    );
    expect(warnings).toEqual([]);
    const socket = startSummary(
      loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', CLOUDPHONE_REGION: 'cn-shanghai' }),
      { admins: ['U0ALICE'], roles: 3 },
    );
    expect(socket.line).toContain('Socket Mode; real cloud in cn-shanghai; 1 admin, policy');
    expect(socket.line).toContain('with 3 roles');
    const regions = startSummary(
      loadConfig({ ...SLACK, CLOUDPHONE_REGION: 'cn-shanghai', CLOUDPHONE_REGIONS: 'cn-shanghai,ap-southeast-1' }),
      undefined,
    );
    expect(regions.line).toContain('real cloud in cn-shanghai, ap-southeast-1;');
    expect(`${line}${socket.line}`).not.toMatch(/secret|xoxb|xapp/);
  });

  it('warns when everyone will be denied, an admin entry is no user id, or a default would be refused', () => {
    const { warnings } = startSummary(loadConfig(SLACK), undefined);
    expect(warnings).toEqual([expect.stringContaining('No admins and no policy roles: everyone will be denied')]);
    const odd = startSummary(
      loadConfig({
        ...SLACK,
        CLOUDPHONE_ADMINS: 'U0ALICE,@bob',
        CLOUDPHONE_DEFAULT_BACKUP_PATH: 'oss://my-bucket/backups/',
      }),
      undefined,
    );
    expect(odd.warnings).toHaveLength(2);
    expect(odd.warnings[0]).toContain('CLOUDPHONE_ADMINS entry "@bob" is not a Slack user id');
    expect(odd.warnings[1]).toContain('CLOUDPHONE_DEFAULT_BACKUP_PATH would be refused by the backup form');
    expect(odd.warnings[1]).not.toContain('`');
  });
});
