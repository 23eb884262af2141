import OpenApiUtilModule from '@alicloud/openapi-util';
import { describe, expect, it } from 'vitest';
import { EMPTY_BODY_SHA256, flattenParams } from '../../../../src/cloud-phone/sign.js';
import { ApiError } from '../../../../src/sandbox/simulator/api-error.js';
import {
  NonceCache,
  REPLAY_WINDOW_MS,
  type SignedRequest,
  verifyRequest,
} from '../../../../src/sandbox/simulator/gateway-auth.js';
import {
  type BuiltRequest,
  buildSignedRequest,
  type SignedFetchOptions,
} from '../../../../src/sandbox/simulator/sign-request.js';

// CommonJS with a default export; ESM interop nests it one level down.
const OpenApiUtil = ((OpenApiUtilModule as unknown as { default?: unknown }).default ??
  OpenApiUtilModule) as unknown as {
  getAuthorization(request: unknown, algorithm: string, payloadHash: string, akId: string, akSecret: string): string;
};

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const KEY = { accessKeyId: 'ak-test', accessKeySecret: 'sk-test' };
const SECRETS = new Map([[KEY.accessKeyId, KEY.accessKeySecret]]);
const PARAMS = { AndroidInstanceIdList: ['acp-a', 'acp-b'], BackupFileName: "it's (my)*bk!", Note: 'ü ~/' };

function built(overrides: Partial<SignedFetchOptions> = {}) {
  return buildSignedRequest('http://127.0.0.1:4000', {
    action: 'BackupApp',
    params: PARAMS,
    credentials: KEY,
    date: new Date(NOW),
    nonce: 'nonce-1',
    ...overrides,
  });
}

/** What the server sees: decoded query, lower-case headers as arrays. */
function received(request: BuiltRequest): SignedRequest {
  const url = new URL(request.url);
  return {
    method: request.method,
    pathname: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), [value]])),
    body: Buffer.from(request.body),
  };
}

