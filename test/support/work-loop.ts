/**
 * Helpers for tests of the work loop (src/services/work-loop.ts) through the backup engine and the restore runner:
 * gates that hold a fake cloud call in flight, and waits for what a person would notice.
 */
import { expect } from 'vitest';
import { waitUntil } from './wait-until.js';

/** A promise the test opens when it chooses: holds a fake cloud call in flight for as long as a test needs. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** Gates that are all opened when the test ends (call `openAll` in afterEach), so a failing test still stops. */
export function gates() {
  const made: ReturnType<typeof gate>[] = [];
  return {
    hold(): ReturnType<typeof gate> {
      const held = gate();
      made.push(held);
      return held;
    },
    openAll(): void {
      for (const held of made) held.open();
    },
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the promise settles within `ms` (for "still waiting?" checks). */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), pause(ms).then(() => false)]);
}

/** Waits until every request is done; 5 s at most, far less than the idle ticks the tests set. */
export async function allDone(ids: string[], stepOf: (id: string) => string | undefined): Promise<void> {
  await waitUntil(
    () => {
      expect(ids.map(stepOf)).toEqual(ids.map(() => 'done'));
      return true;
    },
    { timeoutMs: 5_000, description: `${ids.length} requests at step done` },
  );
}

/** Kicks the loop a few times over 100 ms, as a burst of new requests would. */
export async function kickAFewTimes(loop: { kick(): void }): Promise<void> {
  for (let i = 0; i < 5; i++) {
    loop.kick();
    await pause(20);
  }
}
