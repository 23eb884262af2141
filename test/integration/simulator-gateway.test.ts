import { randomBytes } from 'node:crypto';
import { stringify } from 'node:querystring';
import OpenApiUtilModule from '@alicloud/openapi-util';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acsDate, EMPTY_BODY_SHA256, flattenParams } from '../../src/cloud-phone/sign.js';
import {
  callSimulator,
  type SignedFetchOptions,
  type Simulator,
  signedFetch,
  startSimulator,
} from '../../src/sandbox/simulator/index.js';

// CommonJS with a default export; ESM interop nests it one level down.
const OpenApiUtil = ((OpenApiUtilModule as unknown as { default?: unknown }).default ??
  OpenApiUtilModule) as unknown as {
  getAuthorization(request: unknown, algorithm: string, payloadHash: string, akId: string, akSecret: string): string;
};

const KEY = { accessKeyId: 'LTAI5tGatewayTest', accessKeySecret: 'gateway-test-secret' };
const OTHER_KEY = { accessKeyId: 'LTAI5tSecondKey', accessKeySecret: 'second-secret' };
const FIFTEEN_MINUTES = 15 * 60 * 1000;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ credentials: [KEY, OTHER_KEY], timing: { taskWaitMs: 1 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.clearRequests());

const call = (action: string, params = {}, overrides: Partial<SignedFetchOptions> = {}) =>
  callSimulator(sim, action, params, overrides);

/** A request signed by the official SDK utility and serialized the way the SDK does (querystring.stringify). */
async function officialRequest(options: { tamper?: (query: Record<string, string>) => void } = {}) {
  const url = new URL(sim.url);
  const query = flattenParams({ AndroidInstanceIds: [sim.state.instances.keys().next().value!], MaxResults: 5 });
  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-action': 'DescribeAndroidInstances',
    'x-acs-version': '2023-09-30',
    'x-acs-date': acsDate(new Date(sim.now())),
    'x-acs-signature-nonce': randomBytes(16).toString('hex'),
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
    accept: 'application/json',
    'user-agent': 'official-signer-test',
  };
  headers.Authorization = OpenApiUtil.getAuthorization(
    { method: 'POST', pathname: '/', query, headers },
    'ACS3-HMAC-SHA256',
    EMPTY_BODY_SHA256,
    KEY.accessKeyId,
    KEY.accessKeySecret,
  );
  options.tamper?.(query);
  const response = await request(`${sim.url}/?${stringify(query)}`, { method: 'POST', headers });
  return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

