/**
 * The real bot (`startBot`: Bolt HTTP receiver, SQLite file, runner) in its own process, as production runs it. The
 * bench talks to it over HTTP like Slack does, and over IPC only to read its database and to time poll cycles of the
 * real task poller inside this process (so memory and CPU are the bot's alone).
 */
import diagnostics from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createCredentialSource, createRegionalCloudPhoneClient } from '../src/cloud-phone/index.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningBot, startBot } from '../src/main.js';
import { createTaskPoller } from '../src/services/pipeline/task-poller.js';
import { serveRpc } from './rpc.js';

let bot: RunningBot | undefined;
let echoServer: Server | undefined;
let env: Record<string, string> = {};
/** The API endpoint of each configured region, when the bench runs several (else CLOUDPHONE_ENDPOINT serves one). */
let regionEndpoints: Record<string, string> | undefined;
const logStats = { warn: 0, error: 0, samples: [] as string[] };

function running(): RunningBot {
  if (!bot) throw new Error('bot not started');
  return bot;
}

/** Info level as in production; lines are serialised (that cost is real) and dropped, warnings counted. */
const logger = createLogger({
  level: 'info',
  destination: {
    write(line: string) {
      const level = /"level":"(warn|error|fatal)"/.exec(line)?.[1];
      if (!level) return true;
      if (level === 'warn') logStats.warn++;
      else logStats.error++;
      if (logStats.samples.length < 5) logStats.samples.push(line.slice(0, 400));
      return true;
    },
  } as never,
});

/** Event-loop delay of the bot process: how long a ready callback (a Slack request, say) can wait for the loop. */
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let cpuMark = process.cpuUsage();

/**
 * Server-side time of each Slack request (headers received → response finished), from Node's HTTP diagnostics
 * channels: what the bot itself takes, without the Slack side's share of the round trip.
 */
const requestStarts = new WeakMap<ServerResponse, number>();
let serverTimes: number[] = [];
/**
 * How long each request waited between the load worker sending it (its `x-bench-sent` header, wall clock of the same
 * machine) and this process reading its headers: the part of an ack that "in the bot" does not see.
 */
let readDelays: number[] = [];
diagnostics.subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  requestStarts.set(response, performance.now());
  const sent = Number(request.headers['x-bench-sent']);
  if (Number.isFinite(sent) && sent > 0) readDelays.push(performance.timeOrigin + performance.now() - sent);
});
diagnostics.subscribe('http.server.response.finish', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  const started = requestStarts.get(response);
  if (started !== undefined && request.url?.startsWith('/slack/events')) serverTimes.push(performance.now() - started);
});

const DAY_MS = 86_400_000;
let pollerState: { poller: ReturnType<typeof createTaskPoller>; close(): Promise<void> } | undefined;
let offsetDays = 0;

function poller() {
  if (pollerState) return pollerState.poller;
  const b = running();
  const config = loadConfig(env);
  // The bot's own regional client, as the engine uses it: DescribeTasks batched per region.
  const cloud = createRegionalCloudPhoneClient({
    regions: config.cloud.regions.map((region) => ({
      region,
      endpoint: regionEndpoints?.[region] ?? env.CLOUDPHONE_ENDPOINT ?? '',
    })),
    credentials: createCredentialSource({
      accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
      accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    }),
    timeoutMs: 30_000,
  });
  // A clock whole days ahead: every open task is due for this poller, and the next polls it schedules stay in the
  // future for the bot's own runner (real clock), so the two never poll the same task.
  const clock = { now: () => Date.now() + offsetDays * DAY_MS };
  const instance = createTaskPoller({
    repos: b.repos,
    cloud,
    clock,
    settings: { pollIntervalMs: config.workflow.pollIntervalMs, maxPollIntervalMs: config.workflow.maxPollIntervalMs },
    logger,
    // The bench tracks backups only.
    taskEnded: (task, outcome) => b.repos.backups.updateInstance(task.requestId, task.instanceId, outcome),
  });
  pollerState = { poller: instance, close: () => cloud.close() };
  return instance;
}

export interface CycleStats {
  calls: number;
  polled: number;
  finished: number;
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  heapUsedAfter: number;
}

