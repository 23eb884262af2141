/**
 * Global Bolt middleware for every request from Slack: gives it an id that every log line written while handling it
 * carries (Bolt's own lines too), logs what arrived, counts it, and tracks how many are still being handled so a
 * shutdown can wait for them.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { App } from '@slack/bolt';
import { currentLogContext, type Logger, runWithLogContext } from '../logger.js';
import type { Metrics } from './metrics.js';

export interface SlackRequestSummary {
  /** slash_command, view_submission, block_actions, block_suggestion, view_closed, event_callback, … */
  type: string;
  /** The command, callback_id, first action_id or event type; ids the bot defines, so the label set stays small. */
  name: string;
  userId?: string;
  channelId?: string;
  teamId?: string;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/** What a request is about, from its body; never its free text (slash command text, modal values). */
export function describeSlackRequest(rawBody: unknown): SlackRequestSummary {
  const body = obj(rawBody);
  const defined = <T extends object>(value: T) =>
    Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
  if (str(body.command)) {
    return defined({
      type: 'slash_command',
      name: str(body.command) ?? '',
      userId: str(body.user_id),
      channelId: str(body.channel_id),
      teamId: str(body.team_id),
    });
  }
  const type = str(body.type) ?? 'unknown';
  const user = obj(body.user);
  const team = obj(body.team);
  if (type === 'event_callback') {
    const event = obj(body.event);
    return defined({
      type,
      name: str(event.type) ?? '',
      userId: str(event.user),
      channelId: str(event.channel),
      teamId: str(body.team_id),
    });
  }
  const firstAction = obj(Array.isArray(body.actions) ? body.actions[0] : undefined);
  // Modal payloads name their view; buttons and menus their action; shortcuts their own callback_id.
  const name =
    str(obj(body.view).callback_id) ?? str(firstAction.action_id) ?? str(body.action_id) ?? str(body.callback_id);
  return defined({
    type,
    name: name ?? '',
    userId: str(user.id),
    channelId: str(obj(body.channel).id),
    teamId: str(team.id),
  });
}

export interface SlackRequestTracker {
  /** Requests whose listeners are still running (their ack may be sent already). */
  inFlight(): number;
  /** Resolves true when none is in flight, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function trackSlackRequests(
  app: Pick<App, 'use'>,
  deps: { logger: Logger; metrics: Metrics },
): SlackRequestTracker {
  const { logger, metrics } = deps;
  let active = 0;
  const waiters = new Set<() => void>();
  // A random prefix per process and a counter: unique enough to follow one request through the logs, and cheaper
  // than reading the system's random source on every request (a measurable share of an acknowledgement).
  const idPrefix = randomBytes(2).toString('hex');
  let counter = 0;
  const nextId = () => `sr-${idPrefix}${(counter++ & 0xffffff).toString(16).padStart(6, '0')}`;

  app.use(async ({ body, next }) => {
    const summary = describeSlackRequest(body);
    const slackRequest = nextId();
    const started = performance.now();
    active++;
    await runWithLogContext({ slackRequest }, async () => {
      let outcome = 'ok';
      // Debug only: the "handled" line below says the same at info, once per request.
      logger.debug({ component: 'slack', slack: summary }, 'request from Slack');
      try {
        await next();
      } catch (error) {
        outcome = 'error';
        throw error;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        metrics.slackRequests.inc({ type: summary.type, name: summary.name, outcome });
        metrics.slackRequestSeconds.observe({ type: summary.type }, seconds);
        // The context may have gained the bot's request id while the listener ran.
        logger.info(
          {
            component: 'slack',
            slack: summary,
            ...currentLogContext(),
            outcome,
            durationMs: Math.round(seconds * 1000),
          },
          'request from Slack handled',
        );
        active--;
        if (active === 0) for (const wake of waiters) wake();
      }
    });
  });

  return {
    inFlight: () => active,
    idle(timeoutMs) {
      if (active === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(value);
        };
        const wake = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        waiters.add(wake);
      });
    },
  };
}
