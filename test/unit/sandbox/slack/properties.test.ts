import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TS_PATTERN, TsSequence } from '../../../../src/sandbox/slack/ids.js';
import { RateLimiter } from '../../../../src/sandbox/slack/rate-limit.js';
import { compareTs } from '../../../../src/sandbox/slack/state.js';

describe('properties', () => {
  it('message ts values are well-formed and strictly increasing whatever the clock does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), { minLength: 2 }),
        (times) => {
          let i = 0;
          const seq = new TsSequence(() => times[Math.min(i, times.length - 1)] as number);
          const out: string[] = [];
          for (i = 0; i < times.length; i += 1) out.push(seq.next());
          expect(out.every((ts) => TS_PATTERN.test(ts))).toBe(true);
          for (let k = 1; k < out.length; k += 1)
            expect(compareTs(out[k - 1] as string, out[k] as string)).toBeLessThan(0);
        },
      ),
    );
  });

  it('per-channel pacing never lets through more than burst + 1/s over any run of calls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 1, maxLength: 60 }),
        (burst, gaps) => {
          let now = 0;
          const limiter = new RateLimiter(() => now, {
            postMessageBurst: burst,
            perMinute: { 'chat.postMessage': 1e9 },
          });
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            const result = limiter.check('chat.postMessage', 'C1');
            if (!result.limited) allowed += 1;
            else expect(result.retryAfterSec).toBeGreaterThanOrEqual(1);
          }
          expect(allowed).toBeLessThanOrEqual(burst + Math.floor(now / 1000));
        },
      ),
    );
  });
});
