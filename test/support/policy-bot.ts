/**
 * One bot per test, started with a policy file of its own and a clock the test moves ahead (expiries, caches, the next
 * slot, without sleeping). Both are cleaned up after each test. Call once at the top of a test file.
 */
import { afterEach } from 'vitest';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';
import { writePolicyFile } from './policy-file.js';

export function usePolicyBot() {
  let harness: Harness | undefined;
  let policy: ReturnType<typeof writePolicyFile> | undefined;
  let aheadMs = 0;

  async function stop(): Promise<void> {
    await harness?.close();
    harness = undefined;
    policy?.remove();
    policy = undefined;
  }

  afterEach(async () => {
    await stop();
    aheadMs = 0;
  });

  return {
    /**
     * Starts the bot (closing one already running) with these policy lines as CLOUDPHONE_POLICY, or with no policy
     * file when `lines` is undefined; the bot's clock is the machine's plus what `advance` added.
     */
    async start(lines: readonly string[] | undefined, options: Omit<HarnessOptions, 'clock'> = {}): Promise<Harness> {
      await stop();
      if (lines) policy = writePolicyFile(lines);
      harness = await startHarness({
        ...options,
        env: { ...options.env, ...(policy ? { CLOUDPHONE_POLICY: policy.path } : {}) },
        clock: { now: () => Date.now() + aheadMs },
      });
      return harness;
    },
    /** Moves the bot's clock `ms` further ahead of the machine's. */
    advance(ms: number): void {
      aheadMs += ms;
    },
  };
}
