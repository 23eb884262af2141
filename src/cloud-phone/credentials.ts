/**
 * Where the client's access keys come from. Explicit keys (from config) are used as given; otherwise the official
 * `@alicloud/credentials` default chain (environment, OIDC role, CLI profile, profile file, ECS RAM role, credentials
 * URI) is loaded on first use and asked on every call, so it can refresh temporary credentials itself.
 *
 * Nothing created here can reveal a secret through `String()`, `JSON.stringify()` or `util.inspect()`.
 */
import { inspect } from 'node:util';
import { AppError, ConfigError } from '../errors.js';

export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** Present for STS (temporary) credentials. */
  readonly securityToken?: string | undefined;
}

export interface CredentialSource {
  get(): Promise<Credentials>;
  /** What kind of source this is, for startup logs. Never a secret. Optional so tests can pass a bare `{ get }`. */
  readonly kind?: 'static' | 'static-sts' | 'default-chain' | undefined;
}

/** The part of `@alicloud/credentials`' client we use. */
export interface CredentialProvider {
  getCredential(): Promise<{ accessKeyId?: string; accessKeySecret?: string; securityToken?: string }>;
}

export interface CredentialSourceOptions {
  /** `ALIBABA_CLOUD_ACCESS_KEY_ID`, read by src/config.ts. */
  accessKeyId?: string | undefined;
  /** `ALIBABA_CLOUD_ACCESS_KEY_SECRET`. */
  accessKeySecret?: string | undefined;
  /** `ALIBABA_CLOUD_SECURITY_TOKEN`, only with explicit keys. */
  securityToken?: string | undefined;
  /** Test seam: how to build the default chain. Defaults to `@alicloud/credentials` with no config. */
  loadDefaultChain?: () => Promise<CredentialProvider>;
}

/** Thrown (wrapped by the client into a CloudApiError) when no credentials can be had. */
export class CredentialsUnavailableError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('credentials_unavailable', message, options);
  }
}

/** Shows the first 4 and last 2 characters of an AccessKey id; enough to tell keys apart in a log, no more. */
export function maskAccessKeyId(id: string): string {
  return id.length <= 8 ? '****' : `${id.slice(0, 4)}****${id.slice(-2)}`;
}

/**
 * Credentials whose secret parts live in private fields behind getters: they are not own enumerable properties, so
 * JSON.stringify, object spread and util.inspect skip them, and toString/toJSON/inspect print a redacted form.
 */
class CredentialSet implements Credentials {
  readonly #accessKeyId: string;
  readonly #accessKeySecret: string;
  readonly #securityToken: string | undefined;

  constructor(accessKeyId: string, accessKeySecret: string, securityToken: string | undefined) {
    this.#accessKeyId = accessKeyId;
    this.#accessKeySecret = accessKeySecret;
    this.#securityToken = securityToken;
    Object.freeze(this);
  }

  get accessKeyId(): string {
    return this.#accessKeyId;
  }
  get accessKeySecret(): string {
    return this.#accessKeySecret;
  }
  get securityToken(): string | undefined {
    return this.#securityToken;
  }

  toJSON(): Record<string, string> {
    const out: Record<string, string> = {
      accessKeyId: maskAccessKeyId(this.#accessKeyId),
      accessKeySecret: '[REDACTED]',
    };
    if (this.#securityToken !== undefined) out.securityToken = '[REDACTED]';
    return out;
  }
  toString(): string {
    return `Credentials(${maskAccessKeyId(this.#accessKeyId)}${this.#securityToken === undefined ? '' : ', sts'})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

async function loadOfficialDefaultChain(): Promise<CredentialProvider> {
  // CommonJS package with `exports.default = Credential`; ESM interop puts it one level down.
  const mod = (await import('@alicloud/credentials')) as unknown as {
    default: { default?: new () => CredentialProvider } & (new () => CredentialProvider);
  };
  const Credential = mod.default.default ?? mod.default;
  return new Credential();
}

/**
 * @throws ConfigError when explicit keys are half given (an id without a secret, or a token without keys).
 */
export function createCredentialSource(options: CredentialSourceOptions = {}): CredentialSource {
  const accessKeyId = nonEmpty(options.accessKeyId);
  const accessKeySecret = nonEmpty(options.accessKeySecret);
  const securityToken = nonEmpty(options.securityToken);

  if (accessKeyId !== undefined || accessKeySecret !== undefined) {
    const problems: string[] = [];
    if (accessKeyId === undefined) problems.push('ALIBABA_CLOUD_ACCESS_KEY_ID is required when the secret is set');
    if (accessKeySecret === undefined) problems.push('ALIBABA_CLOUD_ACCESS_KEY_SECRET is required when the id is set');
    if (problems.length > 0) throw new ConfigError(problems);
    const fixed = new CredentialSet(accessKeyId!, accessKeySecret!, securityToken);
    return redactedSource(securityToken === undefined ? 'static' : 'static-sts', async () => fixed);
  }
  if (securityToken !== undefined) {
    throw new ConfigError(['ALIBABA_CLOUD_SECURITY_TOKEN needs ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET as well']);
  }

  const load = options.loadDefaultChain ?? loadOfficialDefaultChain;
  let provider: Promise<CredentialProvider> | undefined;
  return redactedSource('default-chain', async () => {
    if (provider === undefined) {
      provider = load();
      // A failed load (e.g. a transient import problem) must not stick forever.
      provider.catch(() => {
        provider = undefined;
      });
    }
    let raw: Awaited<ReturnType<CredentialProvider['getCredential']>>;
    try {
      raw = await (await provider).getCredential();
    } catch (error) {
      throw new CredentialsUnavailableError(
        `No Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET, a profile, or a RAM role (${describe(error)})`,
        { cause: error },
      );
    }
    const id = nonEmpty(raw.accessKeyId);
    const secret = nonEmpty(raw.accessKeySecret);
    if (id === undefined || secret === undefined) {
      throw new CredentialsUnavailableError(
        'The Alibaba Cloud default credential chain returned incomplete credentials',
      );
    }
    return new CredentialSet(id, secret, nonEmpty(raw.securityToken));
  });
}

function redactedSource(
  kind: NonNullable<CredentialSource['kind']>,
  get: () => Promise<Credentials>,
): CredentialSource {
  const label = `CredentialSource(${kind})`;
  return Object.freeze({
    kind,
    get,
    toString: () => label,
    toJSON: () => ({ kind }),
    [inspect.custom]: () => label,
  });
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // The chain's messages name providers and files; cap the length so a surprise payload cannot flood a log line.
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
