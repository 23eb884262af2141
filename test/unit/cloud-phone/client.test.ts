import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallEvent,
  type CloudPhoneClientOptions,
  createCloudPhoneClient,
  parsePackageList,
} from '../../../src/cloud-phone/client.js';
import { type CredentialSource, createCredentialSource } from '../../../src/cloud-phone/credentials.js';
import { UNREADABLE_STATUS } from '../../../src/cloud-phone/schema.js';
import { computeSignature, EMPTY_BODY_SHA256, parseAuthorization } from '../../../src/cloud-phone/sign.js';
import { CloudApiError } from '../../../src/errors.js';

const ORIGIN = 'https://eds-aic.cn-shanghai.aliyuncs.com';
const AK = 'LTAI5tTestAccessKey';
const SK = 'test-access-key-secret';
const NOW = new Date('2026-01-01T00:00:00.000Z');

interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}
interface SeenRequest {
  query: Record<string, string>;
  headers: Record<string, string>;
}
/** One scripted exchange: a reply (fixed or computed from the request), a transport error, or a slow reply. */
type Step = Reply | ((request: SeenRequest) => Reply) | { error: Error } | { delayMs: number; reply: Reply };

interface Sent {
  action: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

const agents: MockAgent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) {
    // Every scripted step must have been used: a step left over means the client sent fewer calls than expected.
    agent.assertNoPendingInterceptors();
    await agent.close();
  }
});

function netError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

function setup(steps: Step[], overrides: Partial<CloudPhoneClientOptions> = {}) {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  agents.push(agent);
  const pool = agent.get(ORIGIN);
  for (const step of steps) {
    const interceptor = pool.intercept({ path: () => true, method: 'POST' });
    if ('error' in step) {
      interceptor.replyWithError(step.error);
      continue;
    }
    const reply = 'delayMs' in step ? step.reply : step;
    const scope = interceptor.reply((opts) => {
      const url = new URL(opts.path, ORIGIN);
      const request = {
        query: Object.fromEntries(url.searchParams),
        headers: opts.headers as Record<string, string>,
      };
      const r = typeof reply === 'function' ? reply(request) : reply;
      return {
        statusCode: r.status ?? 200,
        data: typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? { RequestId: 'req-default' }),
        responseOptions: { headers: { 'content-type': 'application/json', ...r.headers } },
      };
    });
    if ('delayMs' in step) scope.delay(step.delayMs);
  }
  const sleeps: number[] = [];
  const events: CallEvent[] = [];
  const client = createCloudPhoneClient({
    endpoint: ORIGIN,
    dispatcher: agent,
    credentials: createCredentialSource({ accessKeyId: AK, accessKeySecret: SK }),
    now: () => NOW,
    timeoutMs: 2_000,
    retry: {
      maxAttempts: 4,
      baseDelayMs: 1,
      maxDelayMs: 2,
      totalBudgetMs: 60_000,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    onCall: (event) => events.push(event),
    ...overrides,
  });
  const sent = (): Sent[] =>
    (agent.getCallHistory()?.calls() ?? []).map((call) => {
      const headers = call.headers as Record<string, string>;
      return {
        action: headers['x-acs-action'] ?? '',
        method: call.method,
        path: call.path,
        query: call.searchParams as Record<string, string>,
        headers,
      };
    });
  return { agent, client, sent, sleeps, events };
}

async function rejection(promise: Promise<unknown>): Promise<CloudApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CloudApiError);
    return error as CloudApiError;
  }
  throw new Error('expected the call to fail');
}

