import { describe, expect, it } from 'vitest';
import {
  blockChars,
  detectionOf,
  formatMb,
  formatMs,
  formatPercent,
  formatTimes,
  median,
  parseBlocks,
  percentile,
  renderTable,
  seededRandom,
} from '../../../bench/stats.js';

describe('percentile (nearest rank)', () => {
  it('takes the smallest sample with at least p% at or below it', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile(samples, 0)).toBe(1);
  });

  it('rounds the rank up, so p99 of 50 samples is the largest', () => {
    const samples = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(percentile(samples, 99)).toBe(50);
    expect(percentile(samples, 50)).toBe(25);
    expect(median([3, 1, 2])).toBe(2);
  });

  it('ignores non-finite samples and gives NaN for none', () => {
    expect(percentile([Number.NaN, 5, Number.POSITIVE_INFINITY], 50)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses p outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
});

describe('formatting', () => {
  it('shows milliseconds with sensible precision', () => {
    expect(formatMs(0.844)).toBe('0.84 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(845.2)).toBe('845 ms');
    expect(formatMs(2345)).toBe('2.35 s');
    expect(formatMs(Number.NaN)).toBe('n/a');
  });

  it('shows sizes, percentages and ratios', () => {
    expect(formatMb(123_456_789)).toBe('123.5 MB');
    expect(formatPercent(0.0312)).toBe('3.1%');
    expect(formatTimes(100)).toBe('100×');
    expect(formatTimes(1.5)).toBe('1.50×');
  });
});

describe('renderTable', () => {
  it('aligns columns and puts a rule under the header', () => {
    const text = renderTable([
      { metric: 'ack p99', measured: '12 ms', target: '< 90 ms', ratio: '0.4%', verdict: 'OK' },
      { metric: 'calls', measured: '100', target: '100', ratio: '100×', verdict: 'MISSED' },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('metric  | measured | target  | ratio | verdict');
    expect(lines[1]).toBe('--------+----------+---------+-------+--------');
    expect(lines[2]).toBe('ack p99 | 12 ms    | < 90 ms | 0.4%  | OK');
    expect(lines[3]).toBe('calls   | 100      | 100     | 100×  | MISSED');
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });

  it('flattens newlines inside cells', () => {
    const text = renderTable([{ metric: 'a\nb', measured: 'x', target: 'y', ratio: 'z', verdict: 'INFO' }]);
    expect(text.split('\n')[2]).toContain('a b');
  });
});

describe('seededRandom', () => {
  it('repeats for a seed and stays within [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});

describe('detectionOf', () => {
  it('finds the first poll at or after the finish and the gap from the poll before', () => {
    expect(detectionOf([5_000, 12_500, 23_750], 7_000, 0)).toEqual({ detectedAt: 12_500, intervalMs: 7_500 });
  });

  it('counts from the start of tracking when the first poll already saw the finish', () => {
    expect(detectionOf([5_000], 4_000, 100)).toEqual({ detectedAt: 5_000, intervalMs: 4_900 });
  });

  it('is undefined when no poll came after the finish', () => {
    expect(detectionOf([1_000, 2_000], 3_000, 0)).toBeUndefined();
  });
});

describe('blocks', () => {
  const blocks = [
    { type: 'section', text: { type: 'mrkdwn', text: 'hello' } },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: 'ab' },
        { type: 'plain_text', text: 'c' },
      ],
    },
  ];

  it('reads blocks sent as an array or as JSON text', () => {
    expect(parseBlocks(blocks)).toEqual(blocks);
    expect(parseBlocks(JSON.stringify(blocks))).toEqual(blocks);
    expect(parseBlocks('not json')).toEqual([]);
    expect(parseBlocks(undefined)).toEqual([]);
  });

  it('counts the characters under text keys, nested or not', () => {
    expect(blockChars(blocks)).toBe(8);
    expect(blockChars([])).toBe(0);
  });
});
