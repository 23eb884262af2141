/**
 * `startSimulator`: the composition root of the cloud phone simulator. It wires the state, the clock, the gateway
 * and the HTTP server, and exposes the handles tests use to inspect and steer the simulated account.
 */

import type { AppFaults, SimApp } from './apps.js';
import { FaultInjector, type Faults } from './faults.js';
import {
  addBackupFileFromSeed,
  addInstanceFromSeed,
  type BackupFileSeed,
  defaultFleet,
  type InstanceSeed,
  loadFleetFile,
  populateFleet,
} from './fleet.js';
import { handleCall, type RequestLogEntry } from './gateway.js';
import { type Credentials, NonceCache } from './gateway-auth.js';
import { IdGenerator, streamFor } from './random.js';
import { CallRateLimit, type CallRateReport, type RateLimitOptions } from './rate-limit.js';
import { serve } from './server.js';
import {
  DEFAULT_TIMING,
  type InstanceStatus,
  type SimBackupFile,
  type SimInstance,
  SimState,
  type Timing,
} from './state.js';
import { VirtualClock } from './timeline.js';

export interface SimulatorOptions {
  /** Accepted key pairs. Default: one well-known pair, `DEFAULT_CREDENTIALS`. */
  credentials?: Credentials | Credentials[];
  /** The fleet; else `fleetFile`; else `defaultFleet()`. */
  fleet?: InstanceSeed[];
  /** JSON file: an array of InstanceSeed or `{ "instances": [...] }`. */
  fleetFile?: string;
  /** Durations of the simulated work; missing keys take `DEFAULT_TIMING`. */
  timing?: Partial<Timing>;
  /** The base clock (epoch ms). Default `Date.now`. `advance()` moves the simulator ahead of it. */
  now?: () => number;
  /** Seeds ids, task outcomes and faults. Default 1. */
  seed?: number | string;
  /** Probability that backing up a RUNNING instance fails. Default 0.5. */
  runningBackupFailureRate?: number;
  /** Faults from the start (see `setFaults`). */
  faults?: Faults;
  /** The account's call-rate quota from the start (see `setRateLimit`). Default: none. */
  rateLimit?: RateLimitOptions;
  /**
   * The region this endpoint serves (one simulator per region, as the service has one endpoint per region): the
   * region of every instance whose seed names none. Default `cn-shanghai`.
   */
  region?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; the API is at `/`. */
  readonly url: string;
  readonly port: number;
  readonly credentials: readonly Credentials[];
  readonly timing: Readonly<Timing>;
  /** Every request received, oldest first (a live array). */
  readonly requests: readonly RequestLogEntry[];
  /** The simulated account, brought up to date with the clock on every read. Mutable by tests. */
  readonly state: SimState;
  /** The simulator's clock (epoch ms): sign requests with this time after `advance`. */
  now(): number;
  /** Moves the simulator clock forward; due transitions apply on the next request or state read. */
  advance(ms: number): void;
  /** Replaces all fault rules (`{}` clears them). */
  setFaults(faults: Faults): void;
  /**
   * Enforces a call-rate quota (`undefined` lifts it): over `callsPerSecond` accepted calls in a sliding second, the
   * gateway answers 400 `Throttling.User` with `x-acs-retry-after`. Starts the rate measurement afresh.
   */
  setRateLimit(options: RateLimitOptions | undefined): void;
  /** The limit, the peak rate the client sent at (calls in any one second), and how many calls it throttled. */
  callRate(): CallRateReport;
  /** Adds an instance (defaults fill what the seed leaves out). */
  addInstance(seed?: InstanceSeed): SimInstance;
  /** Forces an instance's status, overriding any transition in flight. */
  setInstanceStatus(instanceId: string, status: InstanceStatus, errorCode?: string): void;
  /** The next instance-level task for this instance (stop, start, backup or restore) fails with this code. */
  failNextTask(instanceId: string, code: string, message: string): void;
  /** Adds a finished backup of an existing instance. */
  addBackupFile(seed: BackupFileSeed): SimBackupFile;
  /** Installs (or changes) an app on an instance, with this version and data size. */
  setApp(instanceId: string, packageName: string, app: SimApp): void;
  /** Replaces the app faults of an instance (`{}` clears them): see AppFaults. */
  setAppFaults(instanceId: string, faults: AppFaults): void;
  clearRequests(): void;
  close(): Promise<void>;
}

