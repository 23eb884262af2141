import OpenApiUtilModule from '@alicloud/openapi-util';
import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  canonicalQueryString,
  EMPTY_BODY_SHA256,
  flattenParams,
  parseAuthorization,
  percentEncode,
  sha256Hex,
} from '../../../src/cloud-phone/sign.js';

// The package is CommonJS with a default export; ESM interop nests it one level down.
const OpenApiUtil = ((OpenApiUtilModule as unknown as { default?: unknown }).default ??
  OpenApiUtilModule) as unknown as {
  getAuthorization(request: unknown, algorithm: string, payloadHash: string, akId: string, akSecret: string): string;
};

const vectorQuery = flattenParams({
  AndroidInstanceIdList: ['acp-aaa', 'acp-bbb'],
  BackupFileName: "it's (my)*bk!",
  BackupFilePath: 'oss://cloudphone-saved-bucket-x/backup dir/',
  SourceAppList: ['com.example.app'],
  UploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
});
const vectorHeaders = {
  host: 'eds-aic.cn-shanghai.aliyuncs.com',
  'x-acs-action': 'BackupApp',
  'x-acs-version': '2023-09-30',
  'x-acs-date': '2026-01-01T00:00:00Z',
  'x-acs-signature-nonce': '0123456789abcdef',
  'x-acs-content-sha256': EMPTY_BODY_SHA256,
  accept: 'application/json',
  'user-agent': 'not-signed',
};

describe('ACS3-HMAC-SHA256 signing', () => {
  it('reproduces the known-answer vector from the API reference byte for byte', () => {
    expect(canonicalQueryString(vectorQuery)).toBe(
      'AndroidInstanceIdList.1=acp-aaa&AndroidInstanceIdList.2=acp-bbb&BackupFileName=it%27s%20%28my%29%2Abk%21&BackupFilePath=oss%3A%2F%2Fcloudphone-saved-bucket-x%2Fbackup%20dir%2F&SourceAppList.1=com.example.app&UploadEndpoint=oss-cn-shanghai-internal.aliyuncs.com',
    );
    const header = authorizationHeader(
      {
        method: 'POST',
        pathname: '/',
        query: vectorQuery,
        headers: vectorHeaders,
        payloadSha256Hex: EMPTY_BODY_SHA256,
      },
      'testAccessKeyId',
      'testAccessKeySecret',
    );
    expect(header).toBe(
      'ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=cce3f6d0dd9edad5d8e709355cb3090510cfa54b14b5e8b850d3d4031ce661d6',
    );
    // The client passes the canonical query string it sends instead of the parameters: same signature.
    const fromString = authorizationHeader(
      {
        method: 'POST',
        pathname: '/',
        query: canonicalQueryString(vectorQuery),
        headers: vectorHeaders,
        payloadSha256Hex: EMPTY_BODY_SHA256,
      },
      'testAccessKeyId',
      'testAccessKeySecret',
    );
    expect(fromString).toBe(header);
  });

  it('agrees with the official @alicloud/openapi-util signer on awkward input', () => {
    const query = flattenParams({
      Names: Array.from({ length: 12 }, (_, i) => `n${i} ü/~*`),
      Empty: '',
      Flag: true,
      Count: 3,
    });
    const headers = { ...vectorHeaders, 'x-acs-security-token': '  tok en  ' };
    const ours = authorizationHeader(
      { method: 'POST', pathname: '/', query, headers, payloadSha256Hex: EMPTY_BODY_SHA256 },
      'ak',
      'sk',
    );
    const official = OpenApiUtil.getAuthorization(
      { method: 'POST', pathname: '/', query, headers },
      'ACS3-HMAC-SHA256',
      EMPTY_BODY_SHA256,
      'ak',
      'sk',
    );
    expect(ours).toBe(official);
  });

  it('flattens arrays 1-based and objects by key before sorting, so .10 sorts before .2', () => {
    const flat = flattenParams({
      L: Array.from({ length: 10 }, (_, i) => `v${i + 1}`),
      Tag: [{ Key: 'k', Value: 'v' }],
    });
    expect(flat['L.1']).toBe('v1');
    expect(flat['L.10']).toBe('v10');
    expect(flat['Tag.1.Key']).toBe('k');
    expect(canonicalQueryString(flat).split('&').slice(0, 3)).toEqual(['L.1=v1', 'L.10=v10', 'L.2=v2']);
  });

  it('drops null and undefined and writes booleans and numbers as strings', () => {
    expect(flattenParams({ A: null, B: undefined, C: false, D: 0 })).toEqual({ C: 'false', D: '0' });
  });

  it('encodes per RFC 3986: space as %20, reserved characters escaped, tilde kept', () => {
    expect(percentEncode("a b!'()*~/:")).toBe('a%20b%21%27%28%29%2A~%2F%3A');
  });

  it('parses the Authorization header it writes', () => {
    const header = authorizationHeader(
      { method: 'POST', pathname: '/', query: {}, headers: vectorHeaders, payloadSha256Hex: sha256Hex('') },
      'id',
      'secret',
    );
    expect(parseAuthorization(header)).toMatchObject({
      accessKeyId: 'id',
      signedHeaders: expect.arrayContaining(['host']),
    });
    expect(parseAuthorization('Bearer x')).toBeUndefined();
  });
});
