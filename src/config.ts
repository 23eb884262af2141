/**
 * The only module that reads the environment. Two stages, as the house style asks: raw strings are parsed with zod,
 * every problem is reported at once (setting names and how to fix them, never values), and the result is a frozen,
 * grouped config object.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { ConfigError } from './errors.js';

export type Env = Record<string, string | undefined>;

export const DEFAULT_DATABASE_PATH = './data/cloudphone-bot.db';

const csv = (value: string | undefined): string[] =>
  (value ?? '')
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalText = z.preprocess(emptyToUndefined, z.string().trim().optional());
const boolFlag = z.preprocess(
  emptyToUndefined,
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { error: 'must be 1/0, true/false, yes/no or on/off' })
    .optional()
    .transform((value) => value === '1' || value === 'true' || value === 'yes' || value === 'on'),
);
const intSetting = (fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` })
      .default(fallback),
  );

/**
 * A percentage, `20` or `20%` (decimals allowed), 0–100; the config holds it as a fraction (0.2). A value between 0
 * and 1 is refused: `0.2` reads like a fraction but would mean 0.2%, a tolerance nobody means.
 */
const percentSetting = (fallback: number) =>
  z.preprocess(
    (value) => {
      const text = emptyToUndefined(value);
      return typeof text === 'string' ? text.trim().replace(/%$/, '').trim() : text;
    },
    z
      .string()
      .regex(/^\d+(?:\.\d+)?$/, { error: 'must be a percentage such as 20 or 20%' })
      .transform(Number)
      .refine((n) => n <= 100, { error: 'must be a percentage from 0 to 100, such as 20 or 20%' })
      .refine((n) => n === 0 || n >= 1, {
        error: 'must be a percentage such as 20 or 20% (write 20 for twenty per cent; 0.2 would mean 0.2%)',
      })
      .transform((n) => n / 100)
      .default(fallback),
  );

