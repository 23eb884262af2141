import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer } from '../../../src/ops/server.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('startOpsServer (Socket Mode health and metrics)', () => {
  it('serves the routes it is given and 404 for anything else', async () => {
    server = await startOpsServer(
      [
        {
          path: '/healthz',
          method: 'GET',
          handler: (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          },
        },
      ],
      0,
      '127.0.0.1',
    );
    const { port } = server.address() as { port: number };
    const ok = await fetch(`http://127.0.0.1:${port}/healthz?probe=1`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' })).status).toBe(404);
  });

  it('fails to start when the port is taken', async () => {
    server = await startOpsServer([], 0, '127.0.0.1');
    const { port } = server.address() as { port: number };
    await expect(startOpsServer([], port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
