/**
 * The eds-aic 2023-09-30 client on undici: V3 (ACS3-HMAC-SHA256) signed RPC calls, zod-parsed responses,
 * retries that never re-send a mutating call which may already have taken effect.
 * Wire format and quirks: shared/docs/cloud-phone-api.md §2, §3, §7.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Dispatcher, Pool } from 'undici';
import { CloudApiError } from '../errors.js';
import { type CredentialSource, type Credentials, CredentialsUnavailableError } from './credentials.js';
import { decideRetry, parseRetryAfter, type RetryOptions, resolveRetryOptions } from './retry.js';
import {
  type BackupAppResult,
  BackupAppResult as BackupAppResultSchema,
  type BackupFile,
  type CommandOutput,
  DescribeAndroidInstancesResponse,
  DescribeBackupFilesResponse,
  type DescribeTasksResponse,
  ErrorBody,
  type Instance,
  type RecoverAppResult,
  RecoverAppResult as RecoverAppResultSchema,
  RequestIdResult,
  type ResponseParser,
  RunSyncCommandResponse,
  type Task,
} from './schema.js';
import {
  acsDate,
  authorizationHeader,
  canonicalQueryString,
  EMPTY_BODY_SHA256,
  flattenParams,
  type ParamValue,
} from './sign.js';
import { describeTasksParser } from './task-page.js';

export const API_VERSION = '2023-09-30';
/** The API's limit for instance-id lists (and most other lists) in one call. */
export const MAX_INSTANCES_PER_CALL = 100;
/** RunSyncCommand takes at most 50 instances per call (doc §3.10). */
export const MAX_COMMAND_INSTANCES_PER_CALL = 50;
/** Page size for every Describe* call (the API's maximum). */
export const PAGE_SIZE = 100;
/** A runaway NextToken chain is a service bug; stop rather than loop forever. */
export const MAX_PAGES = 1_000;
export const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_USER_AGENT = `cloudphone-backup-bot/0.1.0 Node.js/${process.version}`;

export interface CallEvent {
  /** The API action, e.g. `DescribeTasks`. */
  action: string;
  durationMs: number;
  ok: boolean;
  /** The API or local error code when not ok. */
  code?: string | undefined;
  /** 1 for the first attempt; one event per HTTP attempt. */
  attempt: number;
  /** The cloud's RequestId for this attempt, when it answered with one (for logs that follow a request). */
  requestId?: string | undefined;
}

export interface CloudPhoneClientOptions {
  /** `https://eds-aic.cn-shanghai.aliyuncs.com` (see resolveEndpoint) or the simulator's URL. */
  endpoint: string | URL;
  credentials: CredentialSource;
  /** Injected transport (tests: undici MockAgent). When given, the caller owns it and close() leaves it open. */
  dispatcher?: Dispatcher | undefined;
  /** Limit for one HTTP attempt, from connect to the last body byte. */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
  /** Clock for `x-acs-date`. */
  now?: (() => Date) | undefined;
  /** Called after every HTTP attempt, for metrics and logs. Exceptions from it are ignored. */
  onCall?: ((event: CallEvent) => void) | undefined;
  /**
   * Awaited before every HTTP attempt, before its timeout starts. The bot passes its ack priority here: a cloud call
   * is background work, and Slack requests waiting for their answer go first (src/slack/ack-priority.ts).
   */
  beforeAttempt?: (() => Promise<void>) | undefined;
  userAgent?: string | undefined;
}

export interface DescribeInstancesQuery {
  /** An empty list means "none", never "all": it returns [] without a call. */
  instanceIds?: readonly string[] | undefined;
  /** Wire status, e.g. `RUNNING` (doc §4.1). */
  status?: string | undefined;
  instanceGroupIds?: readonly string[] | undefined;
}

export interface BackupAppRequest {
  instanceIds: readonly string[];
  /** Package names, e.g. `com.example.app`. */
  apps: readonly string[];
  /** OSS directory, `oss://cloudphone-saved-bucket-…/dir/`. */
  backupFilePath: string;
  /** OSS endpoint, e.g. `oss-cn-shanghai-internal.aliyuncs.com`. */
  uploadEndpoint: string;
  backupFileName?: string | undefined;
  description?: string | undefined;
}

