import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer } from '../../../src/ops/server.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('startOpsServer (health and metrics, apart from Slack)', () => {
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
      { port: 0, host: '127.0.0.1' },
    );
    const { port } = server.address() as { port: number };
    const ok = await fetch(`http://127.0.0.1:${port}/healthz?probe=1`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });
    expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { method: 'POST' })).status).toBe(404);
  });

  it('fails to start when the port is taken', async () => {
    server = await startOpsServer([], { port: 0, host: '127.0.0.1' });
    const { port } = server.address() as { port: number };
    await expect(startOpsServer([], { port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('with a token, answers only a request that brings it as a bearer token', async () => {
    const token = 'ops-token-0123456789abcdef';
    server = await startOpsServer(
      [{ path: '/metrics', method: 'GET', handler: (_req, res) => res.end('cloudphone_bot_up 1') }],
      { port: 0, host: '127.0.0.1', token },
    );
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(await none.text()).toContain('Bearer');
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: token } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(await ok.text()).toBe('cloudphone_bot_up 1');
  });
});