/** Raw environment, one entry per documented setting (README "Settings" lists the same names). */
const RawEnv = z.object({
  SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), {
    error: 'must be a bot token starting with xoxb- (Slack app settings > OAuth & Permissions)',
  }),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), {
    error:
      'must be an app-level token starting with xapp- (Basic Information > App-Level Tokens, scope connections:write)',
  }),
  SLACK_API_URL: optionalText.pipe(z.url({ error: 'must be a URL such as https://slack.com/api/' }).optional()),
  PORT: intSetting(3000, 0, 65535),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  OPS_PORT: intSetting(3001, 0, 65535),
  OPS_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  OPS_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 16, {
    error: 'must be at least 16 characters (e.g. openssl rand -hex 24)',
  }),
  CLOUDPHONE_ADMINS: optionalText,
  CLOUDPHONE_POLICY: optionalText,
  CLOUDPHONE_REGION: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z]{2,}-[a-z0-9-]+$/, { error: 'must be a region id such as cn-shanghai or ap-southeast-1' })
      .default('cn-shanghai'),
  ),
  CLOUDPHONE_REGIONS: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? value : undefined),
    z
      .string()
      .transform((value) => [
        ...new Set(
          value
            .split(',')
            .map((region) => region.trim())
            .filter(Boolean),
        ),
      ])
      .pipe(
        z
          .array(
            z.string().regex(/^[a-z]{2,}-[a-z0-9-]+$/, {
              error: 'must be region ids separated by commas, such as cn-shanghai,ap-southeast-1',
            }),
          )
          .min(1, { error: 'must name at least one region, such as cn-shanghai' }),
      )
      .optional(),
  ),
  CLOUDPHONE_ENDPOINT: optionalText.pipe(
    z.url({ error: 'must be a URL such as https://eds-aic.cn-shanghai.aliyuncs.com' }).optional(),
  ),
  CLOUDPHONE_DEFAULT_UPLOAD_ENDPOINT: z.preprocess(
    emptyToUndefined,
    z.string().default('oss-cn-shanghai-internal.aliyuncs.com'),
  ),
  CLOUDPHONE_DEFAULT_BACKUP_PATH: optionalText,
  CLOUDPHONE_SIMULATOR: boolFlag,
  CLOUDPHONE_POLL_INTERVAL_MS: intSetting(5_000, 10, 600_000),
  CLOUDPHONE_MAX_POLL_INTERVAL_MS: intSetting(60_000, 10, 3_600_000),
  CLOUDPHONE_STOP_TIMEOUT_MS: intSetting(10 * 60_000, 100, 24 * 3_600_000),
  CLOUDPHONE_TASK_TIMEOUT_MS: intSetting(6 * 3_600_000, 1_000, 7 * 24 * 3_600_000),
  CLOUDPHONE_CALL_TIMEOUT_MS: intSetting(15_000, 100, 120_000),
  CLOUDPHONE_MAX_CALLS_PER_SECOND: intSetting(10, 1, 1000),
  CLOUDPHONE_TRANSIENT_RETRY_MS: intSetting(5 * 60_000, 0, 24 * 3_600_000),
  CLOUDPHONE_PROGRESS_UPDATE_MS: intSetting(10_000, 0, 3_600_000),
  CLOUDPHONE_USERGROUP_CACHE_MS: intSetting(60_000, 0, 24 * 3_600_000),
  CLOUDPHONE_INSTANCE_CACHE_MS: intSetting(60_000, 0, 24 * 3_600_000),
  CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON: intSetting(5, 1, 10_000),
  CLOUDPHONE_SCHEDULE_CATCH_UP: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .default('2h')
      .transform((value, ctx) => {
        const match = /^(\d+)([smhd])$/.exec(value);
        const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
        const ms = match ? Number(match[1]) * unit[match[2] as keyof typeof unit] : Number.NaN;
        if (!Number.isFinite(ms) || ms > 30 * 86_400_000) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration such as 2h, 90m or 0s (at most 30d)' });
          return z.NEVER;
        }
        return ms;
      }),
  ),
  CLOUDPHONE_OPS_CHANNEL: optionalText.refine((v) => v === undefined || /^[CG][A-Z0-9]+$/.test(v), {
    error: 'must be a channel id such as C0123ABCD (channel details > About, at the bottom)',
  }),
  CLOUDPHONE_STALE_BACKUP_DAYS: intSetting(7, 1, 3_650),
  CLOUDPHONE_VERIFY_SIZE_TOLERANCE: percentSetting(0.2),
  ALIBABA_CLOUD_ACCESS_KEY_ID: optionalText,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: optionalText,
  ALIBABA_CLOUD_SECURITY_TOKEN: optionalText,
  DATABASE_PATH: z.preprocess(emptyToUndefined, z.string().default(DEFAULT_DATABASE_PATH)),
  SHUTDOWN_TIMEOUT_MS: intSetting(30_000, 1_000, 600_000),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  ),
});

/** Every setting's name (README "Settings" and .env.example list each one; a test keeps them in step). */
export const SETTING_NAMES: readonly string[] = Object.freeze(Object.keys(RawEnv.shape));

