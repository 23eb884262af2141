/**
 * Serialises the bot's writes to each Slack conversation and spaces new messages in it, so many requests finishing
 * at once in one channel do not trip Slack's per-channel limit (about one message a second). Writes to different
 * channels run in parallel. A 429 that still happens is waited out by the Web API client (it honours Retry-After).
 */
export interface ChannelQueue {
  /** Runs `task` after every earlier task for `channel`; `spaced` tasks also wait for the channel's interval. */
  run<T>(channel: string, task: () => Promise<T>, options?: { spaced?: boolean }): Promise<T>;
}

export function createChannelQueue(options: {
  intervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Awaited before each task: Slack writes are background work and let waiting acknowledgements go first. */
  beforeTask?: () => Promise<void>;
}): ChannelQueue {
  const now = options.now ?? (() => Date.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const tails = new Map<string, Promise<unknown>>();
  const lastSpaced = new Map<string, number>();
  return {
    run(channel, task, runOptions) {
      const previous = tails.get(channel) ?? Promise.resolve();
      const next = previous
        .catch(() => undefined)
        .then(async () => {
          if (runOptions?.spaced) {
            const wait = (lastSpaced.get(channel) ?? Number.NEGATIVE_INFINITY) + options.intervalMs - now();
            if (wait > 0) await sleep(wait);
            lastSpaced.set(channel, now());
          }
          await options.beforeTask?.();
          return task();
        });
      tails.set(channel, next);
      // Forget idle channels so the map does not grow with every DM the bot ever wrote to.
      void next
        .finally(() => {
          if (tails.get(channel) === next) tails.delete(channel);
        })
        .catch(() => undefined);
      return next;
    },
  };
}