describe('signature verification over HTTP', () => {
  it('accepts a request signed by the official @alicloud/openapi-util and sent like the SDK sends it', async () => {
    const response = await officialRequest();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ TotalCount: 1, InstanceModel: [expect.any(Object)] });
  });

  it('refuses that request once a signed query value is changed', async () => {
    const response = await officialRequest({ tamper: (query) => (query.MaxResults = '6') });
    expect(response.status).toBe(400);
    expect(response.body.Code).toBe('SignatureDoesNotMatch');
  });

  it('answers errors with exactly RequestId, HostId, Code, Message, Recommend and the request id header', async () => {
    const response = await call('DescribeTasks', {}, { credentials: { ...KEY, accessKeySecret: 'wrong' } });
    expect(response.status).toBe(400);
    const body = response.body as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
    expect(body).toMatchObject({ Code: 'SignatureDoesNotMatch', HostId: 'eds-aic.cn-shanghai.aliyuncs.com' });
    expect(body.Recommend).toMatch(
      /^https:\/\/api\.aliyun\.com\/troubleshoot\?q=SignatureDoesNotMatch&product=eds-aic/,
    );
    expect(response.headers['x-acs-request-id']).toBe(body.RequestId);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });

  it('accepts GET as well as POST, a form body, and every configured key pair', async () => {
    expect((await call('DescribeTasks', {}, { method: 'GET' })).status).toBe(200);
    expect((await call('DescribeTasks', {}, { credentials: OTHER_KEY })).status).toBe(200);
    const form = await call(
      'DescribeAndroidInstances',
      {},
      { body: 'MaxResults=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    );
    expect(form.status).toBe(200);
    expect((form.body as { InstanceModel: unknown[] }).InstanceModel).toHaveLength(2);
  });

  type Overrides = Partial<SignedFetchOptions>;
  it.each<[string, () => Overrides, number, string]>([
    [
      'an unknown AccessKeyId',
      () => ({ credentials: { accessKeyId: 'LTAI5tNobody', accessKeySecret: 'x' } }),
      404,
      'InvalidAccessKeyId.NotFound',
    ],
    ['a wrong secret', () => ({ credentials: { ...KEY, accessKeySecret: 'nope' } }), 400, 'SignatureDoesNotMatch'],
    ['no Authorization header', () => ({ tamper: (r) => delete r.headers.authorization }), 400, 'IncompleteSignature'],
    [
      'a garbled Authorization header',
      () => ({ tamper: (r) => (r.headers.authorization = 'ACS3-HMAC-SHA256 x') }),
      400,
      'IncompleteSignature',
    ],
    [
      'a date 16 minutes old',
      () => ({ date: new Date(sim.now() - FIFTEEN_MINUTES - 60_000) }),
      400,
      'InvalidTimeStamp.Expired',
    ],
    [
      'a malformed date',
      () => ({ tamper: (r) => (r.headers['x-acs-date'] = 'Thu, 01 Jan 2026 00:00:00 GMT') }),
      400,
      'InvalidTimeStamp.Format',
    ],
    [
      'a body that does not match x-acs-content-sha256',
      () => ({ tamper: (r) => (r.body = 'MaxResults=1') }),
      400,
      'SignatureDoesNotMatch',
    ],
    [
      'a query changed after signing',
      () => ({ tamper: (r) => (r.query.MaxResults = '1') }),
      400,
      'SignatureDoesNotMatch',
    ],
    ['an unknown version', () => ({ version: '2020-01-01' }), 404, 'InvalidApi.NotFound'],
    ['no version', () => ({ tamper: (r) => delete r.headers['x-acs-version'] }), 400, 'MissingParameter'],
    ['no action', () => ({ tamper: (r) => delete r.headers['x-acs-action'] }), 400, 'MissingParameter'],
    ['a method other than GET or POST', () => ({ method: 'PUT' }), 400, 'UnsupportedHTTPMethod'],
    ['a path other than /', () => ({ tamper: (r) => (r.url = `${sim.url}/v1/tasks`) }), 404, 'InvalidApi.NotFound'],
  ])('refuses %s', async (_name, overrides, status, code) => {
    const response = await call('DescribeTasks', {}, overrides());
    expect(response.status).toBe(status);
    expect((response.body as { Code: string }).Code).toBe(code);
    expect(sim.requests.at(-1)).toMatchObject({ status, code });
  });

  it('refuses unknown actions, including names that exist on every JavaScript object', async () => {
    for (const action of ['RestoreApp', 'toString', '__proto__', 'describetasks']) {
      const response = await call(action);
      expect([response.status, (response.body as { Code: string }).Code]).toEqual([404, 'InvalidApi.NotFound']);
    }
  });

  it('refuses a replayed nonce, and does not let a forged request burn one', async () => {
    const forged = await call(
      'DescribeTasks',
      {},
      { nonce: 'fixed-nonce-1', credentials: { ...KEY, accessKeySecret: 'x' } },
    );
    expect((forged.body as { Code: string }).Code).toBe('SignatureDoesNotMatch');
    expect((await call('DescribeTasks', {}, { nonce: 'fixed-nonce-1' })).status).toBe(200);
    const replay = await call('DescribeTasks', {}, { nonce: 'fixed-nonce-1' });
    expect([replay.status, (replay.body as { Code: string }).Code]).toEqual([400, 'SignatureNonceUsed']);
  });

  it('judges x-acs-date against its own clock, so tests that advance it must sign with sim.now()', async () => {
    sim.advance(FIFTEEN_MINUTES + 60_000);
    const stale = await signedFetch(sim.url, { action: 'DescribeTasks', credentials: KEY });
    expect((stale.body as { Code: string }).Code).toBe('InvalidTimeStamp.Expired');
    expect((await call('DescribeTasks')).status).toBe(200);
  });

  it('does not accept V2 (query-signed) requests and says so', async () => {
    const response = await request(
      `${sim.url}/?Action=DescribeTasks&Version=2023-09-30&Signature=x&SignatureVersion=1.0`,
    );
    const body = (await response.body.json()) as { Code: string; Message: string };
    expect(response.statusCode).toBe(400);
    expect(body.Code).toBe('MissingParameter');
    expect(body.Message).toContain('V3');
  });

  it('answers a simulator bug as a 500 InternalError that names it, rather than hanging up', async () => {
    sim.state.timeline.schedule(sim.now(), 'broken transition', () => {
      throw new Error('broken transition');
    });
    const response = await call('DescribeTasks');
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({
      Code: 'InternalError',
      Message: expect.stringContaining('broken transition'),
    });
    expect((await call('DescribeTasks')).status).toBe(200);
  });

  it('logs every request with its action, flattened params, status, code and key', async () => {
    await call('DescribeAndroidInstances', { AndroidInstanceIds: ['acp-a', 'acp-b'] });
    await call('DescribeAndroidInstances', {}, { credentials: { ...KEY, accessKeySecret: 'bad' } });
    expect(sim.requests).toHaveLength(2);
    expect(sim.requests[0]).toMatchObject({
      action: 'DescribeAndroidInstances',
      params: { 'AndroidInstanceIds.1': 'acp-a', 'AndroidInstanceIds.2': 'acp-b' },
      status: 200,
      accessKeyId: KEY.accessKeyId,
      requestId: expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/),
    });
    expect(sim.requests[0]?.code).toBeUndefined();
    expect(sim.requests[1]).toMatchObject({ status: 400, code: 'SignatureDoesNotMatch' });
    expect(sim.requests[1]?.accessKeyId).toBeUndefined();
  });
});
