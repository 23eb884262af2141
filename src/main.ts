/**
 * Composition root: config → database → cloud client → services → Slack app → engine. `startBot` is also the seam
 * tests and the demo use, with overrides for what they replace (clock, logger, cloud endpoint, Slack API URL).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { webApi } from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import {
  createCloudPhoneClient,
  createCredentialSource,
  MAX_INSTANCES_PER_CALL,
  resolveEndpoint,
} from './cloud-phone/index.js';
import { type Config, loadConfig, withEnvFile } from './config.js';
import type { BackupRequestRecord } from './db/backup-requests.js';
import { startCheckpointer } from './db/checkpointer.js';
import { createCommitBatcher } from './db/commit-batcher.js';
import { openDatabase } from './db/database.js';
import type { Repositories } from './db/index.js';
import { createRepositories } from './db/index.js';
import type { RestoreRecord } from './db/restore-requests.js';
import { ConfigError } from './errors.js';
import { addToLogContext, createLogger, type Logger } from './logger.js';
import { checkHealth, type HealthState, opsRoutes } from './ops/health.js';
import { instrumentNotifier, observeCloudCalls, withRequestIds } from './ops/instrument.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { startOpsServer } from './ops/server.js';
import { trackSlackRequests } from './ops/slack-requests.js';
import { type Simulator, type SimulatorOptions, startSimulator } from './sandbox/simulator/index.js';
import { createAuditTrail } from './services/access/audit.js';
import { createAccessGuard } from './services/access/guard.js';
import { createPeopleDirectory, type PeopleDirectory } from './services/access/people.js';
import {
  createAdminListPermissions,
  createPolicyPermissions,
  type PermissionService,
} from './services/access/permissions.js';
import { loadPolicyFile, unmatchableGlobWarnings } from './services/access/policy.js';
import { createUserGroupDirectory } from './services/access/user-groups.js';
import { createBackupService } from './services/backup/service.js';
import { createStartNowService } from './services/backup/start-now.js';
import { createBackupWorkflow, isBackupRunning } from './services/backup/workflow.js';
import { createCatalogService } from './services/catalog/service.js';
import { createDeleteService } from './services/delete/service.js';
import { createInstanceDirectory, type InstanceDirectory } from './services/fleet/instance-directory.js';
import { createInstanceSuggestions } from './services/fleet/instance-suggestions.js';
import type { Services } from './services/index.js';
import { createEngine } from './services/pipeline/engine.js';
import { type Clock, systemClock } from './services/pipeline/ports.js';
import { createPowerKeeper, type PowerKeeper } from './services/pipeline/power-keeper.js';
import { createTaskPoller } from './services/pipeline/task-poller.js';
import { createRestoreRunner } from './services/restore/runner.js';
import { createRestoreService } from './services/restore/service.js';
import { createRestoreWorkflow } from './services/restore/workflow.js';
import { createStatusService } from './services/status/service.js';
import { createAckPriority } from './slack/ack-priority.js';
import { createChannelWriter } from './slack/channel-writer.js';
import { fetchInstallation, type Installation } from './slack/installation.js';
import { createSlackNotifier } from './slack/notifier.js';
import { createRestoreNotifier } from './slack/restore-notifier.js';
import { createSlackApp } from './slack-app.js';

export interface BotOverrides {
  logger?: Logger;
  clock?: Clock;
  slackClientOptions?: WebClientOptions;
  /** Engine idle tick; tests use a few milliseconds. */
  idleTickMs?: number;
  /** Spacing of new messages per Slack conversation (default about one a second, as Slack allows). */
  slackPostIntervalMs?: number;
  /** Process-wide default metrics (off when several bots share one process, as in tests). */
  defaultMetrics?: boolean;
  /** With CLOUDPHONE_SIMULATOR on: options for the in-process simulator (the demo makes it quicker). */
  simulator?: Omit<SimulatorOptions, 'credentials'>;
}

export interface RunningBot {
  /** Slack's HTTP port (/slack/events) in HTTP mode; undefined in Socket Mode. */
  port: number | undefined;
  /** The port /healthz and /metrics listen on (OPS_PORT; 0 picks a free one, reported here). */
  opsPort: number;
  /**
   * Graceful stop: no new requests, listeners still running after their ack finish, the engine finishes the steps
   * and the poll in flight, then the database closes. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
  services: Services;
  repos: Repositories;
  metrics: Metrics;
  /** The in-process simulator when CLOUDPHONE_SIMULATOR is on. */
  simulator: Simulator | undefined;
}

