import { createServer, type Server } from 'node:http';
import type { HttpRoute } from '../slack/receiver.js';

/** A bare HTTP server for the ops routes, used in Socket Mode where Bolt serves no HTTP. */
export function startOpsServer(routes: readonly HttpRoute[], port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method === req.method);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    route.handler(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