const handlers = {
  async start(args: { env: Record<string, string>; regionEndpoints?: Record<string, string> }) {
    env = args.env;
    regionEndpoints = args.regionEndpoints;
    bot = await startBot(loadConfig(env), { logger, ...(regionEndpoints ? { regionEndpoints } : {}) });
    return { port: bot.port ?? 0, pid: process.pid };
  },

  openTasks() {
    return running().repos.tasks.openCount();
  },

  unfinishedRequests() {
    return running().repos.requests.unfinishedCount();
  },

  request(args: { id: string }) {
    const record = running().repos.backups.get(args.id);
    if (!record) return undefined;
    return {
      status: record.status,
      step: record.step,
      parent: record.parent,
      instances: record.instances.map((i) => ({ instanceId: i.instanceId, taskId: i.taskId, state: i.state })),
    };
  },

  /** The process's peak resident memory since it started (bytes). */
  peakRss() {
    return process.resourceUsage().maxRSS * 1024;
  },

  memory() {
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    return { rss, heapUsed, heapTotal };
  },

  /** Resident memory and heap after a full garbage collection (the bot process runs with --expose-gc). */
  memoryAfterGc() {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return undefined;
    gc();
    gc();
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    return { rss, heapUsed, heapTotal };
  },

  /** Send → headers read (ms) of the load worker's requests since the last `takeServerTimes`. */
  takeReadDelays() {
    const taken = readDelays;
    readDelays = [];
    return taken;
  },

  /** Server-side times (ms) of the Slack requests answered since the last call. */
  takeServerTimes() {
    const taken = serverTimes;
    serverTimes = [];
    readDelays = [];
    return taken;
  },

  /** Starts a measurement window: CPU time and event-loop delay from now on. */
  markLoad() {
    cpuMark = process.cpuUsage();
    loopDelay.reset();
  },

  /** CPU time (ms) and event-loop delay (ms) since `markLoad`. */
  load() {
    const used = process.cpuUsage(cpuMark);
    return {
      cpuMs: (used.user + used.system) / 1000,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
    };
  },

  /** One cycle of the real poller over every open task, with this process's CPU time and resident memory. */
  async pollCycle(): Promise<CycleStats> {
    const p = poller();
    offsetDays++;
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > rssPeak) rssPeak = rss;
    }, 20);
    const cpu = process.cpuUsage();
    const started = performance.now();
    try {
      const result = await p.pollOnce();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const rssAfter = process.memoryUsage.rss();
      return {
        calls: result.calls,
        polled: result.polled,
        finished: result.finished,
        wallMs,
        cpuUserMs: used.user / 1000,
        cpuSystemMs: used.system / 1000,
        rssBefore,
        rssPeak: Math.max(rssPeak, rssAfter),
        rssAfter,
        heapUsedAfter: process.memoryUsage().heapUsed,
      };
    } finally {
      clearInterval(sampler);
    }
  },

  /** Time of `tasks.openCount(requestId)` (one request's open tasks), the query the poller runs per touched request. */
  openCountProbe(args: { requestId: string; repeat: number }) {
    const { tasks, db } = running().repos;
    const started = performance.now();
    let n = 0;
    for (let i = 0; i < args.repeat; i++) n = tasks.openCount(args.requestId);
    const perCallMs = (performance.now() - started) / args.repeat;
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM tasks WHERE request_id = ? AND finished_at IS NULL')
      .all(args.requestId) as { detail: string }[];
    return { open: n, perCallMs, plan: plan.map((row) => row.detail).join('; ') };
  },

  logStats() {
    return logStats;
  },

  /**
   * A bare node:http server in this process that reads the body and answers `{}`: the same bursts sent to it show
   * what the client, the kernel and Node's HTTP cost on their own (the floor under the bot's ack times).
   */
  async startEchoServer() {
    echoServer ??= createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    const server = echoServer;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port };
  },

  async stop() {
    echoServer?.close();
    await pollerState?.close();
    await bot?.stop();
    bot = undefined;
  },
};

export type BotHandlers = typeof handlers;

serveRpc(handlers);
