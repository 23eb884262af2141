/**
 * Acknowledgements first. Slack gives the bot 3 seconds to answer each request, and every request, every runner step
 * and every Web API call the bot makes share one event loop. When 50 people press a button at once, background work
 * that runs between their requests (opening a modal costs the Web API client a few milliseconds of CPU, so does each
 * runner step) is added to every acknowledgement still waiting. So background work asks `afterAcks()` first: it
 * resolves when no Slack request is waiting for its answer, letting waiting tasks go one per event-loop turn so that
 * requests arriving in between are read and answered before the next task runs.
 *
 * A task never waits longer than `maxWaitMs`: under a steady flood of requests the background still moves (a
 * trigger id lives 3 seconds, so a modal must still open in time).
 */
import type { Server, ServerResponse } from 'node:http';

export interface AckPriority {
  /** Counts this server's requests until their response is sent (HTTP mode; Socket Mode acks over its socket). */
  watch(server: Server): void;
  /** Requests received whose answer has not been sent. */
  pending(): number;
  /** Resolves when no answer is pending (or after `maxWaitMs`). */
  afterAcks(): Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createAckPriority(options: { maxWaitMs?: number; quietMs?: number } = {}): AckPriority {
  const maxWaitMs = options.maxWaitMs ?? 250;
  // Requests of a burst arrive a few milliseconds apart; one answered before the next is read would otherwise let
  // background work in between them. "Nothing pending" therefore also needs this long without a new request.
  const quietMs = options.quietMs ?? 10;
  let pending = 0;
  let lastArrival = Number.NEGATIVE_INFINITY;
  const waiting: { release(): void; overdue: boolean }[] = [];
  let releasing = false;
  let quietTimer: NodeJS.Timeout | undefined;

  const quietFor = () => lastArrival + quietMs - performance.now();
  const idle = () => pending === 0 && quietFor() <= 0;

  /** Lets one waiting task go per event-loop turn while nothing is pending (overdue ones go regardless). */
  function releaseSoon(): void {
    if (releasing || waiting.length === 0) return;
    releasing = true;
    setImmediate(() => {
      releasing = false;
      const index = idle() ? 0 : waiting.findIndex((task) => task.overdue);
      if (index < 0) {
        // Only the quiet period is left: look again when it ends (an answer or a timeout also calls this).
        if (pending === 0 && !quietTimer) {
          quietTimer = setTimeout(
            () => {
              quietTimer = undefined;
              releaseSoon();
            },
            Math.max(1, Math.ceil(quietFor())),
          );
          quietTimer.unref();
        }
        return;
      }
      const [task] = waiting.splice(index, 1);
      task?.release();
      releaseSoon();
    });
  }

  function answered(): void {
    pending--;
    if (pending === 0) releaseSoon();
  }

  return {
    watch(server) {
      server.on('request', (_request, response: ServerResponse) => {
        pending++;
        lastArrival = performance.now();
        response.once('close', answered);
      });
    },
    pending: () => pending,
    async afterAcks() {
      // Requests that arrived in this turn of the loop are read before the check.
      await nextTurn();
      if (idle() && waiting.length === 0) return;
      await new Promise<void>((resolve) => {
        const task = {
          overdue: false,
          release() {
            clearTimeout(timer);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          task.overdue = true;
          releaseSoon();
        }, maxWaitMs);
        timer.unref();
        waiting.push(task);
        releaseSoon();
      });
    },
  };
}