export interface Config {
  readonly slack: {
    readonly botToken: string;
    readonly mode: 'http' | 'socket';
    readonly signingSecret: string | undefined;
    readonly appToken: string | undefined;
    readonly apiUrl: string | undefined;
    readonly port: number;
    readonly host: string;
  };
  /** Where /healthz and /metrics are served: a server of their own, apart from Slack's /slack/events. */
  readonly ops: {
    readonly port: number;
    readonly host: string;
    /** When set, both routes need `Authorization: Bearer <token>`. */
    readonly token: string | undefined;
  };
  readonly cloud: {
    /** The home region: the first of `regions` (default upload endpoint, the simulator's demo fleet). */
    readonly region: string;
    /** Every region whose phones the bot serves (CLOUDPHONE_REGIONS, else CLOUDPHONE_REGION alone). */
    readonly regions: readonly string[];
    readonly endpoint: string | undefined;
    readonly simulator: boolean;
    readonly credentials:
      | {
          readonly kind: 'static';
          readonly accessKeyId: string;
          readonly accessKeySecret: string;
          readonly securityToken?: string;
        }
      | { readonly kind: 'chain' };
    readonly callTimeoutMs: number;
    /** Ceiling of the one rate limiter all cloud calls pass (over every action and region). */
    readonly maxCallsPerSecond: number;
  };
  readonly backup: {
    readonly defaultUploadEndpoint: string;
    readonly defaultBackupPath: string | undefined;
  };
  readonly workflow: {
    readonly pollIntervalMs: number;
    readonly maxPollIntervalMs: number;
    readonly stopTimeoutMs: number;
    readonly taskTimeoutMs: number;
    readonly progressUpdateMs: number;
    readonly transientRetryMs: number;
    /**
     * How far (a fraction: 0.2 is 20%) a restored app's data directory may differ in size from the source's at backup
     * time and still count as restored (CLOUDPHONE_VERIFY_SIZE_TOLERANCE).
     */
    readonly verifySizeTolerance: number;
  };
  readonly access: {
    readonly admins: readonly string[];
    readonly policyPath: string | undefined;
    readonly userGroupCacheMs: number;
    /** How long the instance listing (picker, `ag-…` rules) and each instance's group are trusted. */
    readonly instanceCacheMs: number;
    /** Backups and restores one person may have unfinished at once (each may stop many phones). */
    readonly maxOpenRequestsPerPerson: number;
  };
  readonly schedules: {
    /** A slot missed while the bot was down still runs once when younger than this (ms). */
    readonly catchUpMs: number;
    /** Where runs report when their schedule names no channel. */
    readonly opsChannel: string | undefined;
  };
  readonly home: {
    /** The App Home flags an instance whose newest good backup is older than this many days (or that has none). */
    readonly staleBackupDays: number;
  };
  readonly databasePath: string;
  /** Longest a graceful shutdown may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: z.infer<typeof RawEnv>['LOG_LEVEL'];
}

/** Parses the environment. Throws ConfigError listing every problem, each naming the setting and the fix. */
/** The home region, then the other configured regions in their order. */
function homeFirst(home: string, regions: readonly string[]): string[] {
  return [home, ...regions.filter((region) => region !== home)];
}

export function loadConfig(env: Env = process.env): Config {
  const parsed = RawEnv.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  // The checks below read the raw strings too, so one run reports every problem, not only the parser's.
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  if (!text('SLACK_BOT_TOKEN')) {
    problems.push('SLACK_BOT_TOKEN: required; the Bot User OAuth Token (xoxb-…) from OAuth & Permissions');
  }
  if (!text('SLACK_APP_TOKEN') && !text('SLACK_SIGNING_SECRET')) {
    problems.push(
      'SLACK_SIGNING_SECRET: required in HTTP mode; copy it from Basic Information > App Credentials (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  if (Boolean(text('ALIBABA_CLOUD_ACCESS_KEY_ID')) !== Boolean(text('ALIBABA_CLOUD_ACCESS_KEY_SECRET'))) {
    problems.push(
      'ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET: set both or neither (neither uses the Alibaba Cloud credential chain)',
    );
  }
  for (const name of Object.keys(env)) {
    // A mistyped name would otherwise be ignored quietly and its default used.
    if (name.startsWith('CLOUDPHONE_') && !(name in RawEnv.shape)) {
      const guess = didYouMean(name, Object.keys(RawEnv.shape), 3);
      problems.push(
        `${name}: not a setting${guess ? `; did you mean ${guess}?` : ''} (README "Settings" lists them all)`,
      );
    }
  }
  if (parsed.success && parsed.data.CLOUDPHONE_MAX_POLL_INTERVAL_MS < parsed.data.CLOUDPHONE_POLL_INTERVAL_MS) {
    problems.push('CLOUDPHONE_MAX_POLL_INTERVAL_MS: must not be smaller than CLOUDPHONE_POLL_INTERVAL_MS');
  }
  const regionList = parsed.success ? parsed.data.CLOUDPHONE_REGIONS : undefined;
  if (regionList && regionList.length > 1 && text('CLOUDPHONE_ENDPOINT')) {
    problems.push(
      'CLOUDPHONE_ENDPOINT: names one endpoint, but CLOUDPHONE_REGIONS has several regions (each has its own endpoint); unset CLOUDPHONE_ENDPOINT',
    );
  }
  if (regionList && text('CLOUDPHONE_REGION') && !regionList.includes(text('CLOUDPHONE_REGION') ?? '')) {
    problems.push(
      'CLOUDPHONE_REGION: must be one of CLOUDPHONE_REGIONS when both are set (or set only CLOUDPHONE_REGIONS)',
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const raw = parsed.data;
  const mode = raw.SLACK_APP_TOKEN ? 'socket' : 'http';
  const keyId = raw.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const keySecret = raw.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  // CLOUDPHONE_REGION, when set, is the home region; else the first of CLOUDPHONE_REGIONS.
  const home = text('CLOUDPHONE_REGION')
    ? raw.CLOUDPHONE_REGION
    : (raw.CLOUDPHONE_REGIONS?.[0] ?? raw.CLOUDPHONE_REGION);

  const config: Config = {
    slack: {
      botToken: raw.SLACK_BOT_TOKEN ?? '',
      mode,
      signingSecret: raw.SLACK_SIGNING_SECRET,
      appToken: raw.SLACK_APP_TOKEN,
      apiUrl: raw.SLACK_API_URL,
      port: raw.PORT,
      host: raw.HOST,
    },
    ops: { port: raw.OPS_PORT, host: raw.OPS_HOST, token: raw.OPS_TOKEN },
    cloud: {
      region: home,
      regions: homeFirst(home, raw.CLOUDPHONE_REGIONS ?? []),
      endpoint: raw.CLOUDPHONE_ENDPOINT,
      simulator: raw.CLOUDPHONE_SIMULATOR,
      credentials:
        keyId && keySecret
          ? {
              kind: 'static',
              accessKeyId: keyId,
              accessKeySecret: keySecret,
              ...(raw.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: raw.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
            }
          : { kind: 'chain' },
      callTimeoutMs: raw.CLOUDPHONE_CALL_TIMEOUT_MS,
      maxCallsPerSecond: raw.CLOUDPHONE_MAX_CALLS_PER_SECOND,
    },
    backup: {
      defaultUploadEndpoint: raw.CLOUDPHONE_DEFAULT_UPLOAD_ENDPOINT,
      defaultBackupPath: raw.CLOUDPHONE_DEFAULT_BACKUP_PATH,
    },
    workflow: {
      pollIntervalMs: raw.CLOUDPHONE_POLL_INTERVAL_MS,
      maxPollIntervalMs: raw.CLOUDPHONE_MAX_POLL_INTERVAL_MS,
      stopTimeoutMs: raw.CLOUDPHONE_STOP_TIMEOUT_MS,
      taskTimeoutMs: raw.CLOUDPHONE_TASK_TIMEOUT_MS,
      progressUpdateMs: raw.CLOUDPHONE_PROGRESS_UPDATE_MS,
      transientRetryMs: raw.CLOUDPHONE_TRANSIENT_RETRY_MS,
      verifySizeTolerance: raw.CLOUDPHONE_VERIFY_SIZE_TOLERANCE,
    },
    access: {
      admins: csv(raw.CLOUDPHONE_ADMINS),
      policyPath: raw.CLOUDPHONE_POLICY,
      userGroupCacheMs: raw.CLOUDPHONE_USERGROUP_CACHE_MS,
      instanceCacheMs: raw.CLOUDPHONE_INSTANCE_CACHE_MS,
      maxOpenRequestsPerPerson: raw.CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON,
    },
    schedules: { catchUpMs: raw.CLOUDPHONE_SCHEDULE_CATCH_UP, opsChannel: raw.CLOUDPHONE_OPS_CHANNEL },
    home: { staleBackupDays: raw.CLOUDPHONE_STALE_BACKUP_DAYS },
    databasePath: raw.DATABASE_PATH,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    logLevel: raw.LOG_LEVEL,
  };
  return deepFreeze(config);
}

/**
 * The environment with a `.env` file under it: variables already set win over the file. The file is `ENV_FILE` when
 * that is set (it must then exist), else `.env` in the working directory when there is one. Only `main()` and the
 * command-line tools call this; tests pass their environment to `loadConfig` directly.
 */
export function withEnvFile(env: Env, cwd = process.cwd()): { env: Env; file: string | undefined } {
  const named = env.ENV_FILE?.trim();
  const file = resolve(cwd, named || '.env');
  if (!existsSync(file)) {
    if (named) {
      throw new ConfigError([`ENV_FILE: no file at ${file}; point it at your settings file or unset it`]);
    }
    return { env, file: undefined };
  }
  let fromFile: Env;
  try {
    fromFile = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`ENV_FILE: cannot read ${file}: ${reason}`]);
  }
  const merged: Env = { ...fromFile };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return { env: merged, file };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