/**
 * Backup requests advanced at once. More slots let more background work run while Slack waits for acks: 64 doubled
 * the ack times of `npm run bench` (p99 303 → 544 ms for slash commands). Requests still to announce, which may hold
 * a slot while their channel's spacing lets a message through, are taken last (see dueIds).
 */
const ENGINE_CONCURRENCY = 8;

/**
 * How long the instance picker waits for a first listing of the fleet before answering without it (Slack waits 3 s
 * for the answer; the listing goes on in the background and serves the next keystroke).
 */
const PICKER_LISTING_WAIT_MS = 2_000;

/**
 * How long a permission check waits for the cloud to say which instance groups the requested instances are in (for
 * `ag-…` rules) before denying with "try again": the check runs before Slack's 3-second ack.
 */
const GROUP_LOOKUP_WAIT_MS = 2_000;

/**
 * How long a permission check waits for Slack's user group lookups before denying with "try again": with the cloud's
 * instance groups (above) it must still leave Slack's 3-second ack in time.
 */
const GROUP_MEMBERSHIP_WAIT_MS = 1_200;

/** One attempt at a user group lookup over HTTP. */
const GROUP_CALL_TIMEOUT_MS = 1_000;

/** How long a stop waits for Slack listeners that are still running after their ack. */
const LISTENER_DRAIN_MS = 10_000;