export interface RecoverAppRequest {
  instanceIds: readonly string[];
  backupFileId: string;
  /** The backup's full object path as DescribeBackupFiles returns it. */
  backupFilePath: string;
  uploadEndpoint?: string | undefined;
}

export interface DescribeTasksQuery {
  /** An empty list means "none": it returns [] without a call. */
  taskIds?: readonly string[] | undefined;
  parentTaskId?: string | undefined;
  /** The RequestId of the call whose tasks you want (e.g. of StopAndroidInstance). */
  invokeId?: string | undefined;
  /** 1 = batch tasks, 2 = instance tasks. */
  level?: 1 | 2 | undefined;
}

export interface DescribeBackupFilesQuery {
  backupFileId?: string | undefined;
  instanceId?: string | undefined;
  /** Fuzzy match on the service side. */
  backupFileName?: string | undefined;
  /** Fuzzy match on the service side; the bot finds its own backups by a marker it puts in the description. */
  description?: string | undefined;
  /** e.g. `AVAILABLE`, `BACKUP_FAILED` (doc §4.2). */
  statuses?: readonly string[] | undefined;
  /** Stop after this many pages (newest first is not guaranteed). Default: all pages. */
  maxPages?: number | undefined;
}

export interface RunSyncCommandRequest {
  instanceIds: readonly string[];
  command: string;
  /** How long the service waits for the output, 500–3000 ms (API default 1000). */
  waitTimeMs?: number | undefined;
}

