/**
 * HTTP plumbing only: reads each request, hands it to the gateway, and answers, waits, or drops the connection as the
 * outcome says. Loopback only by default.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Outcome, RawCall } from './gateway.js';

/** Far above any real request here (the SDK sends no body at all). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function serve(
  handle: (call: RawCall) => Outcome,
  options: { host: string; port: number },
): Promise<HttpHandle> {
  // Aborted on close, so a delayed answer does not hold the process (or the test) open.
  const closing = new AbortController();

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    if (body === undefined) {
      response.destroy();
      return;
    }
    const outcome = handle({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headersDistinct,
      body,
    });
    if (outcome.delayMs > 0) await sleep(outcome.delayMs, undefined, { signal: closing.signal });
    if (response.destroyed) return;
    if (outcome.kind === 'drop') {
      // No answer at all: the client sees the connection close (ECONNRESET / "other side closed").
      request.socket.destroy();
      return;
    }
    response.writeHead(outcome.status, outcome.headers).end(outcome.body);
  };

  const server = createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    // Idempotent, so a test's own close and its cleanup hook can both call it.
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