export async function startBot(config: Config, overrides: BotOverrides = {}): Promise<RunningBot> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const clock = overrides.clock ?? systemClock;
  const db = openDatabase(config.databasePath);
  const repos = createRepositories(db);

  const cleanups: (() => Promise<void> | void)[] = [];
  const checkpointer = startCheckpointer(db, {
    onError: (message) => logger.warn({ error: message }, 'background WAL checkpoint failed; will try again'),
  });
  if (checkpointer) cleanups.push(() => checkpointer.stop());
  const idleTickMs = overrides.idleTickMs ?? Math.min(1_000, config.workflow.pollIntervalMs);
  let simulator: Simulator | undefined;
  let endpoint: string;
  let credentials = createCredentialSource(
    config.cloud.credentials.kind === 'static' ? config.cloud.credentials : undefined,
  );
  if (config.cloud.simulator) {
    // Try it in a real workspace without a cloud account: an in-process simulator with a throwaway key pair.
    const pair = {
      accessKeyId: `LTAIsim${randomBytes(6).toString('hex')}`,
      accessKeySecret: randomBytes(18).toString('hex'),
    };
    const sim = await startSimulator({ ...overrides.simulator, credentials: [pair] });
    simulator = sim;
    cleanups.push(() => sim.close());
    endpoint = sim.url;
    credentials = createCredentialSource(pair);
    logger.warn({ endpoint }, 'CLOUDPHONE_SIMULATOR is on: no real cloud phone is touched');
  } else {
    const resolved = resolveEndpoint({ region: config.cloud.region, endpointOverride: config.cloud.endpoint });
    if (resolved.warning) logger.warn(resolved.warning);
    endpoint = resolved.url.toString();
  }
  const metrics = createMetrics({
    defaultMetrics: overrides.defaultMetrics ?? true,
    taskCounts: () => repos.tasks.countByStatus(),
    phonesLeftStopped: () => repos.stoppedPhones.leftCount(),
  });
  const health: HealthState = { lastTickAt: undefined, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined };
  // Slack's answers before background work: the engine, cloud calls and Slack posts wait for pending acks.
  const ackPriority = createAckPriority();
  const cloud = createCloudPhoneClient({
    endpoint,
    credentials,
    timeoutMs: config.cloud.callTimeoutMs,
    onCall: observeCloudCalls({ metrics, health, clock, logger }),
    beforeAttempt: () => ackPriority.afterAcks(),
  });
  cleanups.push(() => cloud.close());
  const settings = { ...config.workflow, maxInstancesPerCall: MAX_INSTANCES_PER_CALL };
  const power = createPowerKeeper({
    repo: repos.stoppedPhones,
    cloud,
    clock,
    logger,
    settings: { ...settings, startTimeoutMs: config.workflow.stopTimeoutMs },
    isRequestActive: (requestId) => isBackupRunning(repos.requests, requestId),
  });

  const audit = createAuditTrail({ repo: repos.audit, clock });
  const routes = opsRoutes({
    health: () =>
      checkHealth({
        db,
        state: health,
        clock,
        maxTickAgeMs: Math.max(30_000, idleTickMs * 10),
        leftStopped: () => repos.stoppedPhones.left(),
      }),
    metrics,
  });
  // The Slack app is built before the permissions so the user-group directory can use its Web API client.
  const servicesRef: { current?: Services } = {};
  let installation: Installation | undefined;
  const app = createSlackApp(config, lazyServices(servicesRef), {
    logger,
    installation: () => installation,
    ...(overrides.slackClientOptions ? { clientOptions: overrides.slackClientOptions } : {}),
  });
  // Global middleware runs before every listener, whenever it is registered.
  const slackRequests = trackSlackRequests(app, { logger, metrics });
  const instanceDirectory = createInstanceDirectory({
    describe: (query) => cloud.describeInstances(query),
    ttlMs: config.access.instanceCacheMs,
    now: () => clock.now(),
    onError: (error) => logger.warn({ err: error }, 'listing the cloud phone instances failed; will ask again'),
  });
  const permissions = buildPermissions(config, { instances: instanceDirectory, clock, logger });
  const guard = createAccessGuard({ permissions, audit });
  const engineRef: { kick(): void } = { kick: () => engine.kick() };
  const backupService = createBackupService({
    repos,
    commits: createCommitBatcher(db),
    guard,
    audit,
    engine: engineRef,
    clock,
    simulated: config.cloud.simulator,
  });
  const backups: typeof backupService = {
    ...backupService,
    async submit(input) {
      const result = await backupService.submit(input);
      // From here on the Slack request's log lines also carry the bot's request id, linking the two.
      addToLogContext({ requestId: result.requestId });
      logger.info(
        { requestId: result.requestId, created: result.created, instances: input.spec.instanceIds.length },
        result.created ? 'backup request recorded' : 'backup request already recorded (repeated submission)',
      );
      return result;
    },
  };
  const runnerRef: { kick(): void } = { kick: () => restoreRunner.kick() };
  const catalog = createCatalogService({ repos, guard, audit, cloud });
  const restores = createRestoreService({
    repos,
    guard,
    audit,
    catalog,
    cloud,
    runner: runnerRef,
    clock,
    simulated: config.cloud.simulator,
  });
  const deletions = createDeleteService({
    repos,
    guard,
    audit,
    catalog,
    cloud,
    clock,
    // A person waits for a deletion: at most a minute of retries, however long the background flows retry.
    retry: {
      retryWindowMs: Math.min(config.workflow.transientRetryMs, 60_000),
      backoffMs: config.workflow.pollIntervalMs,
      maxBackoffMs: Math.min(config.workflow.maxPollIntervalMs, 10_000),
    },
  });
  const status = createStatusService({ repos, guard, audit, cloud });
  const instanceSuggestions = createInstanceSuggestions({
    directory: instanceDirectory,
    waitMs: PICKER_LISTING_WAIT_MS,
    async scopeOf(actor, channelId) {
      const scope = await permissions.scope(actor, 'backup', channelId);
      return { unrestricted: scope.unrestricted, patterns: scope.instancePatterns };
    },
  });
  servicesRef.current = {
    backups,
    power: createStartNowService({ guard, audit, power }),
    restores,
    catalog,
    status,
    deletions,
    guard,
    audit,
    people: slackPeopleDirectory(app.client, clock),
    simulated: config.cloud.simulator,
    afterAcks: ackPriority.afterAcks,
    suggestInstances: (actor, channelId, query, limit) => instanceSuggestions.suggest(actor, channelId, query, limit),
    // A failed listing is logged by the directory.
    warmInstanceList: () => void instanceDirectory.list({ waitMs: 0 }).catch(() => undefined),
    async modalDefaults(actor, channelId) {
      const fallback = {
        uploadEndpoint: config.backup.defaultUploadEndpoint,
        backupPath: config.backup.defaultBackupPath ?? '',
      };
      const scope = await permissions.scope(actor, 'backup', channelId);
      return {
        uploadEndpoint: scope.defaultEndpoint ?? fallback.uploadEndpoint,
        backupPath: scope.defaultBackupPath ?? fallback.backupPath,
      };
    },
  };
  // One writer for backup and restore messages alike, so both share each channel's spacing.
  const slackWriter = createChannelWriter({
    client: app.client,
    logger,
    afterAcks: ackPriority.afterAcks,
    ...(overrides.slackPostIntervalMs !== undefined ? { postIntervalMs: overrides.slackPostIntervalMs } : {}),
  });
  const slackNotifier = createSlackNotifier({ client: app.client, writer: slackWriter, logger });
  const notifier = instrumentNotifier(slackNotifier, {
    metrics,
    clock,
    lastTaskFinishedAt: (requestId) => repos.tasks.lastFinishedAt(requestId),
  });
  const workflow = withRequestIds(
    createBackupWorkflow({
      repos,
      cloud,
      notifier,
      clock,
      settings,
      logger,
      power,
      onFinished: (request) => {
        metrics.requests.inc({ action: 'backup', outcome: request.status });
        audit.recordOutcome(request.id, auditOutcome(request));
        logger.info({ requestId: request.id, status: request.status }, 'backup request finished');
      },
    }),
  );
  const poller = createTaskPoller({ repos, cloud, clock, settings, logger });
  const engine = createEngine({
    repos,
    workflow,
    poller,
    notifier,
    clock,
    logger,
    settings: { idleTickMs, progressUpdateMs: config.workflow.progressUpdateMs, concurrency: ENGINE_CONCURRENCY },
    afterAcks: ackPriority.afterAcks,
    onTick: ({ at }) => {
      health.lastTickAt = at;
    },
  });

  // Restores run in a loop of their own beside the backup engine (see src/services/restore/runner.ts).
  const restoreNotifier = createRestoreNotifier({ client: app.client, writer: slackWriter });
  const restoreWorkflow = createRestoreWorkflow({
    repos,
    cloud,
    notifier: restoreNotifier,
    clock,
    logger,
    settings: {
      pollIntervalMs: config.workflow.pollIntervalMs,
      maxPollIntervalMs: config.workflow.maxPollIntervalMs,
      startTimeoutMs: config.workflow.stopTimeoutMs,
      taskTimeoutMs: config.workflow.taskTimeoutMs,
      maxInstancesPerCall: MAX_INSTANCES_PER_CALL,
      transientRetryMs: config.workflow.transientRetryMs,
    },
    onFinished: (request) => {
      metrics.requests.inc({ action: 'restore', outcome: request.status });
      audit.recordOutcome(request.id, restoreAuditOutcome(request));
    },
  });
  const restoreRunner = createRestoreRunner({
    repos,
    workflow: restoreWorkflow,
    cloud,
    notifier: restoreNotifier,
    clock,
    logger,
    settings: {
      idleTickMs,
      pollIntervalMs: config.workflow.pollIntervalMs,
      maxPollIntervalMs: config.workflow.maxPollIntervalMs,
      concurrency: 4,
    },
    onTick: () => deletions.reconcileStale(),
    afterAcks: ackPriority.afterAcks,
  });

  let port: number | undefined;
  let opsPort = config.ops.port;
  let httpServer: Server | undefined;
  try {
    // Retried with back-off while Slack is unreachable; the log shows what start-up is waiting for.
    logger.info({ slackApi: config.slack.apiUrl ?? 'https://slack.com/api/' }, 'checking the bot token with Slack');
    await app.init();
    installation = await fetchInstallation(app.client);
    if (installation.appId === undefined) {
      logger.warn(
        { teamId: installation.teamId },
        'Slack did not say which app the token belongs to; checking the workspace only',
      );
    }
    logger.info(
      { teamId: installation.teamId, appId: installation.appId, enterpriseId: installation.enterpriseId },
      'serving only this workspace and app',
    );
    // Health and metrics on a server of their own (loopback by default), never beside /slack/events.
    const opsServer = await startOpsServer(routes, config.ops).catch((error: unknown) => {
      throw opsListenError(error, config);
    });
    cleanups.push(() => new Promise<void>((resolve) => opsServer.close(() => resolve())));
    opsPort = boundPort(opsServer, config.ops.port);
    if (config.slack.mode === 'http') {
      httpServer = (await app.start({ port: config.slack.port, host: config.slack.host })) as Server;
      ackPriority.watch(httpServer);
      port = boundPort(httpServer, config.slack.port);
    } else {
      await app.start();
    }
  } catch (error) {
    // Leave nothing running behind a failed start (the simulator, the cloud client's pool, the database).
    if (httpServer) await app.stop().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    db.close();
    throw error;
  }
  // Phones the bot stopped and has not seen running again (a restart in between, a backup that ended) get a fresh
  // try now, before the requests resume, and are looked after from then on.
  const powerSweep = startPowerSweep(power, {
    intervalMs: Math.max(idleTickMs, config.workflow.pollIntervalMs),
    logger,
  });
  engine.start();
  restoreRunner.start();
  logger.info({ mode: config.slack.mode, port, opsPort }, 'cloud phone bot started');

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    logger.info({ inFlight: slackRequests.inFlight() }, 'stopping: no new requests from Slack');
    // HTTP: the server stops accepting connections and answers the requests it has; Socket Mode: disconnects.
    const closed = app.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping the Slack app failed'));
    // Listeners may still work after their ack (opening a modal, say); they need the database, so wait for them.
    if (!(await slackRequests.idle(LISTENER_DRAIN_MS))) {
      logger.warn({ inFlight: slackRequests.inFlight() }, 'Slack listeners still running; stopping anyway');
    }
    // Keep-alive connections that went idle after close() started would hold it open.
    httpServer?.closeIdleConnections();
    await closed;
    await engine.stop();
    await restoreRunner.stop();
    await powerSweep.stop();
    for (const cleanup of cleanups.reverse()) await cleanup();
    db.close();
    logger.info('cloud phone bot stopped');
  }
  return {
    port,
    opsPort,
    services: servicesRef.current,
    repos,
    metrics,
    simulator,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** Runs the power keeper's start-up pass, then a sweep every `intervalMs` (never two at once). */
function startPowerSweep(power: PowerKeeper, options: { intervalMs: number; logger: Logger }) {
  const { logger } = options;
  let running: Promise<void> | undefined = power
    .resume()
    .catch((error: unknown) => logger.error({ err: error }, 'starting the phones the bot left stopped failed'))
    .finally(() => {
      running = undefined;
    });
  const timer = setInterval(() => {
    if (running) return;
    running = power
      .sweep()
      .catch((error: unknown) => logger.warn({ err: error }, 'looking after the phones the bot stopped failed'))
      .finally(() => {
        running = undefined;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

function boundPort(server: Server, configured: number): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : configured;
}

/** The ops server's listen error, naming OPS_PORT/OPS_HOST rather than PORT. */
function opsListenError(error: unknown, config: Config): Error {
  const code = (error as { code?: unknown } | undefined)?.code;
  const where = `OPS_PORT ${config.ops.port} on OPS_HOST ${config.ops.host}`;
  if (code === 'EADDRINUSE') return new Error(`${where} is already in use; stop the other process or set OPS_PORT`);
  if (code === 'EACCES') return new Error(`not allowed to listen on ${where}; use a port above 1023 or set OPS_PORT`);
  return error instanceof Error ? error : new Error(String(error));
}

/** Policy file when configured (a bad file stops start-up with ConfigError), else the admin list. */
function buildPermissions(
  config: Config,
  deps: { instances: InstanceDirectory; clock: Clock; logger: Logger },
): PermissionService {
  const { instances, clock, logger } = deps;
  if (!config.access.policyPath) return createAdminListPermissions(config.access.admins);
  const client = userGroupClient(config);
  const policy = loadPolicyFile(config.access.policyPath);
  for (const warning of unmatchableGlobWarnings(policy)) {
    logger.warn({ policy: config.access.policyPath }, `access policy: ${warning}`);
  }
  const userGroups = createUserGroupDirectory({
    ttlMs: config.access.userGroupCacheMs,
    now: () => clock.now(),
    listMembers: async (usergroup) => (await client.usergroups.users.list({ usergroup })).users ?? [],
    resolveHandle: async (handle) =>
      (await client.usergroups.list({})).usergroups?.find((group) => group.handle?.toLowerCase() === handle)?.id,
    onError: (error, group) => logger.warn({ err: error, group }, 'user group lookup failed; denying for now'),
    deadlineMs: GROUP_MEMBERSHIP_WAIT_MS,
  });
  return createPolicyPermissions({
    policy,
    extraAdmins: config.access.admins,
    userGroups,
    instanceGroups: (ids) => instances.groupsOf(ids, { waitMs: GROUP_LOOKUP_WAIT_MS }),
  });
}

/**
 * A Web API client for user group lookups only. The app's client retries and waits out rate limits (right for
 * messages, which may arrive late); a lookup runs before an ack and is useless after it, so it gets one short try and
 * a rate-limited call fails at once (the check then denies, saying to try again).
 */
function userGroupClient(config: Config): WebClient {
  return new webApi.WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: GROUP_CALL_TIMEOUT_MS,
    logLevel: webApi.LogLevel.ERROR,
  });
}

/** How long Slack's member list is trusted for handle lookups. */
const PEOPLE_CACHE_MS = 10 * 60_000;

/** Handles resolved through `users.list` (scope users:read), 200 people a page. */
function slackPeopleDirectory(client: WebClient, clock: Clock): PeopleDirectory {
  return createPeopleDirectory({
    ttlMs: PEOPLE_CACHE_MS,
    now: () => clock.now(),
    async listPage(cursor) {
      const page = await client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
      return {
        people: (page.members ?? []).flatMap((member) =>
          member.id
            ? [
                {
                  id: member.id,
                  name: member.name,
                  displayName: member.profile?.display_name,
                  realName: member.real_name ?? member.profile?.real_name,
                  deleted: member.deleted,
                  isBot: member.is_bot,
                },
              ]
            : [],
        ),
        nextCursor: page.response_metadata?.next_cursor,
      };
    },
  });
}

/** Listeners are registered before the services exist (the services need the app's Web API client). */
function lazyServices(ref: { current?: Services }): Services {
  const get = (): Services => {
    if (!ref.current) throw new Error('services used before start-up finished');
    return ref.current;
  };
  return {
    get backups() {
      return get().backups;
    },
    get power() {
      return get().power;
    },
    get restores() {
      return get().restores;
    },
    get catalog() {
      return get().catalog;
    },
    get status() {
      return get().status;
    },
    get deletions() {
      return get().deletions;
    },
    get guard() {
      return get().guard;
    },
    get audit() {
      return get().audit;
    },
    get people() {
      return get().people;
    },
    get simulated() {
      return get().simulated;
    },
    modalDefaults: (actor, channelId) => get().modalDefaults(actor, channelId),
    suggestInstances: (actor, channelId, query, limit) => get().suggestInstances(actor, channelId, query, limit),
    warmInstanceList: () => get().warmInstanceList(),
    afterAcks: () => get().afterAcks(),
  };
}

function auditOutcome(request: BackupRequestRecord) {
  return {
    status: request.status,
    taskIds: request.instances.flatMap((i) => (i.taskId ? [i.taskId] : [])),
    backupFileIds: request.instances.flatMap((i) => (i.backupFileId ? [i.backupFileId] : [])),
    errors: request.instances.flatMap((i) =>
      i.errorCode
        ? [{ instanceId: i.instanceId, code: i.errorCode, message: i.errorMessage ?? '', requestId: i.requestId }]
        : [],
    ),
  };
}

/** One line for a start-up failure an operator can act on, naming the setting to change where there is one. */
export function describeStartupError(error: unknown, config: Config): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const slackError = (error as { data?: { error?: unknown } } | undefined)?.data?.error;
  if (code === 'EADDRINUSE') {
    return `Could not start: PORT ${config.slack.port} on HOST ${config.slack.host} is already in use; stop the other process or set PORT`;
  }
  if (code === 'EACCES') {
    return `Could not start: not allowed to listen on PORT ${config.slack.port}; use a port above 1023 or set PORT`;
  }
  if (typeof slackError === 'string' && /auth|token|account_inactive/.test(slackError)) {
    return `Could not start: Slack refused SLACK_BOT_TOKEN (${slackError}); copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions again`;
  }
  return `Could not start: ${error instanceof Error ? error.message : String(error)}`;
}

/** `npm start`: settings from the environment over `.env`, then run until SIGTERM or SIGINT. */
function restoreAuditOutcome(request: RestoreRecord) {
  return {
    status: request.status,
    backupFileIds: [request.backup.backupFileId],
    taskIds: request.targets.flatMap((t) => (t.taskId ? [t.taskId] : [])),
    restored: request.targets.filter((t) => t.state === 'succeeded').map((t) => t.instanceId),
    startedFirst: request.targets.filter((t) => t.startedByBot).map((t) => t.instanceId),
    errors: request.targets.flatMap((t) =>
      (t.state === 'failed' || t.state === 'skipped') && t.errorCode
        ? [{ instanceId: t.instanceId, code: t.errorCode, message: t.errorMessage ?? '', requestId: t.requestId }]
        : [],
    ),
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(withEnvFile(process.env).env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        `${error.message}\nSettings come from the environment and an optional .env file; README "Settings" lists each one.\n`,
      );
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    process.exit(1);
  });
  let bot: RunningBot;
  try {
    bot = await startBot(config, { logger });
  } catch (error) {
    // A bad policy file is a ConfigError too: the same one message, the same exit code.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'start-up failed');
    process.stderr.write(`${describeStartupError(error, config)}\n`);
    process.exit(1);
  }
  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'already stopping; send SIGKILL to stop at once');
      return;
    }
    shuttingDown = true;
    logger.info({ signal }, 'signal received; stopping gracefully');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'graceful stop took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
