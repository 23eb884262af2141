/**
 * `npm run simulator -- [--port 9000] [--host 127.0.0.1] [--fleet fleet.json] [--fast] [--seed N] [--rate-limit N]`
 *
 * Starts the cloud phone API simulator for local development. It accepts the key pair in
 * ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET; when those are unset it makes up a throwaway pair
 * and prints both halves (the simulator guards nothing, so the secret is not worth hiding), with the `export` lines
 * to point the bot at it. A dev tool, so it reads process.env directly.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Credentials, FAST_TIMING, startSimulator } from './simulator/index.js';

const USAGE =
  'usage: npm run simulator -- [--port 9000] [--host 127.0.0.1] [--fleet fleet.json] [--fast] [--seed N] [--rate-limit N]';

function credentialsFromEnv(env: NodeJS.ProcessEnv): { pair: Credentials; generated: boolean } {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (accessKeyId && accessKeySecret) return { pair: { accessKeyId, accessKeySecret }, generated: false };
  if (accessKeyId || accessKeySecret) {
    throw new Error('Set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or neither.');
  }
  return {
    pair: {
      accessKeyId: `LTAI5tSim${randomBytes(8).toString('hex')}`,
      accessKeySecret: randomBytes(15).toString('hex'),
    },
    generated: true,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9000' },
      host: { type: 'string', default: '127.0.0.1' },
      fleet: { type: 'string' },
      fast: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'rate-limit': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535. ${USAGE}`);
  const rateLimit = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
  if (rateLimit !== undefined && !(Number.isFinite(rateLimit) && rateLimit > 0)) {
    throw new Error(`--rate-limit must be a positive number of calls per second. ${USAGE}`);
  }

  const { pair, generated } = credentialsFromEnv(process.env);
  const simulator = await startSimulator({
    credentials: pair,
    port,
    host: values.host,
    fleetFile: values.fleet,
    timing: values.fast ? FAST_TIMING : undefined,
    seed: values.seed,
    ...(rateLimit === undefined ? {} : { rateLimit: { callsPerSecond: rateLimit } }),
  });

  console.log(`Cloud phone simulator (eds-aic 2023-09-30) listening on ${simulator.url}`);
  console.log(`  ${simulator.state.instances.size} instances; timing ${values.fast ? 'fast' : 'default'}`);
  if (rateLimit !== undefined) console.log(`  Calls over ${rateLimit} per second are answered Throttling.User`);
  if (generated) {
    console.log('  No key pair in the environment; this throwaway one is accepted:');
    console.log(`    export ALIBABA_CLOUD_ACCESS_KEY_ID=${pair.accessKeyId}`);
    console.log(`    export ALIBABA_CLOUD_ACCESS_KEY_SECRET=${pair.accessKeySecret}`);
  } else {
    console.log(`  Accepting AccessKeyId ${pair.accessKeyId} from the environment.`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
