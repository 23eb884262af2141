/**
 * Serialises the bot's writes to each Slack conversation and spaces new messages in it, so many requests finishing
 * at once in one channel do not trip Slack's per-channel limit (about one message a second). Writes to different
 * channels run in parallel. A 429 that still happens is waited out by the Web API client (it honours Retry-After).
 *
 * Within a channel, `urgent` writes (the notifier's writes into threads that exist: progress updates and replies) go
 * before the others still waiting (new threads): when dozens of backups start in one channel, one that already
 * finished should not wait behind every "started" message still queued at 1 message a second.
 */
export interface ChannelQueue {
  /**
   * Runs `task` after every earlier task for `channel` (after the earlier urgent ones only, when `urgent`); `spaced`
   * tasks also wait for the channel's interval.
   */
  run<T>(channel: string, task: () => Promise<T>, options?: { spaced?: boolean; urgent?: boolean }): Promise<T>;
}

interface Job {
  task: () => Promise<unknown>;
  spaced: boolean;
  settle(outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): void;
}

interface Lanes {
  urgent: Job[];
  normal: Job[];
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
  // A channel is in this map while its writer runs; an idle channel is forgotten (no growth with every DM).
  const channels = new Map<string, Lanes>();
  const lastSpaced = new Map<string, number>();

  /** Takes the next job; a spaced one waits for the interval first, and whatever is most urgent by then goes. */
  async function next(channel: string, lanes: Lanes): Promise<Job | undefined> {
    for (;;) {
      const lane = lanes.urgent.length > 0 ? lanes.urgent : lanes.normal;
      const job = lane[0];
      if (!job) return undefined;
      if (job.spaced) {
        const wait = (lastSpaced.get(channel) ?? Number.NEGATIVE_INFINITY) + options.intervalMs - now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        lastSpaced.set(channel, now());
      }
      lane.shift();
      return job;
    }
  }

  async function drain(channel: string, lanes: Lanes): Promise<void> {
    for (;;) {
      const job = await next(channel, lanes);
      if (!job) {
        // Checked again after the await: a write queued meanwhile is still this writer's to run.
        if (lanes.urgent.length === 0 && lanes.normal.length === 0) {
          channels.delete(channel);
          return;
        }
        continue;
      }
      try {
        await options.beforeTask?.();
        job.settle({ ok: true, value: await job.task() });
      } catch (error) {
        job.settle({ ok: false, error });
      }
    }
  }

  return {
    run<T>(channel: string, task: () => Promise<T>, runOptions?: { spaced?: boolean; urgent?: boolean }) {
      return new Promise<T>((resolve, reject) => {
        const job: Job = {
          task,
          spaced: runOptions?.spaced === true,
          settle: (outcome) => (outcome.ok ? resolve(outcome.value as T) : reject(outcome.error)),
        };
        let lanes = channels.get(channel);
        const idle = !lanes;
        if (!lanes) {
          lanes = { urgent: [], normal: [] };
          channels.set(channel, lanes);
        }
        (runOptions?.urgent ? lanes.urgent : lanes.normal).push(job);
        if (idle) void drain(channel, lanes);
      });
    },
  };
}
