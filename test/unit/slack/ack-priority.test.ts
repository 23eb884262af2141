import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAckPriority } from '../../../src/slack/ack-priority.js';
import { eventLoopTurns, waitUntil } from '../../support/wait-until.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server whose responses wait until the test answers them, watched by a fresh AckPriority. */
async function heldServer(maxWaitMs = 5_000, quietMs = 0) {
  const held: ServerResponse[] = [];
  const arrived: (() => void)[] = [];
  const server = createServer((_request, response) => {
    held.push(response);
    for (const wake of arrived.splice(0)) wake();
  });
  servers.push(server);
  const priority = createAckPriority({ maxWaitMs, quietMs });
  priority.watch(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const send = () => fetch(url, { method: 'POST', body: 'x' }).then((res) => res.text());
  const nextArrival = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (held.length >= count ? resolve() : arrived.push(check));
      check();
    });
  return { priority, held, send, nextArrival };
}

describe('acknowledgements first', () => {
  it('holds background work while a request waits for its answer, and lets it go once answered', async () => {
    const { priority, held, send, nextArrival } = await heldServer();
    const answered = send();
    await nextArrival(1);
    expect(priority.pending()).toBe(1);

    const order: string[] = [];
    const background = priority.afterAcks().then(() => order.push('background'));
    // The priority decides once per event-loop turn; a few turns give it every chance to let the work go.
    await eventLoopTurns(5);
    expect(order).toEqual([]);

    order.push('ack');
    held[0]!.end('ok');
    await background;
    expect(await answered).toBe('ok');
    expect(order).toEqual(['ack', 'background']);
    expect(priority.pending()).toBe(0);
  });

  it('waits for every pending answer, then lets the tasks go in the order they asked', async () => {
    const { priority, held, send, nextArrival } = await heldServer();
    const answers = [send(), send()];
    await nextArrival(2);
    const order: number[] = [];
    const tasks = [1, 2, 3].map((n) => priority.afterAcks().then(() => order.push(n)));
    held[0]!.end('ok');
    await waitUntil(() => priority.pending() === 1, { timeoutMs: 2_000, description: 'the first answer sent' });
    await eventLoopTurns(5);
    expect(priority.pending()).toBe(1);
    expect(order).toEqual([]);
    held[1]!.end('ok');
    await Promise.all(tasks);
    expect(order).toEqual([1, 2, 3]);
    await Promise.all(answers);
  });

  it('never holds a task longer than the longest wait, so a modal still opens under a flood of requests', async () => {
    const { priority, held, send, nextArrival } = await heldServer(100);
    const answered = send();
    await nextArrival(1);
    const started = Date.now();
    await priority.afterAcks();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(priority.pending()).toBe(1);
    held[0]!.end('ok');
    await answered;
  });

  it('waits for a quiet moment after the last request, so a burst is read and answered before background work', async () => {
    const { priority, held, send, nextArrival } = await heldServer(5_000, 80);
    const answered = send();
    await nextArrival(1);
    const arrived = performance.now();
    held[0]!.end('ok');
    await answered;
    expect(priority.pending()).toBe(0);
    await priority.afterAcks();
    expect(performance.now() - arrived).toBeGreaterThanOrEqual(70);
  });

  it('does not wait at all when nothing is pending', async () => {
    const { priority } = await heldServer();
    let done = false;
    void priority.afterAcks().then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(true);
  });
});
