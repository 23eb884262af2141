import { describe, expect, it } from 'vitest';
import { createChannelQueue } from '../../../src/slack/channel-queue.js';
import { waitUntil } from '../../support/wait-until.js';

describe('per-channel Slack write queue', () => {
  it('runs writes to one channel one at a time, in order, even when one fails', async () => {
    const queue = createChannelQueue({ intervalMs: 0 });
    const events: string[] = [];
    const slow =
      (name: string, ms: number, fail = false) =>
      async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      queue.run('C1', slow('a', 20, true)),
      queue.run('C1', slow('b', 5)),
      queue.run('C1', slow('c', 1)),
    ]);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  });

  it('lets different channels run side by side', async () => {
    const queue = createChannelQueue({ intervalMs: 0 });
    const events: string[] = [];
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = queue.run('C1', async () => {
      events.push('C1 start');
      await blocked;
      events.push('C1 end');
    });
    await queue.run('C2', async () => {
      events.push('C2 ran');
    });
    release();
    await first;
    expect(events).toEqual(['C1 start', 'C2 ran', 'C1 end']);
  });

  it('spaces new messages in one channel by the interval, but not updates or other channels', async () => {
    let clock = 1_000;
    const waits: number[] = [];
    const queue = createChannelQueue({
      intervalMs: 30,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    const starts: string[] = [];
    const task = (name: string) => async () => {
      starts.push(`${name}@${clock}`);
    };
    await Promise.all([
      queue.run('C1', task('post1'), { spaced: true }),
      queue.run('C1', task('update'), {}),
      queue.run('C1', task('post2'), { spaced: true }),
      queue.run('C2', task('other'), { spaced: true }),
      queue.run('C1', task('post3'), { spaced: true }),
    ]);
    expect(waits).toEqual([30, 30]);
    expect(starts).toEqual(['post1@1000', 'other@1000', 'update@1000', 'post2@1030', 'post3@1060']);
  });

  it("lets an urgent write (a finished backup's reply) go before the new messages still waiting in its channel", async () => {
    let clock = 1_000;
    const queue = createChannelQueue({
      intervalMs: 1_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    const order: string[] = [];
    const task = (name: string) => async () => {
      order.push(name);
    };
    const writes = ['parent 1', 'parent 2', 'parent 3', 'parent 4'].map((name) =>
      queue.run('C1', task(name), { spaced: true }),
    );
    // Queued while parent 1 is being written: it waits for the interval, not for parents 2-4.
    await Promise.resolve();
    writes.push(queue.run('C1', task('reply to 1'), { spaced: true, urgent: true }));
    writes.push(queue.run('C1', task('reply to 2'), { spaced: true, urgent: true }));
    await Promise.all(writes);
    expect(order).toEqual(['parent 1', 'reply to 1', 'reply to 2', 'parent 2', 'parent 3', 'parent 4']);
    // Still one message a second.
    expect(clock).toBe(6_000);
  });

  it('runs a write queued just as the channel went idle', async () => {
    const queue = createChannelQueue({ intervalMs: 0 });
    const ran: string[] = [];
    await queue.run('C1', async () => {
      ran.push('first');
      // Queued from inside the last task, before its writer looks for more.
      void queue.run('C1', async () => {
        ran.push('second');
      });
    });
    await waitUntil(() => ran.length === 2, { timeoutMs: 2_000, description: 'the task queued from inside the last' });
    expect(ran).toEqual(['first', 'second']);
  });
});
