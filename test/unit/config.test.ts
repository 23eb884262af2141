import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, withEnvFile } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const MINIMAL = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default (the README "Settings" table lists the same values)', () => {
    const config = loadConfig(MINIMAL);
    expect(config).toEqual({
      slack: {
        botToken: 'xoxb-1',
        mode: 'http',
        signingSecret: 'secret',
        appToken: undefined,
        apiUrl: undefined,
        port: 3000,
        host: '0.0.0.0',
      },
      ops: { port: 3001, host: '127.0.0.1', token: undefined },
      cloud: {
        region: 'cn-shanghai',
        regions: ['cn-shanghai'],
        endpoint: undefined,
        simulator: false,
        credentials: { kind: 'chain' },
        callTimeoutMs: 15_000,
        maxCallsPerSecond: 10,
      },
      backup: { defaultUploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com', defaultBackupPath: undefined },
      workflow: {
        pollIntervalMs: 5_000,
        maxPollIntervalMs: 60_000,
        stopTimeoutMs: 600_000,
        taskTimeoutMs: 21_600_000,
        progressUpdateMs: 10_000,
        transientRetryMs: 300_000,
        verifySizeTolerance: 0.2,
      },
      access: {
        admins: [],
        policyPath: undefined,
        userGroupCacheMs: 60_000,
        instanceCacheMs: 60_000,
        maxOpenRequestsPerPerson: 5,
      },
      schedules: { catchUpMs: 2 * 3_600_000, opsChannel: undefined },
      home: { staleBackupDays: 7 },
      databasePath: './data/cloudphone-bot.db',
      shutdownTimeoutMs: 30_000,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config.slack)).toBe(true);
  });

  it('refuses a per-person request cap below one, and takes a higher one', () => {
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON: '0' })).toEqual([
      'CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON: must be at least 1',
    ]);
    expect(
      loadConfig({ ...MINIMAL, CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON: '20' }).access.maxOpenRequestsPerPerson,
    ).toBe(20);
  });

  it('reads the schedules catch-up window as a duration and the ops channel as a channel id', () => {
    expect(loadConfig({ ...MINIMAL, CLOUDPHONE_SCHEDULE_CATCH_UP: '90m' }).schedules.catchUpMs).toBe(90 * 60_000);
    expect(loadConfig({ ...MINIMAL, CLOUDPHONE_SCHEDULE_CATCH_UP: '0s' }).schedules.catchUpMs).toBe(0);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_SCHEDULE_CATCH_UP: '2 hours' })).toEqual([
      'CLOUDPHONE_SCHEDULE_CATCH_UP: must be a duration such as 2h, 90m or 0s (at most 30d)',
    ]);
    expect(loadConfig({ ...MINIMAL, CLOUDPHONE_OPS_CHANNEL: 'C0OPS' }).schedules.opsChannel).toBe('C0OPS');
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_OPS_CHANNEL: '#ops' })).toEqual([
      'CLOUDPHONE_OPS_CHANNEL: must be a channel id such as C0123ABCD (channel details > About, at the bottom)',
    ]);
  });

  it('refuses a stale-backup age that is not a whole number of days from 1, and takes a valid one', () => {
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_STALE_BACKUP_DAYS: '0' })).toEqual([
      'CLOUDPHONE_STALE_BACKUP_DAYS: must be at least 1',
    ]);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_STALE_BACKUP_DAYS: 'week' })[0]).toMatch(
      /^CLOUDPHONE_STALE_BACKUP_DAYS: /,
    );
    expect(loadConfig({ ...MINIMAL, CLOUDPHONE_STALE_BACKUP_DAYS: '14' }).home.staleBackupDays).toBe(14);
  });

  it('refuses a cloud call rate that is not a whole number from 1 to 1000, and takes one that is', () => {
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_MAX_CALLS_PER_SECOND: '0' })).toEqual([
      'CLOUDPHONE_MAX_CALLS_PER_SECOND: must be at least 1',
    ]);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_MAX_CALLS_PER_SECOND: '2.5' })).toEqual([
      'CLOUDPHONE_MAX_CALLS_PER_SECOND: must be a whole number',
    ]);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_MAX_CALLS_PER_SECOND: 'fast' })).toEqual([
      'CLOUDPHONE_MAX_CALLS_PER_SECOND: must be a whole number',
    ]);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_MAX_CALLS_PER_SECOND: '5000' })).toEqual([
      'CLOUDPHONE_MAX_CALLS_PER_SECOND: must be at most 1000',
    ]);
    expect(loadConfig({ ...MINIMAL, CLOUDPHONE_MAX_CALLS_PER_SECOND: '50' }).cloud.maxCallsPerSecond).toBe(50);
  });

  it('reads the restore check size tolerance as a percentage and refuses what is not one', () => {
    const tolerance = (value: string) =>
      loadConfig({ ...MINIMAL, CLOUDPHONE_VERIFY_SIZE_TOLERANCE: value }).workflow.verifySizeTolerance;
    expect(tolerance('35%')).toBe(0.35);
    expect(tolerance(' 12.5 ')).toBe(0.125);
    expect(tolerance('0')).toBe(0);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_VERIFY_SIZE_TOLERANCE: 'lots' })).toEqual([
      'CLOUDPHONE_VERIFY_SIZE_TOLERANCE: must be a percentage such as 20 or 20%',
    ]);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_VERIFY_SIZE_TOLERANCE: '150%' })).toEqual([
      'CLOUDPHONE_VERIFY_SIZE_TOLERANCE: must be a percentage from 0 to 100, such as 20 or 20%',
    ]);
    expect(problemsOf({ ...MINIMAL, CLOUDPHONE_VERIFY_SIZE_TOLERANCE: '0.2' })).toEqual([
      'CLOUDPHONE_VERIFY_SIZE_TOLERANCE: must be a percentage such as 20 or 20% (write 20 for twenty per cent; 0.2 would mean 0.2%)',
    ]);
  });

  it('refuses an ops token too short to be a secret', () => {
    expect(problemsOf({ ...MINIMAL, OPS_TOKEN: 'short' })).toEqual([
      'OPS_TOKEN: must be at least 16 characters (e.g. openssl rand -hex 24)',
    ]);
    expect(loadConfig({ ...MINIMAL, OPS_TOKEN: 'a'.repeat(16) }).ops.token).toBe('a'.repeat(16));
  });

  it('runs in Socket Mode when an app token is set, without a signing secret', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(config.slack.mode).toBe('socket');
  });

  it('takes static keys only as a pair, and reads lists and flags', () => {
    const config = loadConfig({
      ...MINIMAL,
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI1',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'shh',
      CLOUDPHONE_ADMINS: 'U1, U2 U3',
      CLOUDPHONE_SIMULATOR: 'yes',
    });
    expect(config.cloud.credentials).toEqual({ kind: 'static', accessKeyId: 'LTAI1', accessKeySecret: 'shh' });
    expect(config.access.admins).toEqual(['U1', 'U2', 'U3']);
    expect(config.cloud.simulator).toBe(true);
  });

  it('reports every problem at once, naming the setting and the fix, never the value', () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxp-secret-value-1',
      SLACK_APP_TOKEN: '',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret-value-2',
      PORT: '70000',
      CLOUDPHONE_POLL_INTERVAL_MS: '1.5',
      CLOUDPHONE_REGION: 'Shanghai',
      CLOUDPHONE_SIMULATOR: 'maybe',
      SLACK_API_URL: 'not a url',
      LOG_LEVEL: 'loud',
      CLOUDPHONE_POLICYY: 'policy.yaml',
    };
    const problems = problemsOf(env);
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_API_URL',
      'PORT',
      'CLOUDPHONE_REGION',
      'CLOUDPHONE_SIMULATOR',
      'CLOUDPHONE_POLL_INTERVAL_MS',
      'LOG_LEVEL',
      'SLACK_SIGNING_SECRET',
      'ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      'CLOUDPHONE_POLICYY',
    ]);
    expect(problems).toContain('PORT: must be at most 65535');
    expect(problems).toContain(
      'CLOUDPHONE_POLICYY: not a setting; did you mean CLOUDPHONE_POLICY? (README "Settings" lists them all)',
    );
    const message = new ConfigError(problems).message;
    expect(message).not.toContain('secret-value');
    expect(message).not.toContain('Shanghai');
  });

  it('reads a fleet in several regions, home region first; the single CLOUDPHONE_REGION keeps working', () => {
    const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    expect(loadConfig({ ...base, CLOUDPHONE_REGION: 'ap-southeast-1' }).cloud).toMatchObject({
      region: 'ap-southeast-1',
      regions: ['ap-southeast-1'],
    });
    expect(
      loadConfig({ ...base, CLOUDPHONE_REGIONS: ' cn-shanghai, cn-hangzhou ,ap-southeast-1,cn-hangzhou' }).cloud,
    ).toMatchObject({ region: 'cn-shanghai', regions: ['cn-shanghai', 'cn-hangzhou', 'ap-southeast-1'] });
    expect(
      loadConfig({ ...base, CLOUDPHONE_REGIONS: 'cn-shanghai,ap-southeast-1', CLOUDPHONE_REGION: 'ap-southeast-1' })
        .cloud,
    ).toMatchObject({ region: 'ap-southeast-1', regions: ['ap-southeast-1', 'cn-shanghai'] });
    expect(problemsOf({ ...base, CLOUDPHONE_REGIONS: 'cn-shanghai,Hangzhou' })).toEqual([
      'CLOUDPHONE_REGIONS.1: must be region ids separated by commas, such as cn-shanghai,ap-southeast-1',
    ]);
    expect(
      problemsOf({ ...base, CLOUDPHONE_REGIONS: 'cn-shanghai,cn-hangzhou', CLOUDPHONE_ENDPOINT: 'http://127.0.0.1:9' }),
    ).toEqual([
      'CLOUDPHONE_ENDPOINT: names one endpoint, but CLOUDPHONE_REGIONS has several regions (each has its own endpoint); unset CLOUDPHONE_ENDPOINT',
    ]);
    expect(problemsOf({ ...base, CLOUDPHONE_REGIONS: 'cn-shanghai', CLOUDPHONE_REGION: 'cn-beijing' })).toEqual([
      'CLOUDPHONE_REGION: must be one of CLOUDPHONE_REGIONS when both are set (or set only CLOUDPHONE_REGIONS)',
    ]);
  });

  it('reports a missing bot token and the poll interval order', () => {
    expect(
      problemsOf({
        SLACK_SIGNING_SECRET: 's',
        CLOUDPHONE_POLL_INTERVAL_MS: '5000',
        CLOUDPHONE_MAX_POLL_INTERVAL_MS: '100',
      }),
    ).toEqual([
      'SLACK_BOT_TOKEN: required; the Bot User OAuth Token (xoxb-…) from OAuth & Permissions',
      'CLOUDPHONE_MAX_POLL_INTERVAL_MS: must not be smaller than CLOUDPHONE_POLL_INTERVAL_MS',
    ]);
  });
});

describe('withEnvFile', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts .env under the environment: a variable that is set wins', () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-env-'));
    writeFileSync(join(dir, '.env'), '# comment\nPORT=4000\nLOG_LEVEL=debug\nSLACK_SIGNING_SECRET="quoted value"\n');
    const { env, file } = withEnvFile({ PORT: '5000', OTHER: 'x' }, dir);
    expect(file).toBe(join(dir, '.env'));
    expect(env).toMatchObject({ PORT: '5000', LOG_LEVEL: 'debug', SLACK_SIGNING_SECRET: 'quoted value', OTHER: 'x' });
  });

  it('is optional, unless ENV_FILE names a file', () => {
    dir = mkdtempSync(join(tmpdir(), 'cloudphone-env-'));
    expect(withEnvFile({ A: '1' }, dir)).toEqual({ env: { A: '1' }, file: undefined });
    expect(() => withEnvFile({ ENV_FILE: 'missing.env' }, dir)).toThrow(/ENV_FILE: no file at .*missing\.env/);
    writeFileSync(join(dir, 'prod.env'), 'LOG_LEVEL=warn\n');
    expect(withEnvFile({ ENV_FILE: 'prod.env' }, dir).env.LOG_LEVEL).toBe('warn');
  });
});
