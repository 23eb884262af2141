/**
 * Composition root: config → database → cloud client → Slack Web API client → services → Slack app → runner and
 * task poller. Wiring only; what each part does lives in its module. `startBot` is also the seam tests and the demo
 * use, with overrides for what they replace (clock, logger, cloud endpoint, Slack API URL).
 */
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { WebClientOptions } from '@slack/web-api';
import type { RateLimiter } from './cloud-phone/index.js';
import { MAX_INSTANCES_PER_CALL } from './cloud-phone/index.js';
import { type Config, loadConfig, withEnvFile } from './config.js';
import { startCheckpointer } from './db/checkpointer.js';
import { createCommitBatcher } from './db/commit-batcher.js';
import { openDatabase } from './db/database.js';
import type { Repositories } from './db/index.js';
import { createRepositories } from './db/index.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { checkHealth, type HealthState, opsRoutes } from './ops/health.js';
import { instrumentNotifier, withRequestIds } from './ops/instrument.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { oldestOpenRequestAt } from './ops/open-requests.js';
import { backupFinished, restoreFinished, withSubmissionLog } from './ops/request-outcomes.js';
import { startOpsServer } from './ops/server.js';
import { countSlackApiErrors } from './ops/slack-api-errors.js';
import { trackSlackRequests } from './ops/slack-requests.js';
import type { Simulator } from './sandbox/simulator/index.js';
import { answerWaitMs } from './services/access/answer-deadline.js';
import { createAuditTrail } from './services/access/audit.js';
import { createAccessGuard } from './services/access/guard.js';
import { createApprovalService } from './services/approval/service.js';
import { createApprovalStep } from './services/approval/step.js';
import { createBackupFormDefaults } from './services/backup/form-defaults.js';
import { createKnownInstances } from './services/backup/known-instances.js';
import { createBackupService } from './services/backup/service.js';
import { createStartNowService } from './services/backup/start-now.js';
import { backupCancelTerms, backupSteps } from './services/backup/steps.js';
import { createUploadRegions } from './services/backup/upload-region.js';
import { createBackupWorkflow, isBackupRunning } from './services/backup/workflow.js';
import { createCatalogService } from './services/catalog/service.js';
import { createDeleteService } from './services/delete/service.js';
import { deleteApprovalSubject, deleteCancelTerms, deleteNotApproved, deleteSteps } from './services/delete/steps.js';
import { createInstanceDirectory } from './services/fleet/instance-directory.js';
import { createInstanceSuggestions } from './services/fleet/instance-suggestions.js';
import { createHomeService } from './services/home/service.js';
import type { Services } from './services/index.js';
import { createCanceller } from './services/pipeline/cancel.js';
import { type Clock, systemClock } from './services/pipeline/ports.js';
import { createPowerKeeper } from './services/pipeline/power-keeper.js';
import { createRunner, type KindMap } from './services/pipeline/runner.js';
import { createTaskPoller } from './services/pipeline/task-poller.js';
import { createRestoreService } from './services/restore/service.js';
import { restoreApprovalSubject, restoreCancelTerms, restoreSteps } from './services/restore/steps.js';
import { createRestoreTargets } from './services/restore/targets.js';
import { createRestoreWorkflow } from './services/restore/workflow.js';
import {
  createScheduleApprovalGate,
  scheduleApprovalSteps,
  scheduleApprovalSubject,
  scheduleNotApproved,
} from './services/schedules/approval.js';
import { scheduleRunCancelTerms, scheduleRunSteps, wakeRunOf } from './services/schedules/run-steps.js';
import { createScheduleRuns } from './services/schedules/runs.js';
import { createScheduleService } from './services/schedules/service.js';
import { createStatusService } from './services/status/service.js';
import { createAckPriority } from './slack/ack-priority.js';
import { createApprovalNotifier } from './slack/approval-notifier.js';
import { createChannelWriter } from './slack/channel-writer.js';
import { createDeleteNotifier } from './slack/delete-notifier.js';
import type { Installation } from './slack/installation.js';
import { createSlackNotifier } from './slack/notifier.js';
import { createSlackPeopleDirectory } from './slack/people-directory.js';
import { createRestoreNotifier } from './slack/restore-notifier.js';
import { createScheduleApprovalNotifier } from './slack/schedule-approval-notifier.js';
import { createScheduleRunNotifier } from './slack/schedule-run-notifier.js';
import { createSlackWebClient } from './slack/web-client.js';
import { createSlackApp } from './slack-app.js';
import { connectCloud, createCloudLimiter, type SimulatorOverrides } from './startup/cloud.js';
import { boundPort, describeStartupError, opsListenError } from './startup/errors.js';
import { buildAccess } from './startup/permissions.js';
import { checkSlackToken, SlackUnreachableError, slackStartDeadline } from './startup/slack.js';
import { logStartSummary } from './startup/summary.js';