function ids(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(3, '0')}`);
}

/** The values of `Name.1`, `Name.2`, … in order. */
function listParam(query: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; query[`${name}.${i}`] !== undefined; i++) out.push(query[`${name}.${i}`]!);
  return out;
}

const instanceWire = (id: string, status = 'RUNNING') => ({ AndroidInstanceId: id, AndroidInstanceStatus: status });

describe('request format and signing', () => {
  it('POSTs to / with every parameter in the query, V3 headers, and a signature the gateway would accept', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'r1', InstanceModel: [instanceWire('acp-1')] } }]);
    const instances = await client.describeInstances({ instanceIds: ['acp-1'], status: 'RUNNING' });
    expect(instances).toEqual([{ instanceId: 'acp-1', status: 'RUNNING' }]);

    const [request] = sent();
    expect(request).toBeDefined();
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/');
    expect(request!.query).toEqual({ 'AndroidInstanceIds.1': 'acp-1', Status: 'RUNNING', MaxResults: '100' });
    const h = request!.headers;
    expect(h.host).toBe('eds-aic.cn-shanghai.aliyuncs.com');
    expect(h['x-acs-action']).toBe('DescribeAndroidInstances');
    expect(h['x-acs-version']).toBe('2023-09-30');
    expect(h['x-acs-date']).toBe('2026-01-01T00:00:00Z');
    expect(h['x-acs-content-sha256']).toBe(EMPTY_BODY_SHA256);
    expect(h['x-acs-signature-nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(h.accept).toBe('application/json');
    expect(h['user-agent']).toMatch(/cloudphone-backup-bot/);
    expect(h['x-acs-security-token']).toBeUndefined();

    const auth = parseAuthorization(h.authorization ?? '');
    expect(auth?.accessKeyId).toBe(AK);
    expect(auth?.signedHeaders).toEqual([
      'host',
      'x-acs-action',
      'x-acs-content-sha256',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-version',
    ]);
    // Recompute as the gateway does: from the decoded query and the received headers.
    const input = {
      method: 'POST',
      pathname: '/',
      query: request!.query,
      headers: h,
      payloadSha256Hex: EMPTY_BODY_SHA256,
    };
    expect(auth?.signature).toBe(computeSignature(input, SK).signature);
    expect(auth?.signature).not.toBe(computeSignature(input, 'wrong-secret').signature);
  });

  it('signs an awkward query (spaces, quotes, slashes) so that it still verifies', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'r', TaskId: 't', Count: 1, Data: [] } }]);
    await client.backupApp({
      instanceIds: ['acp-1'],
      apps: ['com.example.app'],
      backupFilePath: 'oss://cloudphone-saved-bucket-x/backup dir/',
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      backupFileName: "it's (my)*bk!",
      description: 'ü ~ & = + %',
    });
    const [request] = sent();
    expect(request!.query.BackupFileName).toBe("it's (my)*bk!");
    expect(request!.query.Description).toBe('ü ~ & = + %');
    const auth = parseAuthorization(request!.headers.authorization ?? '');
    const input = {
      method: 'POST',
      pathname: '/',
      query: request!.query,
      headers: request!.headers,
      payloadSha256Hex: EMPTY_BODY_SHA256,
    };
    expect(auth?.signature).toBe(computeSignature(input, SK).signature);
  });

  it('sends and signs the STS token and key id with temporary credentials', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'r' } }], {
      credentials: createCredentialSource({ accessKeyId: AK, accessKeySecret: SK, securityToken: 'sts-token' }),
    });
    await client.startInstances(['acp-1']);
    const h = sent()[0]!.headers;
    expect(h['x-acs-security-token']).toBe('sts-token');
    expect(h['x-acs-accesskey-id']).toBe(AK);
    const auth = parseAuthorization(h.authorization ?? '');
    expect(auth?.signedHeaders).toContain('x-acs-security-token');
    expect(auth?.signedHeaders).toContain('x-acs-accesskey-id');
    const input = {
      method: 'POST',
      pathname: '/',
      query: sent()[0]!.query,
      headers: h,
      payloadSha256Hex: EMPTY_BODY_SHA256,
    };
    expect(auth?.signature).toBe(computeSignature(input, SK).signature);
  });

  it('asks the credential source on every call', async () => {
    let gets = 0;
    const base = createCredentialSource({ accessKeyId: AK, accessKeySecret: SK });
    const counting: CredentialSource = {
      get: () => {
        gets++;
        return base.get();
      },
    };
    const { client } = setup([{ body: { RequestId: 'a' } }, { body: { RequestId: 'b' } }], { credentials: counting });
    await client.startInstances(['acp-1']);
    await client.startInstances(['acp-1']);
    expect(gets).toBe(2);
  });

  it('turns unavailable credentials into CredentialsUnavailable without sending anything', async () => {
    const { client, sent } = setup([], {
      credentials: createCredentialSource({
        loadDefaultChain: async () => ({
          getCredential: async () => {
            throw new Error('no provider');
          },
        }),
      }),
    });
    const error = await rejection(client.stopInstances(['acp-1']));
    expect(error.apiCode).toBe('CredentialsUnavailable');
    expect(error.outcomeUnknown).toBe(false);
    expect(sent()).toHaveLength(0);
  });
});

describe('operations: parameters, chunking and pagination', () => {
  it('describeInstances splits instance ids into chunks of 100', async () => {
    const all = ids('acp', 230);
    const echo = (req: SeenRequest): Reply => ({
      body: { RequestId: 'r', InstanceModel: listParam(req.query, 'AndroidInstanceIds').map((id) => instanceWire(id)) },
    });
    const { client, sent } = setup([echo, echo, echo]);
    const instances = await client.describeInstances({ instanceIds: all });
    expect(instances.map((i) => i.instanceId)).toEqual(all);
    const calls = sent();
    expect(calls.map((c) => listParam(c.query, 'AndroidInstanceIds').length)).toEqual([100, 100, 30]);
    expect(calls[1]!.query['AndroidInstanceIds.1']).toBe('acp-101');
    expect(calls[2]!.query['AndroidInstanceIds.30']).toBe('acp-230');
    expect(calls.every((c) => c.query.MaxResults === '100')).toBe(true);
  });

  it('describeInstances follows NextToken to the end', async () => {
    const { client, sent } = setup([
      { body: { RequestId: 'r1', TotalCount: '3', NextToken: 'p2', InstanceModel: [instanceWire('acp-1')] } },
      { body: { RequestId: 'r2', TotalCount: '3', NextToken: 'p3', InstanceModel: [instanceWire('acp-2')] } },
      { body: { RequestId: 'r3', TotalCount: '3', NextToken: '', InstanceModel: [instanceWire('acp-3', 'STOPPED')] } },
    ]);
    const instances = await client.describeInstances({ instanceGroupIds: ['ag-1', 'ag-2'] });
    expect(instances.map((i) => [i.instanceId, i.status])).toEqual([
      ['acp-1', 'RUNNING'],
      ['acp-2', 'RUNNING'],
      ['acp-3', 'STOPPED'],
    ]);
    expect(sent().map((c) => c.query.NextToken)).toEqual([undefined, 'p2', 'p3']);
    expect(sent()[0]!.query).toEqual({ 'InstanceGroupIds.1': 'ag-1', 'InstanceGroupIds.2': 'ag-2', MaxResults: '100' });
  });

  it('describeInstances with an empty id list returns [] without listing everything', async () => {
    const { client, sent } = setup([]);
    expect(await client.describeInstances({ instanceIds: [] })).toEqual([]);
    expect(sent()).toHaveLength(0);
  });

  it('stops when the service repeats a NextToken', async () => {
    const { client } = setup([
      { body: { RequestId: 'r1', NextToken: 'same', InstanceModel: [] } },
      { body: { RequestId: 'r2', NextToken: 'same', InstanceModel: [] } },
    ]);
    const error = await rejection(client.describeInstances());
    expect(error.apiCode).toBe('MalformedResponse');
  });

  it('stopInstances and startInstances send AndroidInstanceIds.N (and ForceStop)', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'stop-1' } }, { body: { RequestId: 'start-1' } }]);
    expect(await client.stopInstances(['acp-1', 'acp-2'], { force: true })).toEqual({ requestId: 'stop-1' });
    expect(await client.startInstances(['acp-3'])).toEqual({ requestId: 'start-1' });
    const [stop, start] = sent();
    expect(stop!.action).toBe('StopAndroidInstance');
    expect(stop!.query).toEqual({
      'AndroidInstanceIds.1': 'acp-1',
      'AndroidInstanceIds.2': 'acp-2',
      ForceStop: 'true',
    });
    expect(start!.action).toBe('StartAndroidInstance');
    expect(start!.query).toEqual({ 'AndroidInstanceIds.1': 'acp-3' });
  });

  it('mutating calls refuse more than 100 items (and none) locally, sending nothing', async () => {
    const { client, sent } = setup([]);
    const many = ids('acp', 101);
    const calls = [
      client.stopInstances(many),
      client.startInstances(many),
      client.backupApp({ instanceIds: many, apps: ['com.a'], backupFilePath: 'oss://b/d/', uploadEndpoint: 'e' }),
      client.recoverApp({ instanceIds: many, backupFileId: 'bf-1', backupFilePath: 'oss://b/f.ab' }),
      client.deleteBackupFiles(ids('bf', 101)),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      expect(error.apiCode).toBe('TooManyItems');
      expect(error.outcomeUnknown).toBe(false);
    }
    expect((await rejection(client.stopInstances([]))).apiCode).toBe('MissingParameter');
    expect(
      (await rejection(client.backupApp({ instanceIds: ['a'], apps: [], backupFilePath: 'p', uploadEndpoint: 'e' })))
        .apiCode,
    ).toBe('MissingParameter');
    expect(sent()).toHaveLength(0);
  });

  it('backupApp sends AndroidInstanceIdList.N and SourceAppList.N, no UploadType, and maps the result', async () => {
    const { client, sent } = setup([
      {
        body: {
          RequestId: 'req-b',
          TaskId: 't-batch',
          Count: 2,
          Data: [
            { AndroidInstanceId: 'acp-1', BackupFileId: 'bf-1', BackupFileName: 'nightly', TaskId: 't-1' },
            { AndroidInstanceId: 'acp-2', BackupFileId: 'bf-2', BackupFileName: 'nightly', TaskId: 't-2' },
          ],
        },
      },
    ]);
    const result = await client.backupApp({
      instanceIds: ['acp-1', 'acp-2'],
      apps: ['com.a', 'com.b'],
      backupFilePath: 'oss://cloudphone-saved-bucket-x/dir/',
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      backupFileName: 'nightly',
    });
    expect(sent()[0]!.action).toBe('BackupApp');
    expect(sent()[0]!.query).toEqual({
      'AndroidInstanceIdList.1': 'acp-1',
      'AndroidInstanceIdList.2': 'acp-2',
      'SourceAppList.1': 'com.a',
      'SourceAppList.2': 'com.b',
      BackupFilePath: 'oss://cloudphone-saved-bucket-x/dir/',
      UploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      BackupFileName: 'nightly',
    });
    expect(result).toEqual({
      requestId: 'req-b',
      taskId: 't-batch',
      count: 2,
      items: [
        { instanceId: 'acp-1', backupFileId: 'bf-1', backupFileName: 'nightly', taskId: 't-1' },
        { instanceId: 'acp-2', backupFileId: 'bf-2', backupFileName: 'nightly', taskId: 't-2' },
      ],
      unusable: [],
    });
  });

  it('recoverApp sends UploadType=OSS and the backup file', async () => {
    const { client, sent } = setup([
      { body: { RequestId: 'req-r', TaskId: 't-b', Count: 1, Data: [{ AndroidInstanceId: 'acp-9', TaskId: 't-9' }] } },
    ]);
    const result = await client.recoverApp({
      instanceIds: ['acp-9'],
      backupFileId: 'bf-1',
      backupFilePath: 'oss://cloudphone-saved-bucket-x/dir/acp-1_1.ab',
      uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com',
    });
    expect(sent()[0]!.action).toBe('RecoverApp');
    expect(sent()[0]!.query).toEqual({
      'AndroidInstanceIdList.1': 'acp-9',
      BackupFileId: 'bf-1',
      BackupFilePath: 'oss://cloudphone-saved-bucket-x/dir/acp-1_1.ab',
      UploadType: 'OSS',
      UploadEndpoint: 'oss-cn-shanghai.aliyuncs.com',
    });
    expect(result).toEqual({
      requestId: 'req-r',
      taskId: 't-b',
      count: 1,
      items: [{ instanceId: 'acp-9', taskId: 't-9' }],
      unusable: [],
    });
  });

  it('describeTasks: one call per 100 task ids, each paginated, filters passed', async () => {
    const taskIds = ids('t', 150);
    const page = (req: SeenRequest, next?: string): Reply => ({
      body: {
        RequestId: 'r',
        NextToken: next ?? '',
        Data: listParam(req.query, 'TaskIds').map((id) => ({ TaskId: id, TaskStatus: 'Finished' })),
      },
    });
    const { client, sent } = setup([
      (req) => page(req, 'more'),
      () => ({
        body: { RequestId: 'r', Data: [{ TaskId: 't-extra', TaskStatus: 'Processing', Result: '{"Success": True}' }] },
      }),
      (req) => page(req),
    ]);
    const tasks = await client.describeTasks({ taskIds, level: 2, parentTaskId: 't-parent' });
    expect(tasks).toHaveLength(151);
    expect(tasks[100]).toEqual({ taskId: 't-extra', status: 'Processing', result: '{"Success": True}' });
    const calls = sent();
    expect(calls.map((c) => listParam(c.query, 'TaskIds').length)).toEqual([100, 100, 50]);
    expect(calls[1]!.query.NextToken).toBe('more');
    expect(calls[1]!.query['TaskIds.1']).toBe('t-001');
    expect(calls[2]!.query['TaskIds.1']).toBe('t-101');
    for (const c of calls) expect(c.query).toMatchObject({ Level: '2', ParentTaskId: 't-parent', MaxResults: '100' });
  });

  it('describeTasks by resources and task types (ResourceIds.N, TaskTypes.N), at most 100 of each', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'r', Data: [{ TaskId: 't-1', TaskStatus: 'Running' }] } }]);
    expect(
      await client.describeTasks({ resourceIds: ['acp-1', 'acp-2'], taskTypes: ['RecoverFile'], level: 2 }),
    ).toEqual([{ taskId: 't-1', status: 'Running' }]);
    expect(sent()[0]!.query).toEqual({
      'ResourceIds.1': 'acp-1',
      'ResourceIds.2': 'acp-2',
      'TaskTypes.1': 'RecoverFile',
      Level: '2',
      MaxResults: '100',
    });
    const many = Array.from({ length: 101 }, (_, i) => `acp-${i}`);
    await expect(client.describeTasks({ resourceIds: many })).rejects.toMatchObject({ apiCode: 'TooManyItems' });
    expect(sent()).toHaveLength(1);
  });

  it('describeTasks by InvokeId', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'r', Data: [{ TaskId: 't-1', TaskStatus: 'Waiting' }] } }]);
    expect(await client.describeTasks({ invokeId: 'req-stop' })).toEqual([{ taskId: 't-1', status: 'Waiting' }]);
    expect(sent()[0]!.query).toEqual({ InvokeId: 'req-stop', MaxResults: '100' });
  });

  it('describeBackupFiles sends StatusList.N, paginates, honours maxPages', async () => {
    const file = (id: string) => ({ BackupFileId: id, Status: 'AVAILABLE', SourceAppInfoList: ['com.a'] });
    const { client, sent } = setup([
      { body: { RequestId: 'r1', MaxResults: '100', NextToken: 'n2', Data: [file('bf-1')] } },
      { body: { RequestId: 'r2', MaxResults: '100', NextToken: 'n3', Data: [file('bf-2')] } },
    ]);
    const files = await client.describeBackupFiles({
      instanceId: 'acp-1',
      statuses: ['AVAILABLE', 'PART_BACKUP_FINISHED'],
      maxPages: 2,
    });
    expect(files.map((f) => [f.backupFileId, f.apps])).toEqual([
      ['bf-1', ['com.a']],
      ['bf-2', ['com.a']],
    ]);
    expect(sent()[0]!.query).toEqual({
      AndroidInstanceId: 'acp-1',
      'StatusList.1': 'AVAILABLE',
      'StatusList.2': 'PART_BACKUP_FINISHED',
      MaxResults: '100',
    });
    expect(sent()[1]!.query.NextToken).toBe('n2');
  });

  it('deleteBackupFiles calls DeleteBackupFile with BackupFileIdList.N', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'req-d' } }]);
    expect(await client.deleteBackupFiles(['bf-1', 'bf-2'])).toEqual({ requestId: 'req-d' });
    expect(sent()[0]!.action).toBe('DeleteBackupFile');
    expect(sent()[0]!.query).toEqual({ 'BackupFileIdList.1': 'bf-1', 'BackupFileIdList.2': 'bf-2' });
  });

  it('runSyncCommand splits instance ids by 50', async () => {
    const echo = (req: SeenRequest): Reply => ({
      body: {
        RequestId: 'r',
        TotalCount: String(listParam(req.query, 'InstanceIds').length),
        Data: listParam(req.query, 'InstanceIds').map((id) => ({
          InstanceId: id,
          InvocationStatus: 'SUCCESS',
          Output: 'ok',
        })),
      },
    });
    const { client, sent } = setup([echo, echo, echo]);
    const outputs = await client.runSyncCommand({ instanceIds: ids('acp', 120), command: 'getprop', waitTimeMs: 1500 });
    expect(outputs).toHaveLength(120);
    expect(sent().map((c) => listParam(c.query, 'InstanceIds').length)).toEqual([50, 50, 20]);
    expect(sent()[0]!.query).toMatchObject({ CommandContent: 'getprop', WaitTime: '1500' });
    expect(sent()[0]!.action).toBe('RunSyncCommand');
  });

  it('listInstalledPackages runs pm list packages -3 and parses package: lines', async () => {
    const { client, sent } = setup([
      {
        body: {
          RequestId: 'r',
          Data: [
            {
              InstanceId: 'acp-1',
              InvocationStatus: 'SUCCESS',
              Output: 'package:com.b\r\npackage:com.a\n\npackage:com.b\n',
            },
            { InstanceId: 'acp-2', InvocationStatus: 'SUCCESS', Output: '' },
            { InstanceId: 'acp-3', InvocationStatus: 'TIMEOUT', Output: 'package:com.partial' },
          ],
        },
      },
    ]);
    const packages = await client.listInstalledPackages(['acp-1', 'acp-2', 'acp-3']);
    expect(sent()[0]!.query.CommandContent).toBe('pm list packages -3');
    expect([...packages.entries()]).toEqual([
      ['acp-1', ['com.a', 'com.b']],
      ['acp-2', []],
    ]);
  });

  it('parsePackageList ignores noise', () => {
    expect(parsePackageList('WARNING: linker\npackage:com.x.y_z\npackage: \nfoo:com.q\n  package:com.w  \n')).toEqual([
      'com.w',
      'com.x.y_z',
    ]);
  });
});

describe('errors', () => {
  it('turns an error body into CloudApiError with code, message, RequestId, Recommend and status', async () => {
    const { client, sent } = setup([
      {
        status: 400,
        body: {
          RequestId: 'req-e',
          HostId: 'eds-aic.cn-shanghai.aliyuncs.com',
          Code: 'InvalidParameter',
          Message: 'The specified parameter is invalid.',
          Recommend: 'https://api.aliyun.com/troubleshoot?q=InvalidParameter',
        },
      },
    ]);
    const error = await rejection(
      client.backupApp({ instanceIds: ['acp-1'], apps: ['a'], backupFilePath: 'p', uploadEndpoint: 'e' }),
    );
    expect(error).toMatchObject({
      apiCode: 'InvalidParameter',
      apiMessage: 'The specified parameter is invalid.',
      requestId: 'req-e',
      httpStatus: 400,
      recommend: 'https://api.aliyun.com/troubleshoot?q=InvalidParameter',
      action: 'BackupApp',
      outcomeUnknown: false,
      retryable: false,
    });
    expect(sent()).toHaveLength(1);
  });

  it('an error status with an unparseable body is MalformedResponse, with the HTTP status', async () => {
    const { client } = setup([{ status: 403, body: '<html>denied</html>', headers: { 'x-acs-request-id': 'req-h' } }]);
    const error = await rejection(client.describeTasks());
    expect(error).toMatchObject({ apiCode: 'MalformedResponse', httpStatus: 403, requestId: 'req-h' });
    expect(error.apiMessage).toContain('<html>denied</html>');
  });

  it('reads error bodies as the official core does: lower-case keys, and XML', async () => {
    const { client } = setup([
      { status: 400, body: { requestId: 'req-l', code: 'InvalidParam', message: 'lower case' } },
      {
        status: 403,
        body: '<?xml version="1.0"?><Error><RequestId>req-x</RequestId><HostId>eds-aic</HostId><Code>Forbidden.RAM</Code><Message>not &amp; never</Message></Error>',
      },
    ]);
    expect(await rejection(client.describeTasks())).toMatchObject({
      apiCode: 'InvalidParam',
      apiMessage: 'lower case',
      requestId: 'req-l',
      httpStatus: 400,
    });
    expect(await rejection(client.describeTasks())).toMatchObject({
      apiCode: 'Forbidden.RAM',
      apiMessage: 'not & never',
      requestId: 'req-x',
      httpStatus: 403,
    });
  });

  it('a 2xx that fails the schema is MalformedResponse with the RequestId, and is not retried', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'req-m', Data: { TaskId: 't-1' } } }]);
    const error = await rejection(client.describeTasks());
    expect(error.apiCode).toBe('MalformedResponse');
    expect(error.requestId).toBe('req-m');
    expect(error.apiMessage).toMatch(/Data/);
    expect(sent()).toHaveLength(1);
  });

  it('one odd task does not cost the page: it is returned unreadable and reported, the others as they came', async () => {
    const events: unknown[] = [];
    const { client } = setup(
      [
        {
          body: {
            RequestId: 'req-m',
            Data: [
              { TaskId: 't-1', TaskStatus: '' },
              { TaskId: 't-2', TaskStatus: 'Finished' },
              { TaskStatus: 'Finished' },
            ],
          },
        },
      ],
      { onUnusableItem: (event) => events.push(event) },
    );
    expect(await client.describeTasks()).toEqual([
      { taskId: 't-1', status: UNREADABLE_STATUS },
      { taskId: 't-2', status: 'Finished' },
    ]);
    expect(events).toEqual([
      { action: 'DescribeTasks', field: 'TaskStatus', id: 't-1', kept: true },
      { action: 'DescribeTasks', field: 'TaskId', kept: false },
    ]);
  });

  it('a 2xx that is not JSON is MalformedResponse', async () => {
    const { client } = setup([{ body: 'not json' }]);
    expect((await rejection(client.describeInstances())).apiCode).toBe('MalformedResponse');
  });

  it('a mutating call whose 2xx answer cannot be read is flagged outcomeUnknown', async () => {
    const { client, sent } = setup([{ body: { RequestId: 'req-x', TaskId: 't', Data: 'oops' } }]);
    const error = await rejection(
      client.backupApp({ instanceIds: ['acp-1'], apps: ['a'], backupFilePath: 'p', uploadEndpoint: 'e' }),
    );
    expect(error).toMatchObject({ apiCode: 'MalformedResponse', outcomeUnknown: true, requestId: 'req-x' });
    expect(sent()).toHaveLength(1);
  });
});

describe('retries: read-only calls', () => {
  const throttled: Reply = {
    status: 400,
    body: { RequestId: 'req-t', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
  };

  it('retries on throttling, with a fresh nonce per attempt, then succeeds', async () => {
    const { client, sent, events, sleeps } = setup([
      throttled,
      { body: { RequestId: 'ok', Data: [{ TaskId: 't-1', TaskStatus: 'Finished' }] } },
    ]);
    expect(await client.describeTasks({ taskIds: ['t-1'] })).toEqual([{ taskId: 't-1', status: 'Finished' }]);
    const calls = sent();
    expect(calls).toHaveLength(2);
    const nonces = calls.map((c) => c.headers['x-acs-signature-nonce']);
    expect(new Set(nonces).size).toBe(2);
    expect(calls[0]!.query).toEqual(calls[1]!.query);
    // Each attempt's own signature verifies.
    for (const c of calls) {
      const auth = parseAuthorization(c.headers.authorization ?? '');
      const input = {
        method: 'POST',
        pathname: '/',
        query: c.query,
        headers: c.headers,
        payloadSha256Hex: EMPTY_BODY_SHA256,
      };
      expect(auth?.signature).toBe(computeSignature(input, SK).signature);
    }
    expect(sleeps).toHaveLength(1);
    expect(events.map((e) => [e.action, e.attempt, e.ok, e.code])).toEqual([
      ['DescribeTasks', 1, false, 'Throttling.User'],
      ['DescribeTasks', 2, true, undefined],
    ]);
    expect(events.every((e) => e.durationMs >= 0)).toBe(true);
  });

  it('retries on 429, 5xx and network errors', async () => {
    const { client, sent } = setup([
      { status: 429, body: { RequestId: 'a', Code: 'TooManyRequests', Message: 'slow down' } },
      { status: 503, body: { RequestId: 'b', Code: 'ServiceUnavailable', Message: 'try later' } },
      { error: netError('ECONNRESET') },
      { body: { RequestId: 'ok', InstanceModel: [] } },
    ]);
    expect(await client.describeInstances()).toEqual([]);
    expect(sent()).toHaveLength(4);
  });

  it('honours x-acs-retry-after', async () => {
    const { client, sleeps } = setup([
      {
        status: 400,
        body: { RequestId: 'a', Code: 'Throttling.Api', Message: 'x' },
        headers: { 'x-acs-retry-after': '3000' },
      },
      { body: { RequestId: 'ok', InstanceModel: [] } },
    ]);
    await client.describeInstances();
    expect(sleeps).toEqual([3_000]);
  });

  it('gives up after maxAttempts with the last error, marked retryable', async () => {
    const fail: Reply = { status: 500, body: { RequestId: 'req-5', Code: 'InternalError', Message: 'boom' } };
    const { client, sent } = setup([fail, fail, fail], {
      retry: { maxAttempts: 3, baseDelayMs: 1, sleep: async () => {} },
    });
    const error = await rejection(client.describeBackupFiles());
    expect(error).toMatchObject({ apiCode: 'InternalError', requestId: 'req-5', httpStatus: 500, retryable: true });
    expect(error.outcomeUnknown).toBe(false);
    expect(sent()).toHaveLength(3);
  });

  it('gives up when the server asks to wait beyond the time budget', async () => {
    const { client, sent } = setup([{ ...throttled, headers: { 'x-acs-retry-after': '5000' } }], {
      retry: { maxAttempts: 10, totalBudgetMs: 1_000, sleep: async () => {} },
    });
    const error = await rejection(client.describeTasks());
    expect(error).toMatchObject({ apiCode: 'Throttling.User', retryable: true });
    expect(sent()).toHaveLength(1);
  });

  it('does not retry a definite client error', async () => {
    const { client, sent } = setup([
      { status: 404, body: { RequestId: 'r', Code: 'InvalidApi.NotFound', Message: 'Specified api is not found' } },
    ]);
    const error = await rejection(client.describeInstances());
    expect(error).toMatchObject({ apiCode: 'InvalidApi.NotFound', retryable: false });
    expect(sent()).toHaveLength(1);
  });

  it('times out a slow response and retries it', async () => {
    const { client, sent, events } = setup(
      [
        { delayMs: 500, reply: { body: { RequestId: 'late', InstanceModel: [] } } },
        { body: { RequestId: 'ok', InstanceModel: [] } },
      ],
      { timeoutMs: 30 },
    );
    expect(await client.describeInstances()).toEqual([]);
    expect(sent()).toHaveLength(2);
    expect(events[0]).toMatchObject({ ok: false, code: 'Timeout', attempt: 1 });
  });

  it('reports Timeout when every attempt is too slow', async () => {
    const slow = { delayMs: 500, reply: { body: { RequestId: 'late', InstanceModel: [] } } };
    const { client, sent } = setup([slow, slow], {
      timeoutMs: 30,
      retry: { maxAttempts: 2, baseDelayMs: 1, sleep: async () => {} },
    });
    const error = await rejection(client.describeInstances());
    expect(error).toMatchObject({ apiCode: 'Timeout', retryable: true, outcomeUnknown: false });
    expect(sent()).toHaveLength(2);
  });
});

describe('retries: mutating calls never re-send after the request may have arrived', () => {
  const backup = {
    instanceIds: ['acp-1'],
    apps: ['com.a'],
    backupFilePath: 'oss://cloudphone-saved-bucket-x/dir/',
    uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  };
  const backupOk: Reply = {
    body: {
      RequestId: 'req-ok',
      TaskId: 't-b',
      Count: 1,
      Data: [{ AndroidInstanceId: 'acp-1', BackupFileId: 'bf-1', BackupFileName: 'x', TaskId: 't-1' }],
    },
  };

  it('a 500 is OutcomeUnknown after exactly one request, keeping the code and RequestId', async () => {
    const { client, sent } = setup([
      {
        status: 500,
        body: { RequestId: 'req-500', Code: 'InternalError', Message: 'The request processing has failed.' },
      },
    ]);
    const error = await rejection(client.backupApp(backup));
    expect(error).toMatchObject({
      apiCode: 'OutcomeUnknown',
      outcomeUnknown: true,
      retryable: false,
      requestId: 'req-500',
      httpStatus: 500,
      action: 'BackupApp',
    });
    expect(error.message).toContain('InternalError');
    expect(error.message).toContain('req-500');
    expect(sent()).toHaveLength(1);
  });

  it('a timeout is OutcomeUnknown after exactly one request', async () => {
    const { client, sent } = setup([{ delayMs: 500, reply: backupOk }], { timeoutMs: 30 });
    const error = await rejection(client.backupApp(backup));
    expect(error).toMatchObject({ apiCode: 'OutcomeUnknown', outcomeUnknown: true });
    expect(error.message).toContain('Timeout');
    expect(sent()).toHaveLength(1);
  });

  it('a connection reset is OutcomeUnknown after exactly one request', async () => {
    const { client, sent } = setup([{ error: netError('ECONNRESET') }]);
    const error = await rejection(client.stopInstances(['acp-1']));
    expect(error).toMatchObject({ apiCode: 'OutcomeUnknown', outcomeUnknown: true, action: 'StopAndroidInstance' });
    expect(error.message).toContain('ECONNRESET');
    expect(sent()).toHaveLength(1);
  });

  it('a throttled mutating call is retried (the gateway refused it) and succeeds', async () => {
    const { client, sent } = setup([
      { status: 400, body: { RequestId: 'req-t', Code: 'Throttling.User', Message: 'flow control' } },
      backupOk,
    ]);
    const result = await client.backupApp(backup);
    expect(result.requestId).toBe('req-ok');
    const calls = sent();
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers['x-acs-signature-nonce']).not.toBe(calls[1]!.headers['x-acs-signature-nonce']);
  });

  it('a 4xx with x-acs-retry-after is treated as throttling and retried; a 503 with one is not re-sent', async () => {
    const { client, sent, sleeps } = setup([
      { status: 400, body: { RequestId: 'a', Code: 'Busy', Message: 'x' }, headers: { 'x-acs-retry-after': '1000' } },
      { body: { RequestId: 'req-ok' } },
      {
        status: 503,
        body: { RequestId: 'b', Code: 'ServiceUnavailable', Message: 'y' },
        headers: { 'x-acs-retry-after': '1000' },
      },
    ]);
    expect(await client.startInstances(['acp-1'])).toEqual({ requestId: 'req-ok' });
    expect(sleeps).toEqual([1_000]);
    const error = await rejection(client.startInstances(['acp-1']));
    expect(error).toMatchObject({ apiCode: 'OutcomeUnknown', outcomeUnknown: true, requestId: 'b' });
    expect(sent()).toHaveLength(3);
  });

  it('x-acs-retry-after: 0 asks for nothing: a 4xx with it is a final answer, not throttling', async () => {
    const { client, sent, sleeps } = setup([
      { status: 400, body: { RequestId: 'a', Code: 'Busy', Message: 'x' }, headers: { 'x-acs-retry-after': '0' } },
    ]);
    expect(await rejection(client.startInstances(['acp-1']))).toMatchObject({ apiCode: 'Busy', retryable: false });
    expect(sleeps).toEqual([]);
    expect(sent()).toHaveLength(1);
  });

  it('a connection refused before sending is retried', async () => {
    const { client, sent } = setup([{ error: netError('ECONNREFUSED') }, { body: { RequestId: 'req-s' } }]);
    expect(await client.startInstances(['acp-1'])).toEqual({ requestId: 'req-s' });
    expect(sent()).toHaveLength(2);
  });

  it('throttled every time: gives up with the throttling error, not outcomeUnknown', async () => {
    const t: Reply = { status: 400, body: { RequestId: 'req-t', Code: 'Throttling', Message: 'flow control' } };
    const { client, sent } = setup([t, t], { retry: { maxAttempts: 2, baseDelayMs: 1, sleep: async () => {} } });
    const error = await rejection(client.deleteBackupFiles(['bf-1']));
    expect(error).toMatchObject({ apiCode: 'Throttling', outcomeUnknown: false, retryable: true });
    expect(sent()).toHaveLength(2);
  });
});

describe('lifecycle', () => {
  it('close() leaves an injected dispatcher open but refuses further calls', async () => {
    const { client, agent } = setup([]);
    await client.close();
    expect((await rejection(client.describeInstances())).apiCode).toBe('ClientClosed');
    // The agent still works for its owner.
    agent.get(ORIGIN).intercept({ path: '/ping', method: 'GET' }).reply(200, 'pong');
    const response = await agent.request({ origin: ORIGIN, path: '/ping', method: 'GET' });
    expect(await response.body.text()).toBe('pong');
  });

  it('close() closes the pool it created', async () => {
    const client = createCloudPhoneClient({
      endpoint: 'http://127.0.0.1:9',
      credentials: createCredentialSource({ accessKeyId: AK, accessKeySecret: SK }),
    });
    await client.close();
    await client.close();
    expect((await rejection(client.startInstances(['acp-1']))).apiCode).toBe('ClientClosed');
  });

  it('an onCall hook that throws does not break the call', async () => {
    const { client } = setup([{ body: { RequestId: 'r' } }], {
      onCall: () => {
        throw new Error('metrics down');
      },
    });
    expect(await client.startInstances(['acp-1'])).toEqual({ requestId: 'r' });
  });
});

describe('over a real loopback connection (own undici Pool)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function listen<T extends TcpServer | ReturnType<typeof createServer>>(server: T): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as { port: number }).port;
  }

  function realClient(port: number, overrides: Partial<CloudPhoneClientOptions> = {}) {
    const client = createCloudPhoneClient({
      endpoint: `http://127.0.0.1:${port}`,
      credentials: createCredentialSource({ accessKeyId: AK, accessKeySecret: SK }),
      timeoutMs: 2_000,
      retry: { baseDelayMs: 1, maxDelayMs: 2, sleep: async () => {} },
      ...overrides,
    });
    closers.push(() => client.close());
    return client;
  }

  it('sends a request whose signature verifies against what the server received', async () => {
    const received: IncomingMessage[] = [];
    const port = await listen(
      createServer((req, res) => {
        received.push(req);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ RequestId: 'real-1' }));
      }),
    );
    const client = realClient(port);
    expect(await client.startInstances(['acp-1', 'acp 2'])).toEqual({ requestId: 'real-1' });
    const [req] = received;
    const url = new URL(req!.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    expect(req!.method).toBe('POST');
    expect(query).toEqual({ 'AndroidInstanceIds.1': 'acp-1', 'AndroidInstanceIds.2': 'acp 2' });
    expect(req!.headers.host).toBe(`127.0.0.1:${port}`);
    const headers = req!.headers as Record<string, string>;
    const auth = parseAuthorization(headers.authorization ?? '');
    const input = { method: 'POST', pathname: url.pathname, query, headers, payloadSha256Hex: EMPTY_BODY_SHA256 };
    expect(auth?.signature).toBe(computeSignature(input, SK).signature);
  });

  it('a socket closed after the request was sent makes a mutating call OutcomeUnknown, sent once', async () => {
    let requests = 0;
    const port = await listen(
      createTcpServer((socket) => {
        socket.on('data', () => {
          requests++;
          socket.destroy();
        });
      }),
    );
    const error = await rejection(realClient(port).stopInstances(['acp-1']));
    expect(error).toMatchObject({ apiCode: 'OutcomeUnknown', outcomeUnknown: true });
    expect(requests).toBe(1);
  });

  it('a refused connection is retried for a mutating call and ends as a retryable NetworkError', async () => {
    const port = await listen(createTcpServer());
    await closers.pop()!();
    const events: CallEvent[] = [];
    const client = realClient(port, {
      retry: { maxAttempts: 3, baseDelayMs: 1, sleep: async () => {} },
      onCall: (e) => events.push(e),
    });
    const error = await rejection(client.startInstances(['acp-1']));
    expect(error).toMatchObject({ apiCode: 'NetworkError', outcomeUnknown: false, retryable: true });
    expect(error.apiMessage).toContain('ECONNREFUSED');
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });
});