function verify(request: SignedRequest, nonces = new NonceCache(), now = NOW) {
  return verifyRequest(request, SECRETS, nonces, now);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.code}`;
    throw error;
  }
  return undefined;
}

describe('verifyRequest', () => {
  it('accepts a request signed by our signer', () => {
    expect(verify(received(built()))).toEqual({ accessKeyId: 'ak-test' });
  });

  it('accepts a request signed independently by the official @alicloud/openapi-util', () => {
    const query = flattenParams(PARAMS);
    const headers: Record<string, string> = {
      host: 'eds-aic.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'BackupApp',
      'x-acs-version': '2023-09-30',
      'x-acs-date': '2026-01-01T12:00:00Z',
      'x-acs-signature-nonce': 'official-nonce',
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
    };
    headers.authorization = OpenApiUtil.getAuthorization(
      { method: 'POST', pathname: '/', query, headers },
      'ACS3-HMAC-SHA256',
      EMPTY_BODY_SHA256,
      KEY.accessKeyId,
      KEY.accessKeySecret,
    );
    const request: SignedRequest = {
      method: 'POST',
      pathname: '/',
      query,
      headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      body: Buffer.alloc(0),
    };
    expect(verify(request).accessKeyId).toBe('ak-test');
  });

  it('accepts extra signed headers in any casing and repeated values joined by commas', () => {
    const request = received(built({ headers: { 'X-Acs-Trace': 'a' } }));
    expect(verify(request).accessKeyId).toBe('ak-test');
    const repeated = received(built({ headers: { 'x-acs-trace': 'a,b' } }));
    repeated.headers['x-acs-trace'] = ['a', ' b '];
    expect(verify(repeated).accessKeyId).toBe('ak-test');
  });

  it.each<[string, (request: SignedRequest) => void, string]>([
    ['no Authorization', (r) => delete r.headers.authorization, '400 IncompleteSignature'],
    [
      'a malformed Authorization',
      (r) => (r.headers.authorization = ['ACS3-HMAC-SHA256 junk']),
      '400 IncompleteSignature',
    ],
    ['a Bearer token', (r) => (r.headers.authorization = ['Bearer abc']), '400 IncompleteSignature'],
    [
      'another ACS3 algorithm',
      (r) => (r.headers.authorization = [r.headers.authorization![0]!.replace('ACS3-HMAC-SHA256', 'ACS3-HMAC-SM3')]),
      '400 InvalidSignatureMethod',
    ],
    ['no x-acs-date', (r) => delete r.headers['x-acs-date'], '400 MissingParameter'],
    ['no nonce', (r) => delete r.headers['x-acs-signature-nonce'], '400 MissingParameter'],
    ['no payload hash', (r) => delete r.headers['x-acs-content-sha256'], '400 MissingParameter'],
    ['an unsigned x-acs header', (r) => (r.headers['x-acs-extra'] = ['1']), '400 IncompleteSignature'],
    [
      'a date with milliseconds',
      (r) => (r.headers['x-acs-date'] = ['2026-01-01T12:00:00.000Z']),
      '400 InvalidTimeStamp.Format',
    ],
    [
      'a date that is not a date',
      (r) => (r.headers['x-acs-date'] = ['2026-13-45T99:00:00Z']),
      '400 InvalidTimeStamp.Format',
    ],
    ['a tampered query value', (r) => (r.query['AndroidInstanceIdList.2'] = 'acp-c'), '400 SignatureDoesNotMatch'],
    ['an added query parameter', (r) => (r.query.Extra = 'x'), '400 SignatureDoesNotMatch'],
    [
      'a tampered signed header',
      (r) => (r.headers['x-acs-action'] = ['StopAndroidInstance']),
      '400 SignatureDoesNotMatch',
    ],
    ['another method', (r) => (r.method = 'GET'), '400 SignatureDoesNotMatch'],
    ['a body that does not match its hash', (r) => (r.body = Buffer.from('x=1')), '400 SignatureDoesNotMatch'],
  ])('refuses %s', (_name, tamper, expected) => {
    const request = received(built());
    tamper(request);
    expect(codeOf(() => verify(request))).toBe(expected);
  });

  it('refuses an unknown AccessKeyId with 404 and a wrong secret with SignatureDoesNotMatch', () => {
    const unknown = received(built({ credentials: { accessKeyId: 'nobody', accessKeySecret: 'x' } }));
    expect(codeOf(() => verify(unknown))).toBe('404 InvalidAccessKeyId.NotFound');
    const wrong = received(built({ credentials: { accessKeyId: 'ak-test', accessKeySecret: 'wrong' } }));
    expect(codeOf(() => verify(wrong))).toBe('400 SignatureDoesNotMatch');
  });

  it('shows the string it signed when the signature does not match, to help debugging', () => {
    const request = received(built());
    request.query.Extra = 'x';
    expect(() => verify(request)).toThrow(/server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
  });

  it('refuses dates more than 15 minutes away from its clock, either way', () => {
    const request = received(built());
    expect(codeOf(() => verify(request, new NonceCache(), NOW + REPLAY_WINDOW_MS))).toBeUndefined();
    expect(codeOf(() => verify(request, new NonceCache(), NOW + REPLAY_WINDOW_MS + 1000))).toBe(
      '400 InvalidTimeStamp.Expired',
    );
    expect(codeOf(() => verify(request, new NonceCache(), NOW - REPLAY_WINDOW_MS - 1000))).toBe(
      '400 InvalidTimeStamp.Expired',
    );
  });

  it('refuses a nonce seen within 15 minutes, and only after the signature checked out', () => {
    const nonces = new NonceCache();
    const forged = received(built());
    forged.query.Extra = 'x';
    expect(codeOf(() => verify(forged, nonces))).toBe('400 SignatureDoesNotMatch');
    expect(codeOf(() => verify(received(built()), nonces))).toBeUndefined();
    expect(codeOf(() => verify(received(built()), nonces, NOW + 60_000))).toBe('400 SignatureNonceUsed');
  });

  it('forgets nonces after the window', () => {
    const nonces = new NonceCache();
    expect(nonces.claim('ak', 'n', 0)).toBe(true);
    expect(nonces.claim('ak', 'n', REPLAY_WINDOW_MS)).toBe(false);
    expect(nonces.claim('ak', 'other', REPLAY_WINDOW_MS * 2 + 1)).toBe(true);
    expect(nonces.claim('ak', 'n', REPLAY_WINDOW_MS * 2 + 2)).toBe(true);
    expect(nonces.claim('another-ak', 'n', REPLAY_WINDOW_MS * 2 + 3)).toBe(true);
  });
});
