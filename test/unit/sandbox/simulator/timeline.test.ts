import { describe, expect, it } from 'vitest';
import { Timeline, VirtualClock } from '../../../../src/sandbox/simulator/timeline.js';

describe('Timeline', () => {
  it('replays due events in time order, then insertion order, each with its own scheduled time', () => {
    const timeline = new Timeline();
    const ran: string[] = [];
    timeline.schedule(20, 'b', (at) => ran.push(`b@${at}`));
    timeline.schedule(10, 'a', (at) => ran.push(`a@${at}`));
    timeline.schedule(20, 'c', (at) => ran.push(`c@${at}`));
    timeline.schedule(30, 'd', (at) => ran.push(`d@${at}`));
    expect(timeline.runUntil(25)).toBe(3);
    expect(ran).toEqual(['a@10', 'b@20', 'c@20']);
    expect(timeline.pending()).toEqual([{ at: 30, label: 'd' }]);
  });

  it('runs events scheduled by events in the same pass when they are due too', () => {
    const timeline = new Timeline();
    const ran: number[] = [];
    timeline.schedule(10, 'first', (at) => {
      ran.push(at);
      timeline.schedule(at + 5, 'second', (later) => ran.push(later));
      timeline.schedule(at + 50, 'third', (later) => ran.push(later));
    });
    timeline.runUntil(20);
    expect(ran).toEqual([10, 15]);
    timeline.runUntil(100);
    expect(ran).toEqual([10, 15, 60]);
  });

  it('does nothing before anything is due', () => {
    const timeline = new Timeline();
    timeline.schedule(10, 'x', () => {
      throw new Error('too early');
    });
    expect(timeline.runUntil(9)).toBe(0);
  });
});

describe('VirtualClock', () => {
  it('adds advanced time to the injected base clock', () => {
    let base = 1000;
    const clock = new VirtualClock(() => base);
    clock.advance(500);
    expect(clock.now()).toBe(1500);
    base = 2000;
    expect(clock.now()).toBe(2500);
  });

  it('refuses to go backwards', () => {
    expect(() => new VirtualClock().advance(-1)).toThrow(RangeError);
  });
});
