/**
 * The server for /healthz and /metrics, apart from Slack's /slack/events: they show request counts, error codes and
 * database error text, so they listen on OPS_HOST (loopback unless set otherwise) and OPS_PORT, and with OPS_TOKEN
 * they answer only `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { createLimitedServer, type HttpRoute } from '../slack/receiver.js';

export interface OpsServerOptions {
  port: number;
  host: string;
  /** When set, every route needs this bearer token. */
  token?: string | undefined;
}

export function startOpsServer(routes: readonly HttpRoute[], options: OpsServerOptions): Promise<Server> {
  const allowed = options.token === undefined ? () => true : bearerCheck(options.token);
  const server = createLimitedServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (!allowed(req)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
      res.end('send Authorization: Bearer <OPS_TOKEN>');
      return;
    }
    route.handler(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Compares digests, so the time taken says nothing about how much of the token was right. */
function bearerCheck(token: string): (req: IncomingMessage) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(token);
  return (req) => {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(header.slice('Bearer '.length)), expected);
  };
}