/** The pair accepted when none is given; local and throwaway by design. */
export const DEFAULT_CREDENTIALS: Credentials = {
  accessKeyId: 'LTAI5tSimulatorKeyId00000',
  accessKeySecret: 'simulator-secret-not-for-production',
};

function checkTiming(timing: Timing): Timing {
  for (const [key, ms] of Object.entries(timing)) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timing.${key} must be a non-negative number, got ${ms}`);
  }
  return Object.freeze(timing);
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const timing = checkTiming({ ...DEFAULT_TIMING, ...options.timing });
  const runningBackupFailureRate = options.runningBackupFailureRate ?? 0.5;
  if (!(runningBackupFailureRate >= 0 && runningBackupFailureRate <= 1)) {
    throw new RangeError(`runningBackupFailureRate must be within 0..1, got ${runningBackupFailureRate}`);
  }
  const credentials = [options.credentials ?? DEFAULT_CREDENTIALS].flat();
  if (credentials.length === 0) throw new Error('credentials: at least one key pair is needed');

  const clock = new VirtualClock(options.now);
  const state = new SimState(
    { timing, runningBackupFailureRate },
    new IdGenerator(streamFor(seed, 'ids')),
    streamFor(seed, 'outcomes'),
  );
  const seeds = options.fleet ?? (options.fleetFile ? loadFleetFile(options.fleetFile) : defaultFleet());
  const region = options.region ?? 'cn-shanghai';
  populateFleet(
    state,
    seeds.map((seed) => ({ regionId: region, ...seed })),
    clock.now(),
  );

  const faults = new FaultInjector(streamFor(seed, 'faults'));
  faults.set(options.faults ?? {});
  const log: RequestLogEntry[] = [];
  const rateLimit = new CallRateLimit();
  rateLimit.set(options.rateLimit);
  const deps = {
    state,
    clock,
    secrets: new Map(credentials.map((pair) => [pair.accessKeyId, pair.accessKeySecret])),
    nonces: new NonceCache(),
    faults,
    rateLimit,
    requestIds: new IdGenerator(streamFor(seed, 'request-ids')),
    log,
  };
  const http = await serve((call) => handleCall(deps, call), {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
  });

  const settled = (): SimState => {
    state.settle(clock.now());
    return state;
  };
  const instance = (id: string): SimInstance => {
    const found = settled().instances.get(id);
    if (!found) throw new Error(`No instance ${id} in the simulator`);
    return found;
  };

  return {
    url: http.url,
    port: http.port,
    credentials,
    timing,
    requests: log,
    get state() {
      return settled();
    },
    now: () => clock.now(),
    advance: (ms) => {
      clock.advance(ms);
      state.settle(clock.now());
    },
    setFaults: (next) => faults.set(next),
    setRateLimit: (next) => rateLimit.set(next),
    callRate: () => rateLimit.report(),
    addInstance: (seedValue = {}) => addInstanceFromSeed(settled(), seedValue, clock.now()),
    setInstanceStatus: (id, status, errorCode) => {
      const target = instance(id);
      state.holdStatus(target, status, clock.now());
      target.progress = undefined;
      if (errorCode !== undefined) target.errorCode = errorCode;
    },
    failNextTask: (id, code, message) => {
      instance(id);
      const queue = state.injectedFailures.get(id) ?? [];
      queue.push({ code, message });
      state.injectedFailures.set(id, queue);
    },
    addBackupFile: (seedValue) => addBackupFileFromSeed(settled(), seedValue, clock.now()),
    setApp: (id, packageName, app) => {
      const target = instance(id);
      if (!target.packages.includes(packageName)) target.packages.push(packageName);
      target.appDetails[packageName] = { ...app };
    },
    setAppFaults: (id, next) => {
      instance(id);
      state.appFaults.set(id, { ...next });
    },
    clearRequests: () => {
      log.length = 0;
    },
    close: () => http.close(),
  };
}