export interface CloudPhoneApi {
  /** DescribeAndroidInstances: all pages, instance ids in chunks of 100. */
  describeInstances(query?: DescribeInstancesQuery): Promise<Instance[]>;
  /** StopAndroidInstance for at most 100 instances. Track it with describeTasks({invokeId: requestId}). */
  stopInstances(
    instanceIds: readonly string[],
    options?: { force?: boolean | undefined },
  ): Promise<{ requestId: string }>;
  /** StartAndroidInstance for at most 100 instances. */
  startInstances(instanceIds: readonly string[]): Promise<{ requestId: string }>;
  /** BackupApp for at most 100 instances. */
  backupApp(request: BackupAppRequest): Promise<BackupAppResult>;
  /** RecoverApp (UploadType=OSS) for at most 100 instances. */
  recoverApp(request: RecoverAppRequest): Promise<RecoverAppResult>;
  /** DescribeTasks: all pages, task ids in chunks of 100. */
  describeTasks(query?: DescribeTasksQuery): Promise<Task[]>;
  /** DescribeBackupFiles: all pages (or maxPages). */
  describeBackupFiles(query?: DescribeBackupFilesQuery): Promise<BackupFile[]>;
  /** DeleteBackupFile for at most 100 backup files. */
  deleteBackupFiles(backupFileIds: readonly string[]): Promise<{ requestId: string }>;
  /**
   * RunSyncCommand, 50 instances per call. Treated as read-only and therefore retried: use it only for commands that
   * are safe to run twice.
   */
  runSyncCommand(request: RunSyncCommandRequest): Promise<CommandOutput[]>;
  /**
   * Third-party packages per instance, from `pm list packages -3`. Instances whose command did not succeed are absent
   * from the map (unknown is not the same as "no apps").
   */
  listInstalledPackages(instanceIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Closes the connection pool this client created (an injected dispatcher is left alone). */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------------
// Failure classification

/**
 * - throttled: the gateway refused the call before running it; safe to retry anything.
 * - not-sent: the connection failed before a byte of the request left; safe to retry anything.
 * - server: 5xx; the service may have acted.
 * - network / timeout: the request may have reached the service.
 * - final: a definite answer (4xx, malformed 2xx, local error); retrying would not help.
 */
type FailureClass = 'throttled' | 'not-sent' | 'server' | 'network' | 'timeout' | 'final';

class AttemptFailure extends Error {
  constructor(
    readonly failureClass: FailureClass,
    readonly error: CloudApiError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

/** Connection errors that happen before the request is written, so the service cannot have seen it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/** Local mistakes or a closed client: nothing was sent and trying again cannot help. */
const LOCAL_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ERR_INVALID_ARG_TYPE']);

function errorCodeOf(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  if (Array.isArray(errors) && errors.length > 0) return errorCodeOf(errors[0], depth + 1);
  return errorCodeOf(cause, depth + 1);
}

function isReadOnlyRetryable(c: FailureClass): boolean {
  return c !== 'final';
}
function isMutatingRetryable(c: FailureClass): boolean {
  return c === 'throttled' || c === 'not-sent';
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------------------------------------------------------------

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function tooMany(action: string, what: string, count: number, max: number): CloudApiError {
  return new CloudApiError({
    apiCode: 'TooManyItems',
    apiMessage: `${action} takes at most ${max} ${what} per call, got ${count}; split the request`,
    action,
  });
}

function missing(action: string, what: string): CloudApiError {
  return new CloudApiError({ apiCode: 'MissingParameter', apiMessage: `${action} needs at least one ${what}`, action });
}

function toUrl(endpoint: string | URL): URL {
  const url = new URL(
    typeof endpoint === 'string' && !/^[a-z]+:\/\//i.test(endpoint) ? `https://${endpoint}` : endpoint,
  );
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`Unsupported endpoint ${url.href}`);
  return url;
}

export function createCloudPhoneClient(options: CloudPhoneClientOptions): CloudPhoneApi {
  const url = toUrl(options.endpoint);
  const origin = url.origin;
  const host = url.host;
  const pathname = url.pathname || '/';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
  const retry = resolveRetryOptions(options.retry);
  const now = options.now ?? (() => new Date());
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const ownPool =
    options.dispatcher === undefined
      ? new Pool(origin, {
          connections: 8,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          connect: { timeout: Math.min(timeoutMs, 10_000) },
        })
      : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? ownPool!;
  let closed = false;

  function emit(event: CallEvent): void {
    try {
      options.onCall?.(event);
    } catch {
      // A metrics hook must never break a cloud call.
    }
  }

  /** `query` is the canonical query string: it is both signed and sent. */
  function buildRequest(action: string, query: string, credentials: Credentials) {
    const headers: Record<string, string> = {
      host,
      'x-acs-action': action,
      'x-acs-version': API_VERSION,
      'x-acs-date': acsDate(now()),
      // Fresh per attempt: the gateway rejects a reused nonce (SignatureNonceUsed), retries included.
      'x-acs-signature-nonce': randomBytes(16).toString('hex'),
      'x-acs-content-sha256': EMPTY_BODY_SHA256,
    };
    if (credentials.securityToken !== undefined) {
      headers['x-acs-accesskey-id'] = credentials.accessKeyId;
      headers['x-acs-security-token'] = credentials.securityToken;
    }
    headers.authorization = authorizationHeader(
      { method: 'POST', pathname, query, headers, payloadSha256Hex: EMPTY_BODY_SHA256 },
      credentials.accessKeyId,
      credentials.accessKeySecret,
    );
    headers.accept = 'application/json';
    headers['user-agent'] = userAgent;
    return { path: query === '' ? pathname : `${pathname}?${query}`, headers };
  }

  async function attemptOnce<T>(action: string, query: string, schema: ResponseParser<T>): Promise<T> {
    await options.beforeAttempt?.();
    let credentials: Credentials;
    try {
      credentials = await options.credentials.get();
    } catch (error) {
      const message =
        error instanceof CredentialsUnavailableError ? error.message : 'Could not obtain Alibaba Cloud credentials';
      throw new AttemptFailure(
        'final',
        new CloudApiError({ apiCode: 'CredentialsUnavailable', apiMessage: message, action }, { cause: error }),
      );
    }
    const { path, headers } = buildRequest(action, query, credentials);
    const signal = AbortSignal.timeout(timeoutMs);

    let statusCode: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await dispatcher.request({
        origin,
        path,
        method: 'POST',
        headers,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      statusCode = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      throw transportFailure(action, error, signal.aborted);
    }
    return interpret(action, statusCode, responseHeaders, text, schema);
  }

  function transportFailure(action: string, error: unknown, timedOut: boolean): AttemptFailure {
    const code = errorCodeOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
      return new AttemptFailure(
        'timeout',
        new CloudApiError(
          {
            apiCode: 'Timeout',
            apiMessage: timedOut ? `no complete response within ${timeoutMs} ms` : `${code}: ${detail}`,
            action,
          },
          { cause: error },
        ),
      );
    }
    const failureClass: FailureClass =
      code !== undefined && NOT_SENT_CODES.has(code)
        ? 'not-sent'
        : code !== undefined && LOCAL_CODES.has(code)
          ? 'final'
          : 'network';
    return new AttemptFailure(
      failureClass,
      new CloudApiError(
        { apiCode: 'NetworkError', apiMessage: `${code ?? 'error'}: ${detail}`, action },
        { cause: error },
      ),
    );
  }

  function interpret<T>(
    action: string,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    schema: ResponseParser<T>,
  ): T {
    const headerRequestId = firstHeader(headers['x-acs-request-id']);
    const retryAfterMs = parseRetryAfter(headers['x-acs-retry-after']);
    let json: unknown;
    let parsedJson = false;
    try {
      json = JSON.parse(text);
      parsedJson = typeof json === 'object' && json !== null && !Array.isArray(json);
    } catch {
      parsedJson = false;
    }

    if (statusCode < 200 || statusCode >= 300) {
      const body = parsedJson ? ErrorBody.safeParse(json) : undefined;
      const errorBody = body?.success ? body.data : undefined;
      const apiCode = errorBody?.code ?? (parsedJson ? `Http${statusCode}` : 'MalformedResponse');
      const apiMessage =
        errorBody?.message ??
        (parsedJson
          ? `HTTP ${statusCode}`
          : `HTTP ${statusCode} with a body that is not an error object: ${snippet(text)}`);
      const error = new CloudApiError({
        apiCode,
        apiMessage,
        requestId: errorBody?.requestId ?? headerRequestId,
        httpStatus: statusCode,
        recommend: errorBody?.recommend,
        action,
      });
      // A retry-after on a 4xx means "refused, come back later" (CORE's ThrottlingError); on a 5xx the service may
      // still have acted, so only an explicit Throttling code makes a 5xx safe to re-send.
      const throttled =
        apiCode.startsWith('Throttling') || statusCode === 429 || (retryAfterMs !== undefined && statusCode < 500);
      const failureClass: FailureClass = throttled ? 'throttled' : statusCode >= 500 ? 'server' : 'final';
      throw new AttemptFailure(failureClass, error, retryAfterMs);
    }

    if (!parsedJson) {
      throw new AttemptFailure(
        'final',
        new CloudApiError({
          apiCode: 'MalformedResponse',
          apiMessage: `HTTP ${statusCode} with a body that is not a JSON object: ${snippet(text)}`,
          requestId: headerRequestId,
          httpStatus: statusCode,
          action,
        }),
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const raw = (json as { RequestId?: unknown }).RequestId;
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw new AttemptFailure(
        'final',
        new CloudApiError(
          {
            apiCode: 'MalformedResponse',
            apiMessage: `unexpected response shape: ${issues}`,
            requestId: typeof raw === 'string' && raw !== '' ? raw : headerRequestId,
            httpStatus: statusCode,
            action,
          },
          { cause: parsed.error },
        ),
      );
    }
    return parsed.data;
  }

  /** A failure that ends the call, with `retryable` and `outcomeUnknown` set for the caller. */
  function finalError(mutating: boolean, failure: AttemptFailure): CloudApiError {
    const e = failure.error;
    const c = failure.failureClass;
    if (
      mutating &&
      (c === 'server' ||
        c === 'network' ||
        c === 'timeout' ||
        (c === 'final' && e.httpStatus !== undefined && e.httpStatus < 300))
    ) {
      // The service may have acted (or did act, for a 2xx we could not read): the caller must look, not re-send.
      const where = e.requestId ? `, RequestId ${e.requestId}` : '';
      return new CloudApiError(
        {
          apiCode: c === 'final' ? e.apiCode : 'OutcomeUnknown',
          apiMessage:
            c === 'final'
              ? `${e.apiMessage} (the call was accepted; check its effect before sending it again)`
              : `the request may have reached the service and was not re-sent; check its effect (${e.apiCode}: ${e.apiMessage}${where})`,
          requestId: e.requestId,
          httpStatus: e.httpStatus,
          recommend: e.recommend,
          action: e.action,
          outcomeUnknown: true,
          retryable: false,
        },
        { cause: e },
      );
    }
    const retryable = mutating ? isMutatingRetryable(c) : isReadOnlyRetryable(c);
    return new CloudApiError(
      {
        apiCode: e.apiCode,
        apiMessage: e.apiMessage,
        requestId: e.requestId,
        httpStatus: e.httpStatus,
        recommend: e.recommend,
        action: e.action,
        retryable,
      },
      { cause: e.cause },
    );
  }

  async function invoke<T>(
    action: string,
    params: Record<string, ParamValue>,
    schema: ResponseParser<T>,
    mutating: boolean,
  ): Promise<T> {
    if (closed) {
      throw new CloudApiError({ apiCode: 'ClientClosed', apiMessage: 'the cloud phone client was closed', action });
    }
    // The same for every attempt (only the headers change: date, nonce, signature), so it is built once.
    const query = canonicalQueryString(flattenParams(params));
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const attemptStarted = performance.now();
      try {
        const value = await attemptOnce(action, query, schema);
        emit({
          action,
          durationMs: performance.now() - attemptStarted,
          ok: true,
          attempt,
          requestId: (value as { requestId?: string } | undefined)?.requestId,
        });
        return value;
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        emit({
          action,
          durationMs: performance.now() - attemptStarted,
          ok: false,
          code: error.error.apiCode,
          attempt,
          requestId: error.error.requestId,
        });
        const retryable = mutating ? isMutatingRetryable(error.failureClass) : isReadOnlyRetryable(error.failureClass);
        if (!retryable) throw finalError(mutating, error);
        const decision = decideRetry(
          { attempt, elapsedMs: performance.now() - started, retryAfterMs: error.retryAfterMs },
          retry,
        );
        if (!decision.retry) throw finalError(mutating, error);
        await retry.sleep(decision.delayMs);
      }
    }
  }

  /** Follows NextToken to the end (or `maxPages`), MaxResults 100. */
  async function paginate<P extends { nextToken?: string | undefined }, I>(
    action: string,
    params: Record<string, ParamValue>,
    schema: ResponseParser<P>,
    itemsOf: (page: P) => I[],
    maxPages = MAX_PAGES,
  ): Promise<I[]> {
    const out: I[] = [];
    const seen = new Set<string>();
    let nextToken: string | undefined;
    for (let page = 1; page <= maxPages; page++) {
      const result = await invoke(action, { ...params, MaxResults: PAGE_SIZE, NextToken: nextToken }, schema, false);
      out.push(...itemsOf(result));
      nextToken = result.nextToken;
      if (nextToken === undefined) return out;
      if (seen.has(nextToken)) {
        throw new CloudApiError({
          apiCode: 'MalformedResponse',
          apiMessage: `the service returned NextToken ${nextToken} twice; stopping to avoid a loop`,
          action,
        });
      }
      seen.add(nextToken);
    }
    if (maxPages < MAX_PAGES) return out;
    throw new CloudApiError({
      apiCode: 'TooManyPages',
      apiMessage: `more than ${MAX_PAGES} pages; narrow the query`,
      action,
    });
  }

  function checkLimit(action: string, what: string, items: readonly unknown[] | undefined, max: number): void {
    if (items !== undefined && items.length > max) throw tooMany(action, what, items.length, max);
  }

  function checkMutatingIds(action: string, what: string, items: readonly string[]): void {
    if (items.length === 0) throw missing(action, what);
    checkLimit(action, what, items, MAX_INSTANCES_PER_CALL);
  }

  async function runSyncCommand(request: RunSyncCommandRequest): Promise<CommandOutput[]> {
    const out: CommandOutput[] = [];
    for (const ids of chunk(request.instanceIds, MAX_COMMAND_INSTANCES_PER_CALL)) {
      const result = await invoke(
        'RunSyncCommand',
        { InstanceIds: ids, CommandContent: request.command, WaitTime: request.waitTimeMs },
        RunSyncCommandResponse,
        false,
      );
      out.push(...result.outputs);
    }
    return out;
  }

  const api: CloudPhoneApi = {
    async describeInstances(query = {}) {
      const action = 'DescribeAndroidInstances';
      checkLimit(action, 'instance group ids', query.instanceGroupIds, MAX_INSTANCES_PER_CALL);
      const base = { Status: query.status, InstanceGroupIds: query.instanceGroupIds?.slice() };
      const pick = (r: DescribeAndroidInstancesResponse) => r.instances;
      if (query.instanceIds === undefined) return paginate(action, base, DescribeAndroidInstancesResponse, pick);
      const out: Instance[] = [];
      for (const ids of chunk(query.instanceIds, MAX_INSTANCES_PER_CALL)) {
        out.push(
          ...(await paginate(action, { ...base, AndroidInstanceIds: ids }, DescribeAndroidInstancesResponse, pick)),
        );
      }
      return out;
    },

    async stopInstances(instanceIds, stopOptions = {}) {
      const action = 'StopAndroidInstance';
      checkMutatingIds(action, 'instance id', instanceIds);
      return invoke(
        action,
        { AndroidInstanceIds: instanceIds.slice(), ForceStop: stopOptions.force },
        RequestIdResult,
        true,
      );
    },

    async startInstances(instanceIds) {
      const action = 'StartAndroidInstance';
      checkMutatingIds(action, 'instance id', instanceIds);
      return invoke(action, { AndroidInstanceIds: instanceIds.slice() }, RequestIdResult, true);
    },

    async backupApp(request) {
      const action = 'BackupApp';
      checkMutatingIds(action, 'instance id', request.instanceIds);
      if (request.apps.length === 0) throw missing(action, 'app');
      checkLimit(action, 'apps', request.apps, MAX_INSTANCES_PER_CALL);
      return invoke(
        action,
        {
          AndroidInstanceIdList: request.instanceIds.slice(),
          SourceAppList: request.apps.slice(),
          BackupFilePath: request.backupFilePath,
          UploadEndpoint: request.uploadEndpoint,
          BackupFileName: request.backupFileName,
          Description: request.description,
        },
        BackupAppResultSchema,
        true,
      );
    },

    async recoverApp(request) {
      const action = 'RecoverApp';
      checkMutatingIds(action, 'instance id', request.instanceIds);
      return invoke(
        action,
        {
          AndroidInstanceIdList: request.instanceIds.slice(),
          BackupFileId: request.backupFileId,
          BackupFilePath: request.backupFilePath,
          UploadType: 'OSS',
          UploadEndpoint: request.uploadEndpoint,
        },
        RecoverAppResultSchema,
        true,
      );
    },

    async describeTasks(query = {}) {
      const action = 'DescribeTasks';
      const base = { ParentTaskId: query.parentTaskId, InvokeId: query.invokeId, Level: query.level };
      const pick = (r: DescribeTasksResponse) => r.tasks;
      if (query.taskIds === undefined) return paginate(action, base, describeTasksParser, pick);
      const out: Task[] = [];
      for (const ids of chunk(query.taskIds, MAX_INSTANCES_PER_CALL)) {
        out.push(...(await paginate(action, { ...base, TaskIds: ids }, describeTasksParser, pick)));
      }
      return out;
    },

    async describeBackupFiles(query = {}) {
      const action = 'DescribeBackupFiles';
      checkLimit(action, 'statuses', query.statuses, MAX_INSTANCES_PER_CALL);
      if (query.maxPages !== undefined && (!Number.isInteger(query.maxPages) || query.maxPages < 1)) {
        throw new RangeError('maxPages must be a positive integer');
      }
      return paginate(
        action,
        {
          BackupFileId: query.backupFileId,
          AndroidInstanceId: query.instanceId,
          BackupFileName: query.backupFileName,
          Description: query.description,
          StatusList: query.statuses?.slice(),
        },
        DescribeBackupFilesResponse,
        (r) => r.backupFiles,
        query.maxPages,
      );
    },

    async deleteBackupFiles(backupFileIds) {
      const action = 'DeleteBackupFile';
      checkMutatingIds(action, 'backup file id', backupFileIds);
      return invoke(action, { BackupFileIdList: backupFileIds.slice() }, RequestIdResult, true);
    },

    runSyncCommand,

    async listInstalledPackages(instanceIds) {
      const outputs = await runSyncCommand({ instanceIds, command: 'pm list packages -3', waitTimeMs: 3000 });
      const result = new Map<string, string[]>();
      for (const output of outputs) {
        if (output.invocationStatus.toUpperCase() !== 'SUCCESS') continue;
        result.set(output.instanceId, parsePackageList(output.output));
      }
      return result;
    },

    async close() {
      if (closed) return;
      closed = true;
      await ownPool?.close();
    },
  };
  return api;
}

/** `package:com.example.app` lines from `pm list packages`, sorted and without duplicates. */
export function parsePackageList(output: string): string[] {
  const packages = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^\s*package:([A-Za-z0-9_.]+)\s*$/.exec(line);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
}