export { describeStartupError, SlackUnreachableError };

export interface BotOverrides extends SimulatorOverrides {
  logger?: Logger;
  clock?: Clock;
  slackClientOptions?: WebClientOptions;
  /** Engine idle tick; tests use a few milliseconds. */
  idleTickMs?: number;
  /** Spacing of new messages per Slack conversation (default about one a second, as Slack allows). */
  slackPostIntervalMs?: number;
  /** Process-wide default metrics (off when several bots share one process, as in tests). */
  defaultMetrics?: boolean;
  /** How long start-up waits for Slack to answer the token check (default SLACK_START_TIMEOUT_MS, 25 s). */
  slackStartTimeoutMs?: number;
}

export interface RunningBot {
  /** Slack's HTTP port (/slack/events) in HTTP mode; undefined in Socket Mode. */
  port: number | undefined;
  /** The port /healthz and /metrics listen on (OPS_PORT; 0 picks a free one, reported here). */
  opsPort: number;
  /**
   * Graceful stop: no new requests, listeners still running after their ack finish, the runner finishes the steps
   * and the poll in flight, then the database closes. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
  services: Services;
  repos: Repositories;
  metrics: Metrics;
  /** The in-process simulator when CLOUDPHONE_SIMULATOR is on (the home region's). */
  simulator: Simulator | undefined;
  /** Every region's simulator when CLOUDPHONE_SIMULATOR is on, by region. */
  simulators: ReadonlyMap<string, Simulator>;
  /** The one gate of every cloud call: its allowed rate, throttled answers and peak rate (`stats()`). */
  cloudLimiter: RateLimiter;
}

/**
 * Backup requests advanced at once. More slots let more background work run while Slack waits for acks: 64 doubled
 * the ack times of `npm run bench` (p99 303 → 544 ms for slash commands). Requests still to announce, which may hold
 * a slot while their channel's spacing lets a message through, are taken last (see dueIds).
 */
const RUNNER_CONCURRENCY = 8;

/**
 * How long the instance picker waits for a first listing of the fleet before answering without it (Slack waits 3 s
 * for the answer; the listing goes on in the background and serves the next keystroke).
 */
const PICKER_LISTING_WAIT_MS = 2_000;
/**
 * How long a backup waits before its ack for the cloud to say which region its instances are in (several
 * CLOUDPHONE_REGIONS only), or whether ids missing from the fleet listing exist (a phone created since it); a listing
 * younger than CLOUDPHONE_INSTANCE_CACHE_MS answers at once.
 */
