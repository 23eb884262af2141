/**
 * Builds the Bolt app: HTTP mode (signed requests on /slack/events) or Socket Mode, the listeners, and one error
 * sink that gives the person a reference id instead of a stack trace.
 */
import { App, LogLevel } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import { registerActions } from './actions/index.js';
import { registerCommands } from './commands/index.js';
import type { Config } from './config.js';
import { registerEvents } from './events/index.js';
import { boltLogger, type Logger } from './logger.js';
import { registerOptions } from './options/index.js';
import type { Services } from './services/index.js';
import { reportUnexpectedError } from './slack/error-sink.js';
import { foreignRequestReason, type Installation } from './slack/installation.js';
import { DEFAULT_ANSWER_BUDGET_MS, SlackReceiver } from './slack/receiver.js';
import { socketAnswerDeadline } from './slack/socket-deadline.js';
import { slackClientOptions } from './slack/web-client.js';
import { registerViews } from './views/index.js';

export interface SlackAppOptions {
  logger: Logger;
  /** Web API client tuning; tests shorten retries. */
  clientOptions?: WebClientOptions;
  /**
   * The team and app the bot is installed as, once start-up has asked Slack; HTTP requests for any other are
   * refused. Until it is known (before start), nothing is refused on these grounds: the server is not listening yet.
   */
  installation?: () => Installation | undefined;
}

export function createSlackApp(config: Config, services: Services, options: SlackAppOptions): App {
  const logger = boltLogger(options.logger);
  // A copy of the options the bot's own Web API client has (Bolt writes its logger into the object it is given).
  const clientOptions: WebClientOptions = slackClientOptions(config, options.clientOptions);
  // deferInitialization: the token check (auth.test) runs in `await app.init()`, so a bad token fails start-up
  // with a clear error instead of as an unhandled rejection after the bot said it had started.
  const app =
    config.slack.mode === 'socket'
      ? new App({
          token: config.slack.botToken,
          deferInitialization: true,
          // Bolt's conversation store keeps state per conversation for listeners that ask for it; none here does,
          // and it is a lookup on every request.
          convoStore: false,
          extendedErrorHandler: true,
          appToken: config.slack.appToken,
          socketMode: true,
          clientOptions,
          logger,
          logLevel: LogLevel.INFO,
        })
      : new App({
          token: config.slack.botToken,
          deferInitialization: true,
          // Bolt's conversation store keeps state per conversation for listeners that ask for it; none here does,
          // and it is a lookup on every request.
          convoStore: false,
          extendedErrorHandler: true,
          // Bolt's HTTPReceiver, answer for answer, with the request body read once (see receiver.ts for why).
          receiver: new SlackReceiver({
            signingSecret: config.slack.signingSecret ?? '',
            endpoint: '/slack/events',
            logger: options.logger,
            foreignReason: (body) => {
              const installed = options.installation?.();
              return installed ? foreignRequestReason(body, installed) : undefined;
            },
          }),
          clientOptions,
          logger,
        });

  // The answer deadline the HTTP receiver gives each request, for Socket Mode (slack/socket-deadline.ts).
  if (config.slack.mode === 'socket') app.use(socketAnswerDeadline(DEFAULT_ANSWER_BUDGET_MS));
  registerCommands(app, services);
  registerViews(app, services);
  registerActions(app, services);
  registerOptions(app, services);
  registerEvents(app, services, () => options.installation?.());

  // The person hears about it here (Bolt gives no ack to the error handler, so a listener that threw before its ack
  // leaves Slack to time the request out); resolving, not rethrowing, keeps it to one log line.
  app.error(({ error, body }: { error: Error; body: unknown }) =>
    reportUnexpectedError({ error, body, client: app.client, logger: options.logger }),
  );
  return app;
}
