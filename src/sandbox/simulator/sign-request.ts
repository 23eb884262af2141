/**
 * Signed requests to the simulator (or to anything that speaks the eds-aic RPC style) for tests, demos and tools.
 * This is not the bot's API client (that is src/cloud-phone/client.ts): it is a thin, honest V3 signer on undici
 * with hooks to send deliberately wrong requests.
 */
import { randomBytes } from 'node:crypto';
import { type Dispatcher, request } from 'undici';
import {
  acsDate,
  authorizationHeader,
  flattenParams,
  type ParamValue,
  percentEncode,
  sha256Hex,
} from '../../cloud-phone/sign.js';
import { API_VERSION } from './constants.js';
import type { Credentials } from './gateway-auth.js';

export interface SignedFetchOptions {
  action: string;
  /** Business parameters; arrays become `Name.N` (repeatList). */
  params?: Record<string, ParamValue>;
  credentials: Credentials;
  /** Default `2023-09-30`. */
  version?: string;
  /** Default POST, as the SDK sends. */
  method?: string;
  /** Default: 16 random bytes as hex. Reuse one to test replay protection. */
  nonce?: string;
  /** Default: now. After `sim.advance()`, pass `new Date(sim.now())`. */
  date?: Date;
  /** Extra headers; `x-acs-*` ones are signed. */
  headers?: Record<string, string>;
  /** A request body (the SDK sends none). Set `content-type` in `headers` for a form body. */
  body?: string;
  /** Changes the request after it was signed (query, headers, body or url), to test what the gateway rejects. */
  tamper?: (request: BuiltRequest) => void;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export interface BuiltRequest {
  method: string;
  /** Full URL with the query. */
  url: string;
  /** The flattened query that was signed. */
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface SignedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  text: string;
}

/** Builds (and signs) a request without sending it. */
export function buildSignedRequest(baseUrl: string, options: SignedFetchOptions): BuiltRequest {
  const url = new URL(baseUrl);
  const query = flattenParams(options.params ?? {});
  const body = options.body ?? '';
  const method = (options.method ?? 'POST').toUpperCase();
  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-action': options.action,
    'x-acs-version': options.version ?? API_VERSION,
    'x-acs-date': acsDate(options.date ?? new Date()),
    'x-acs-signature-nonce': options.nonce ?? randomBytes(16).toString('hex'),
    'x-acs-content-sha256': sha256Hex(body),
    accept: 'application/json',
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
  };
  headers.authorization = authorizationHeader(
    { method, pathname: '/', query, headers, payloadSha256Hex: headers['x-acs-content-sha256']! },
    options.credentials.accessKeyId,
    options.credentials.accessKeySecret,
  );
  return { method, url: urlWithQuery(url, query), query, headers, body };
}

/** `base/?k=v&…` with RFC 3986 encoding (the gateway decodes before verifying, so any correct encoding works). */
export function urlWithQuery(base: URL | string, query: Record<string, string>): string {
  const url = new URL(base);
  const search = Object.entries(query)
    .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`)
    .join('&');
  return `${url.origin}/${search ? `?${search}` : ''}`;
}

/** Signs and sends one request; answers whatever came back (it does not throw on 4xx/5xx). */
export async function signedFetch(baseUrl: string, options: SignedFetchOptions): Promise<SignedResponse> {
  const built = buildSignedRequest(baseUrl, options);
  const signedUrl = built.url;
  options.tamper?.(built);
  // A tamper that edits `query` gets it on the wire; one that rewrites `url` itself wins.
  const url = built.url !== signedUrl ? built.url : urlWithQuery(baseUrl, built.query);
  const response = await request(url, {
    method: built.method as Dispatcher.HttpMethod,
    headers: built.headers,
    body: built.body === '' ? undefined : built.body,
    dispatcher: options.dispatcher,
    signal: options.signal,
  });
  const text = await response.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.statusCode, headers: response.headers, body, text };
}

/** What `callSimulator` needs from a simulator (structural, so this file does not depend on the simulator). */
export interface SimulatorTarget {
  url: string;
  credentials: readonly Credentials[];
  now(): number;
}

/**
 * One signed call with the simulator's first key pair, dated by the simulator's clock (so `advance()` never makes a
 * request look expired). `overrides` replaces any signing option.
 */
export function callSimulator(
  simulator: SimulatorTarget,
  action: string,
  params: Record<string, ParamValue> = {},
  overrides: Partial<SignedFetchOptions> = {},
): Promise<SignedResponse> {
  const credentials = simulator.credentials[0];
  if (!credentials) throw new Error('The simulator has no credentials');
  return signedFetch(simulator.url, {
    action,
    params,
    credentials,
    date: new Date(simulator.now()),
    ...overrides,
  });
}
