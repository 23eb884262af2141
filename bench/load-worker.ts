/**
 * Sends a burst of already signed Slack requests to the bot and times each round trip, from a process that does
 * nothing else. In the bench process the Slack stand-in shares the event loop with the driver (it answers the bot's
 * views.open and chat.* calls during a burst), and that loop's delay would be counted as acknowledgement time.
 *
 * The client is an undici Pool with one keep-alive connection per concurrent request, as a fleet of senders keeps
 * its connections open. Node's global `fetch` costs this one process about 1–2 ms of CPU per request, so 50 at once
 * measured mostly the client (p99 ≈ 50–100 ms against a server that answers at once); the bench reports that floor
 * (`floor` below) next to the bot's numbers.
 */
import { Pool } from 'undici';
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

/**
 * One pool per origin and burst size. A pool keyed by origin alone kept the size of its first burst: after the
 * one-at-a-time requests, every "50 concurrent" burst went over a single connection, queued in this process.
 */
const pools = new Map<string, Pool>();

function poolFor(url: URL, connections: number): Pool {
  const key = `${url.origin} ${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    pools.set(key, pool);
  }
  return pool;
}

async function burst(args: { url: string; requests: PreparedRequest[]; timeoutMs: number }): Promise<TimedAnswer[]> {
  const url = new URL(args.url);
  const pool = poolFor(url, args.requests.length);
  return Promise.all(
    args.requests.map(async (request) => {
      const started = performance.now();
      try {
        const res = await pool.request({
          path: url.pathname,
          method: 'POST',
          // Wall clock of the send, so the bot can tell how long the request waited before it was read.
          headers: { ...request.headers, 'x-bench-sent': String(performance.timeOrigin + started) },
          body: request.body,
          headersTimeout: args.timeoutMs,
          bodyTimeout: args.timeoutMs,
        });
        const rawBody = await res.body.text();
        return { status: res.statusCode, rawBody, elapsedMs: performance.now() - started };
      } catch (error) {
        return { status: 0, rawBody: String(error), elapsedMs: performance.now() - started };
      }
    }),
  );
}

const handlers = {
  /** Sends every request at once and answers when all are answered (or failed: status 0). */
  burst,
};

export type LoadHandlers = typeof handlers;

serveRpc(handlers);
