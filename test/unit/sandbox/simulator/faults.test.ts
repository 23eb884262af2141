import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../../../src/sandbox/simulator/faults.js';
import { streamFor } from '../../../../src/sandbox/simulator/random.js';

const injector = (seed = 1) => new FaultInjector(streamFor(seed, 'faults'));

describe('FaultInjector', () => {
  it('fires always by default, only for the chosen actions, and at most `times` times', () => {
    const faults = injector();
    faults.set({ throttle: { actions: ['BackupApp'], times: 2 } });
    expect(faults.pick('throttle', 'DescribeTasks', false)).toBeUndefined();
    expect(faults.pick('throttle', 'BackupApp', true)).toBeDefined();
    expect(faults.pick('throttle', 'BackupApp', true)).toBeDefined();
    expect(faults.pick('throttle', 'BackupApp', true)).toBeUndefined();
    expect(faults.pick('drop', 'BackupApp', true)).toBeUndefined();
  });

  it('limits dropAfterApply to mutating calls unless actions are named', () => {
    const faults = injector();
    faults.set({ dropAfterApply: {} });
    expect(faults.pick('dropAfterApply', 'DescribeTasks', false)).toBeUndefined();
    expect(faults.pick('dropAfterApply', 'StopAndroidInstance', true)).toBeDefined();
    faults.set({ dropAfterApply: { actions: ['DescribeTasks'] } });
    expect(faults.pick('dropAfterApply', 'DescribeTasks', false)).toBeDefined();
  });

  it('fires at roughly the given rate, the same way for the same seed', () => {
    const run = (seed: number) => {
      const faults = injector(seed);
      faults.set({ serverError: { rate: 0.3 } });
      return Array.from({ length: 400 }, () => faults.pick('serverError', 'X', false) !== undefined);
    };
    const first = run(5);
    expect(run(5)).toEqual(first);
    expect(run(6)).not.toEqual(first);
    const fired = first.filter(Boolean).length;
    expect(fired).toBeGreaterThan(80);
    expect(fired).toBeLessThan(160);
  });

  it('resets counters on set and refuses rates outside 0..1', () => {
    const faults = injector();
    faults.set({ drop: { times: 1 } });
    faults.pick('drop', 'X', false);
    faults.set({ drop: { times: 1 } });
    expect(faults.pick('drop', 'X', false)).toBeDefined();
    expect(() => faults.set({ drop: { rate: 2 } })).toThrow(RangeError);
    faults.set({});
    expect(faults.pick('drop', 'X', false)).toBeUndefined();
  });
});
