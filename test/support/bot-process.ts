/**
 * The bot as its own process, for tests that kill it (SIGKILL) and start it again on the same database. Configured
 * from the environment like production; prints `ready <port>` once it takes requests.
 */
import { loadConfig } from '../../src/config.js';
import { startBot } from '../../src/main.js';

const bot = await startBot(loadConfig(process.env), {
  idleTickMs: 10,
  slackClientOptions: { retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } },
});
process.stdout.write(`ready ${bot.port}\n`);
