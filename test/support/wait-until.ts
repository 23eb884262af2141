/**
 * The one way tests wait: until `check` gives a value (anything but undefined, null or false) or stops throwing,
 * checked every few milliseconds, failing after `timeoutMs` with the description and the check's last error. A wait
 * is for something to happen; to show that something did NOT happen, wait for the code's next tick (see
 * `afterEngineTicks`) and then assert.
 */

export interface WaitUntilOptions {
  timeoutMs: number;
  /** What the test waits for, in words: the timeout error says it. */
  description: string;
  /** How often to check (default 10 ms). */
  intervalMs?: number;
}

type Falsy = undefined | null | false;

export async function waitUntil<T>(check: () => T | Falsy | Promise<T | Falsy>, options: WaitUntilOptions): Promise<T> {
  const { timeoutMs, description, intervalMs = 10 } = options;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const why = lastError instanceof Error ? `; last check: ${lastError.message}` : '';
      throw new Error(`waited ${timeoutMs} ms for ${description}${why}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Resolves after `count` turns of the event loop: for code that schedules its decisions one turn at a time
 * (setImmediate), this is the code's own tick, so "it had its chance and did not" holds however busy the machine is.
 */
export async function eventLoopTurns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
