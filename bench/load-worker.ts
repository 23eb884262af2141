/**
 * Sends a burst of already signed Slack requests to the bot and times each round trip, from a process that does
 * nothing else. In the bench process the Slack stand-in shares the event loop with the driver (it answers the bot's
 * views.open and chat.* calls during a burst), and that loop's delay would be counted as acknowledgement time.
 */
import { serveRpc } from './rpc.js';

export interface PreparedRequest {
  body: string;
  headers: Record<string, string>;
}

export interface TimedAnswer {
  status: number;
  rawBody: string;
  elapsedMs: number;
}

const handlers = {
  /** Sends every request at once and answers when all are answered (or failed: status 0). */
  async burst(args: { url: string; requests: PreparedRequest[]; timeoutMs: number }): Promise<TimedAnswer[]> {
    return Promise.all(
      args.requests.map(async (request) => {
        const started = performance.now();
        try {
          const res = await fetch(args.url, {
            method: 'POST',
            headers: request.headers,
            body: request.body,
            signal: AbortSignal.timeout(args.timeoutMs),
          });
          const rawBody = await res.text();
          return { status: res.status, rawBody, elapsedMs: performance.now() - started };
        } catch (error) {
          return { status: 0, rawBody: String(error), elapsedMs: performance.now() - started };
        }
      }),
    );
  },
};

export type LoadHandlers = typeof handlers;

serveRpc(handlers);
