/**
 * The cloud phone API the bot talks to: one endpoint per configured region (CLOUDPHONE_REGIONS), or, with
 * CLOUDPHONE_SIMULATOR on, one in-process simulator per region with a throwaway key pair. Every call is observed
 * (metrics, health, logs), waits for Slack's pending acks first, then passes the one rate limiter of the account.
 */
import { randomBytes } from 'node:crypto';
import {
  type CallPriority,
  createCredentialSource,
  createRateLimiter,
  createRegionalCloudPhoneClient,
  type RateLimiter,
  type RegionalCloudPhoneApi,
  type RegionEndpoint,
  resolveEndpoint,
} from '../cloud-phone/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { HealthState } from '../ops/health.js';
import { observeCloudCalls, observeUnusableItems } from '../ops/instrument.js';
import type { Metrics } from '../ops/metrics.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../sandbox/simulator/index.js';
import { insideSlackRequest } from '../services/access/answer-deadline.js';
import type { Clock } from '../services/pipeline/ports.js';

/**
 * The account's one limiter (CLOUDPHONE_MAX_CALLS_PER_SECOND). Alibaba Cloud's flow control counts an account's calls
 * (its RAM users' included) per API, so one limiter serves every region's client and every kind of work: manual and
 * scheduled calls together keep under the ceiling.
 */
export function createCloudLimiter(config: Config): RateLimiter {
  return createRateLimiter({ maxPerSecond: config.cloud.maxCallsPerSecond });
}

/**
 * A call made while handling a Slack request (a form's listing, a status, a restore check) has a person waiting for
 * it and takes the limiter's first lane; the runner's and schedules' calls run outside any request and take the
 * other. The receiver marks requests for everything they run (answer-deadline.ts); Socket Mode marks none, so there
 * every call shares one lane.
 */
export const slackRequestPriority = (): CallPriority => (insideSlackRequest() ? 'interactive' : 'bulk');

export interface SimulatorOverrides {
  /** With CLOUDPHONE_SIMULATOR on: options for the in-process simulator (the demo makes it quicker). */
  simulator?: Omit<SimulatorOptions, 'credentials'>;
  /**
   * With CLOUDPHONE_SIMULATOR on and several CLOUDPHONE_REGIONS: options for the simulators of the other regions (one
   * endpoint each; `simulator` is the home region's). A region not named here gets a simulator with no phones.
   */
  regionSimulators?: Record<string, Omit<SimulatorOptions, 'credentials' | 'region'>>;
  /**
   * Without CLOUDPHONE_SIMULATOR: the API endpoint of some regions, by region (the bench points each of several
   * CLOUDPHONE_REGIONS at a simulator of its own). A region not named here resolves as usual.
   */
  regionEndpoints?: Readonly<Record<string, string>>;
}

export interface CloudConnection {
  cloud: RegionalCloudPhoneApi;
  /** The home region's simulator when CLOUDPHONE_SIMULATOR is on. */
  simulator: Simulator | undefined;
  /** Every region's simulator when CLOUDPHONE_SIMULATOR is on, by region. */
  simulators: ReadonlyMap<string, Simulator>;
  /** Closes the client's connections, then the simulators. */
  close(): Promise<void>;
}

export async function connectCloud(
  config: Config,
  deps: {
    overrides: SimulatorOverrides;
    logger: Logger;
    metrics: Metrics;
    health: HealthState;
    clock: Clock;
    afterAcks: () => Promise<void>;
    /** Every call's gate (createCloudLimiter); the caller keeps it to read its rate. */
    limiter: RateLimiter;
  },
): Promise<CloudConnection> {
  const { logger } = deps;
  const simulators = new Map<string, Simulator>();
  const endpoints: RegionEndpoint[] = [];
  let credentials = createCredentialSource(
    config.cloud.credentials.kind === 'static' ? config.cloud.credentials : undefined,
  );
  const closeSimulators = () => Promise.all([...simulators.values()].map((sim) => sim.close())).then(() => undefined);
  if (config.cloud.simulator) {
    // Try it in a real workspace without a cloud account: an in-process simulator with a throwaway key pair.
    const pair = {
      accessKeyId: `LTAIsim${randomBytes(6).toString('hex')}`,
      accessKeySecret: randomBytes(18).toString('hex'),
    };
    try {
      // One simulator per region, as the service has one endpoint per region; the home region has the demo fleet.
      for (const region of config.cloud.regions) {
        const home = region === config.cloud.region;
        const options = home ? deps.overrides.simulator : (deps.overrides.regionSimulators?.[region] ?? { fleet: [] });
        // The other regions are seeded by region, so that ids differ across regions as the service's do.
        const sim = await startSimulator({
          ...(home ? {} : { seed: region }),
          ...options,
          region,
          credentials: [pair],
        });
        simulators.set(region, sim);
        endpoints.push({ region, endpoint: sim.url });
      }
    } catch (error) {
      await closeSimulators().catch(() => undefined);
      throw error;
    }
    credentials = createCredentialSource(pair);
    logger.warn(
      { endpoint: endpoints.map((e) => String(e.endpoint)).join(' ') },
      'CLOUDPHONE_SIMULATOR is on: no real cloud phone is touched',
    );
  } else {
    for (const region of config.cloud.regions) {
      const given = deps.overrides.regionEndpoints?.[region];
      if (given !== undefined) {
        endpoints.push({ region, endpoint: given });
        continue;
      }
      const resolved = resolveEndpoint({ region, endpointOverride: config.cloud.endpoint });
      if (resolved.warning) logger.warn(resolved.warning);
      endpoints.push({ region, endpoint: resolved.url.toString() });
    }
  }
  const cloud = createRegionalCloudPhoneClient({
    regions: endpoints,
    credentials,
    timeoutMs: config.cloud.callTimeoutMs,
    onCall: observeCloudCalls({ metrics: deps.metrics, health: deps.health, clock: deps.clock, logger }),
    onUnusableItem: observeUnusableItems({ metrics: deps.metrics, logger }),
    beforeAttempt: () => deps.afterAcks(),
    limiter: deps.limiter,
    priority: slackRequestPriority,
  });
  return {
    cloud,
    simulator: simulators.get(config.cloud.region),
    simulators,
    async close() {
      await cloud.close();
      await closeSimulators();
    },
  };
}