const REGION_LOOKUP_WAIT_MS = 1_500;

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
  const cloudLimiter = createCloudLimiter(config);
  const metrics = createMetrics({
    defaultMetrics: overrides.defaultMetrics ?? true,
    cloudCallsAllowedPerSecond: () => cloudLimiter.allowedPerSecond(),
    taskCounts: () => repos.tasks.countByStatus(),
    phonesLeftStopped: () => repos.stoppedPhones.leftCount(),
    oldestOpenRequestAt: oldestOpenRequestAt(db),
    now: () => clock.now(),
  });
  const health: HealthState = { lastTickAt: undefined, lastCloudSuccessAt: undefined, lastCloudErrorCode: undefined };
  // Slack's answers before background work: the runner, cloud calls and Slack posts wait for pending acks.
  const ackPriority = createAckPriority();
  const connection = await connectCloud(config, {
    overrides,
    logger,
    metrics,
    health,
    clock,
    afterAcks: ackPriority.afterAcks,
    limiter: cloudLimiter,
  }).catch(async (error: unknown) => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    db.close();
    throw error;
  });
  const { cloud } = connection;
  cleanups.push(() => connection.close());
  const slack = createSlackWebClient(config, { logger, clientOptions: overrides.slackClientOptions });
  const settings = { ...config.workflow, maxInstancesPerCall: MAX_INSTANCES_PER_CALL };
  // Owes a start to every phone the bot stopped; the runner sweeps it every poll round (below).
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
  const instanceDirectory = createInstanceDirectory({
    describe: (query) => cloud.describeInstances(query),
    ttlMs: config.access.instanceCacheMs,
    now: () => clock.now(),
    onError: (error) => logger.warn({ err: error }, 'listing the cloud phone instances failed; will ask again'),
  });
  const access = buildAccess(config, { instances: instanceDirectory, clock, logger });
  const { permissions } = access;
  const guard = createAccessGuard({ permissions, audit });
  // The services hand confirmed requests to the runner, made below from the services' step maps.
  const runnerRef: { kick(): void } = { kick: () => runner.kick() };
  const simulated = config.cloud.simulator;
  const catalog = createCatalogService({ repos, guard, audit, cloud });
  const formDefaults = createBackupFormDefaults({
    permissions,
    fallback: {
      uploadEndpoint: config.backup.defaultUploadEndpoint,
      backupPath: config.backup.defaultBackupPath ?? '',
    },
  });
  const instanceSuggestions = createInstanceSuggestions({
    directory: instanceDirectory,
    waitMs: PICKER_LISTING_WAIT_MS,
    scopeOf: formDefaults.scopeOf,
  });
  const approvals = createApprovalService({
    repos,
    policy: access.policy,
    userGroups: access.userGroups,
    instanceGroups: access.instanceGroups,
    guard,
    audit,
    clock,
    runner: runnerRef,
  });
  // Scheduled runs: slots taken in the runner's sweep, runs advanced by the runner like any request (kinds below).
  const scheduleRuns = createScheduleRuns({
    repos,
    clock,
    logger,
    settings: { ...config.schedules, simulated },
    runner: runnerRef,
    permissions,
    audit,
  });
  /** A scheduled run's child backups and retention deletion post nothing of their own: the run reports them. */
  const isRunChild = (id: string) => repos.scheduleRuns.runOfChild(id) !== undefined;
  const schedules = createScheduleService({
    repo: repos.schedules,
    guard,
    audit,
    clock,
    listInstances: (waitMs) => instanceDirectory.list({ waitMs }),
    runResult: (runId) => repos.requests.row(runId)?.status,
    // A schedule with retention on instances a `schedule` approvals rule covers waits for its approval.
    approvals: createScheduleApprovalGate({ repos, approvals, clock, runner: runnerRef, simulated }),
  });
  /**
   * Which typed ids the cloud has no instance for, asked only with the answer's time left (a form that already waited
   * for a name's listing has less): with none left the form says nothing and the request reports an unknown id later.
   */
  const unknownInTime = (ids: readonly string[]) => {
    const waitMs = answerWaitMs(REGION_LOOKUP_WAIT_MS);
    return waitMs > 0 ? instanceDirectory.unknownOf(ids, { waitMs }) : Promise.resolve(undefined);
  };
  const services: Services = {
    scheduleRuns,
    backups: withSubmissionLog(
      createBackupService({
        repos,
        commits: createCommitBatcher(db),
        guard,
        audit,
        runner: runnerRef,
        clock,
        simulated,
        maxOpenPerPerson: config.access.maxOpenRequestsPerPerson,
      }),
      logger,
    ),
    restores: createRestoreService({
      repos,
      guard,
      audit,
      catalog,
      cloud,
      runner: runnerRef,
      clock,
      simulated,
      approvals,
      maxOpenPerPerson: config.access.maxOpenRequestsPerPerson,
    }),
    power: createStartNowService({ guard, audit, power }),
    cancels: createCanceller({
      repos,
      guard,
      audit,
      runner: runnerRef,
      clock,
      terms: {
        backup: backupCancelTerms(repos),
        restore: restoreCancelTerms(repos),
        delete: deleteCancelTerms(repos),
        'schedule-run': scheduleRunCancelTerms(repos),
      },
    }),
    schedules,
    catalog,
    status: createStatusService({ repos, guard, audit, cloud }),
    home: createHomeService({
      queries: repos.home,
      deletedFileIds: () => repos.deletions.deletedFileIds(),
      instancesInScope: (actor, channelId) => instanceSuggestions.inScope(actor, channelId),
      clock,
      staleAfterDays: config.home.staleBackupDays,
      schedulesOf: async (actor) => schedules.owned(actor),
    }),
    deletions: createDeleteService({
      repos,
      guard,
      audit,
      catalog,
      runner: runnerRef,
      clock,
      simulated,
      approvals,
    }),
    guard,
    approvals,
    audit,
    people: createSlackPeopleDirectory(slack, clock),
    simulated,
    afterAcks: ackPriority.afterAcks,
    suggestInstances: (actor, channelId, query, limit, action) =>
      instanceSuggestions.suggest(actor, channelId, query, limit, action),
    // A failed listing is logged by the directory.
    warmInstanceList: () => void instanceDirectory.list({ waitMs: 0 }).catch(() => undefined),
    modalDefaults: formDefaults.modalDefaults,
    uploadRegions: createUploadRegions({
      enabled: config.cloud.regions.length > 1,
      regionsOf: (ids) => instanceDirectory.phoneRegionsOf(ids, { waitMs: REGION_LOOKUP_WAIT_MS }),
    }),
    knownInstances: createKnownInstances({
      unknownOf: unknownInTime,
    }),
    restoreTargets: createRestoreTargets({
      inScope: (actor, channelId) => instanceSuggestions.inScope(actor, channelId, 'restore'),
      unknownOf: unknownInTime,
    }),
  };

  // One writer for backup, restore and delete messages alike, so they share each channel's spacing.
  const slackWriter = createChannelWriter({
    client: slack,
    logger,
    afterAcks: ackPriority.afterAcks,
    ...(overrides.slackPostIntervalMs !== undefined ? { postIntervalMs: overrides.slackPostIntervalMs } : {}),
  });
  const notifier = instrumentNotifier(createSlackNotifier({ client: slack, writer: slackWriter, logger }), {
    metrics,
    clock,
    lastTaskFinishedAt: (requestId) => repos.tasks.lastFinishedAt(requestId),
  });
  const outcomeDeps = { metrics, audit, logger };
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
        backupFinished(outcomeDeps)(request);
        // A scheduled run fills the wave slots its child backup freed at once.
        wakeRunOf(repos, clock, request.id);
      },
    }),
  );
  const restoreNotifier = createRestoreNotifier({ client: slack, writer: slackWriter });
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
      verifySizeTolerance: config.workflow.verifySizeTolerance,
    },
    onFinished: restoreFinished(outcomeDeps),
  });
  const approvalNotifier = createApprovalNotifier({ writer: slackWriter });
  /** The one approval step, as each kind that can wait for approval uses it. */
  const approvalStep = (
    kind: Pick<Parameters<typeof createApprovalStep>[0], 'subject' | 'next' | 'end' | 'resumeStatus'>,
  ) =>
    createApprovalStep({
      repos,
      notifier: approvalNotifier,
      clock,
      logger,
      retryMs: config.workflow.pollIntervalMs,
      ...kind,
    });
  const kinds: KindMap = {
    backup: backupSteps({
      repos,
      workflow,
      notifier,
      progressUpdateMs: config.workflow.progressUpdateMs,
      quiet: isRunChild,
    }),
    restore: restoreSteps({
      repos,
      workflow: restoreWorkflow,
      notifier: restoreNotifier,
      approval: approvalStep({
        subject: (id) => restoreApprovalSubject(repos, id),
        next: restoreWorkflow.firstChange,
        resumeStatus: 'running',
        end: restoreWorkflow.notApproved,
      }),
    }),
    delete: deleteSteps({
      repos,
      cloud,
      catalog,
      audit,
      notifier: createDeleteNotifier({ writer: slackWriter }),
      clock,
      // A person waits for a deletion's result: at most a minute of retries, however long the other flows retry.
      retry: {
        retryWindowMs: Math.min(config.workflow.transientRetryMs, 60_000),
        backoffMs: config.workflow.pollIntervalMs,
        maxBackoffMs: Math.min(config.workflow.maxPollIntervalMs, 10_000),
      },
      approval: approvalStep({
        subject: (id) => deleteApprovalSubject(repos, id),
        next: () => 'send',
        resumeStatus: 'sent',
        end: deleteNotApproved({ repos, audit, clock }),
      }),
      quiet: isRunChild,
    }),
    'schedule-run': scheduleRunSteps({
      repos,
      guard,
      audit,
      listFleet: () => cloud.describeInstances({}),
      notifier: createScheduleRunNotifier({ client: slack, writer: slackWriter, logger }),
      clock,
      logger,
      settings: {
        ...config.workflow,
        defaultUploadEndpoint: config.backup.defaultUploadEndpoint,
        maxInstancesPerCall: MAX_INSTANCES_PER_CALL,
      },
    }),
    'schedule-approval': scheduleApprovalSteps({
      repos,
      audit,
      clock,
      notifier: createScheduleApprovalNotifier({ writer: slackWriter }),
      approval: approvalStep({
        subject: (id) => scheduleApprovalSubject(repos, id),
        next: () => 'activate',
        resumeStatus: 'approved',
        end: scheduleNotApproved({ repos, audit, clock }),
      }),
    }),
  };
  const poller = createTaskPoller({
    repos,
    cloud,
    clock,
    settings,
    logger,
    taskEnded: (task, outcome) => kinds[task.kind].taskEnded?.(task.requestId, task.instanceId, outcome),
  });
  const runner = createRunner({
    repos,
    kinds,
    poller,
    clock,
    logger,
    settings: { idleTickMs, concurrency: RUNNER_CONCURRENCY },
    afterAcks: ackPriority.afterAcks,
    // Each poll round: take the schedules' due slots (recording their runs), then start phones requests left stopped.
    sweep: () => {
      scheduleRuns.takeDueSlots();
      return power.sweep();
    },
    onTick: ({ at }) => {
      health.lastTickAt = at;
    },
  });

  // The team and app the bot is installed as: known once start-up has asked Slack (below).
  let installation: Installation | undefined;
  const app = createSlackApp(config, services, {
    logger,
    installation: () => installation,
    ...(overrides.slackClientOptions ? { clientOptions: overrides.slackClientOptions } : {}),
  });
  // Global middleware runs before every listener, whenever it is registered.
  const slackRequests = trackSlackRequests(app, { logger, metrics });
  countSlackApiErrors(app, metrics, [slack]);

  // How the bot runs, and what will surprise an admin, before Slack is asked anything.
  logStartSummary(config, logger);

  let port: number | undefined;
  let opsPort = config.ops.port;
  let httpServer: Server | undefined;
  try {
    // Retried with back-off while Slack is unreachable, for a bounded time; the log shows what start-up waits for.
    const slackApi = config.slack.apiUrl ?? 'https://slack.com/api/';
    logger.info({ slackApi }, 'checking the bot token with Slack');
    const withinStart = slackStartDeadline({ apiUrl: slackApi, timeoutMs: overrides.slackStartTimeoutMs });
    installation = await checkSlackToken(app, slack, withinStart);
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
      // Socket Mode connects through apps.connections.open and a WebSocket, retried by Bolt while they fail: the
      // same start-up bound applies, so an unreachable socket also ends in one "Could not start" line.
      await withinStart(app.start());
    }
  } catch (error) {
    // Leave nothing running behind a failed start (the simulator, the cloud client's pool, the database).
    if (httpServer) await app.stop().catch(() => undefined);
    // A Socket Mode connection still being retried is told to stop; not awaited, as it may be mid-attempt.
    else if (config.slack.mode === 'socket') void app.stop().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    db.close();
    throw error;
  }
  // Phones the bot stopped and has not seen running again (a restart in between, a backup that ended) get a fresh
  // try; the runner's first poll round starts them.
  power.resume();
  runner.start();
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
    await runner.stop();
    for (const cleanup of cleanups.reverse()) await cleanup();
    db.close();
    logger.info('cloud phone bot stopped');
  }
  return {
    port,
    opsPort,
    services,
    repos,
    metrics,
    simulator: connection.simulator,
    simulators: connection.simulators,
    cloudLimiter,
    stop() {
      stopping ??= stop();
      return stopping;
    },
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
