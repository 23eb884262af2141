/**
 * The scheduling the runner uses: up to `concurrency` request advances in flight at
 * all times (when one ends the next due request starts, so one slow cloud call holds up only its own request), task
 * polling alongside (one poll at a time, never in the way of advances), and sleep only while nothing is due.
 */
import type { Logger } from 'pino';
import type { Clock } from './ports.js';

/** Due requests `tick()` takes at once. */
const TICK_LIMIT = 200;

export interface WorkLoopDeps {
  /** Names the loop in log lines. */
  name: string;
  clock: Clock;
  logger: Logger;
  /** Longest sleep; also how often a poll round runs when no task is due, so its side work keeps a cadence. */
  idleTickMs: number;
  /** Requests advanced at once. */
  concurrency: number;
  /** Due request ids, longest due first. */
  dueIds(now: number, limit: number): string[];
  /** When the soonest request that is not due at `now` wakes. */
  nextWakeAfter(now: number): number | undefined;
  /** When the soonest open task is due for a poll. */
  nextPollAt(): number | undefined;
  /** Runs the request's current step; expected to handle its own errors (anything thrown is only logged). */
  advance(id: string): Promise<void>;
  /** Polls the due tasks and shows progress; returns the requests whose last task ended (already woken). */
  poll(): Promise<Iterable<string>>;
  /**
   * Resolves when background work may run (src/slack/ack-priority.ts: no Slack request waits for its answer).
   * Without it the loop still lets waiting I/O in between launches.
   */
  afterAcks?: () => Promise<void>;
}

export function createWorkLoop(deps: WorkLoopDeps) {
  const { name, clock, logger, idleTickMs, concurrency } = deps;
  const yieldToAcks = deps.afterAcks ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const inFlight = new Map<string, Promise<void>>();
  let polling: Promise<void> | undefined;
  /** A round runs by then even with no task due; pushed out one idle tick after each round. */
  let roundDueAt = 0;
  /** After a failed round, the next waits a whole idle tick, so a broken poll is not retried in a tight loop. */
  let roundBlockedUntil = 0;
  let running = false;
  let loop: Promise<void> | undefined;
  /** Set by anything that may have made work startable, so a wake-up that comes before the sleep is not lost. */
  let nudged = false;
  let wake: (() => void) | undefined;

  function nudge(): void {
    nudged = true;
    wake?.();
  }

  /**
   * Advances a request unless it is already being advanced (`tick()` may meet one the running loop has in flight);
   * settles when that advance ends, never rejects.
   */
  function launch(id: string): Promise<void> {
    if (inFlight.has(id)) return Promise.resolve();
    const run = (async () => {
      try {
        await deps.advance(id);
      } catch (error) {
        logger.error({ requestId: id, err: error }, `${name}: advancing a request failed`);
      } finally {
        inFlight.delete(id);
        nudge();
      }
    })();
    inFlight.set(id, run);
    return run;
  }

  function pollDueAt(): number {
    return Math.max(roundBlockedUntil, Math.min(roundDueAt, deps.nextPollAt() ?? Number.POSITIVE_INFINITY));
  }

  function startPoll(): void {
    polling = (async () => {
      try {
        // Requests whose last task ended were woken in the database, so the loop picks them up as due.
        await deps.poll();
        roundDueAt = clock.now() + idleTickMs;
      } catch (error) {
        logger.error({ err: error }, `${name}: polling tasks failed`);
        roundDueAt = roundBlockedUntil = clock.now() + idleTickMs;
      } finally {
        polling = undefined;
        nudge();
      }
    })();
  }

  /** Sleeps up to `ms`, or not at all when nudged since the loop last looked for work. */
  function sleep(ms: number): Promise<void> {
    if (nudged || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  /** Starts what is due and returns how long nothing more can start (an ending advance or a kick cuts it short). */
  async function startDue(): Promise<number> {
    nudged = false;
    // Engine work is background work: Slack requests waiting for their answer go first.
    await yieldToAcks();
    const now = clock.now();
    if (!polling && pollDueAt() <= now) startPoll();
    // In-flight requests are usually still due, so asking for `concurrency` ids always leaves enough to fill the slots.
    const free = concurrency - inFlight.size;
    const due = free > 0 ? deps.dueIds(now, concurrency).filter((id) => !inFlight.has(id)) : [];
    for (const [index, id] of due.slice(0, free).entries()) {
      if (!running) return 0;
      // A step runs synchronously up to its first cloud call; let waiting acknowledgements in between launches.
      if (index > 0) await yieldToAcks();
      void launch(id);
    }
    // Requests due at `now` are in flight by now; the ones still to come are after it.
    const next = Math.min(
      deps.nextWakeAfter(now) ?? Number.POSITIVE_INFINITY,
      polling ? Number.POSITIVE_INFINITY : pollDueAt(),
    );
    return Math.min(idleTickMs, next - clock.now());
  }

  async function run(): Promise<void> {
    while (running) {
      let wait: number;
      try {
        wait = await startDue();
      } catch (error) {
        logger.error({ err: error }, `${name}: the work loop failed; trying again`);
        wait = idleTickMs;
      }
      if (running) await sleep(wait);
    }
  }

  return {
    /** Advances everything due once, then polls once and advances the drained requests; tests drive loops with it. */
    async tick(): Promise<void> {
      const due = deps.dueIds(clock.now(), TICK_LIMIT);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < due.length) await launch(due[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
      for (const id of await deps.poll()) await launch(id);
    },
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Looks for work now (a new request arrived). */
    kick: nudge,
    /** Takes no new work and waits for the advances and the poll in flight, so their cloud calls are recorded. */
    async stop(): Promise<void> {
      running = false;
      nudge();
      await loop;
      await Promise.all([...inFlight.values(), polling]);
    },
    isRunning: () => running,
  };
}
