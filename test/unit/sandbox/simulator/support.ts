/** Builds a bare simulator state (no HTTP) with an injected clock, for state-machine tests. */
import { defaultFleet, populateFleet } from '../../../../src/sandbox/simulator/fleet.js';
import { IdGenerator, streamFor } from '../../../../src/sandbox/simulator/random.js';
import { type SimInstance, SimState, type Timing } from '../../../../src/sandbox/simulator/state.js';
import { VirtualClock } from '../../../../src/sandbox/simulator/timeline.js';

export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

export const TEST_TIMING: Timing = {
  stopMs: 100,
  startMs: 120,
  taskWaitMs: 10,
  taskProcessMs: 5,
  backupMs: 200,
  recoverMs: 150,
  deleteMs: 50,
};

export function makeState(options: { seed?: number | string; runningBackupFailureRate?: number } = {}) {
  let base = T0;
  const clock = new VirtualClock(() => base);
  const seed = options.seed ?? 1;
  const state = new SimState(
    { timing: TEST_TIMING, runningBackupFailureRate: options.runningBackupFailureRate ?? 0 },
    new IdGenerator(streamFor(seed, 'ids')),
    streamFor(seed, 'outcomes'),
  );
  populateFleet(state, defaultFleet(), clock.now());
  const byName = (name: string): SimInstance => {
    const found = [...state.instances.values()].find((instance) => instance.name === name);
    if (!found) throw new Error(`no instance ${name}`);
    return found;
  };
  /** Moves time to `T0 + ms` and applies what came due. */
  const at = (ms: number) => {
    base = T0 + ms;
    state.settle(clock.now());
  };
  return { state, clock, byName, at };
}
