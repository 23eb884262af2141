import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CloudApiError } from '../../../../src/errors.js';
import {
  afterAnswer,
  afterSend,
  backoffDelay,
  type CallHistory,
  classifyFailure,
  decide,
  type Effect,
  NO_HISTORY,
  type PolicySettings,
  replay,
} from '../../../../src/services/pipeline/mutating-call.js';

const settings: PolicySettings = {
  retryWindowMs: 60_000,
  backoffMs: 100,
  maxBackoffMs: 5_000,
  settleMs: 1_000,
  maxIneffective: 3,
};

const cloudError = (details: { outcomeUnknown?: boolean; retryable?: boolean; apiCode?: string }) =>
  new CloudApiError({ apiCode: details.apiCode ?? 'X', apiMessage: 'm', action: 'StartAndroidInstance', ...details });

describe('classifyFailure', () => {
  it('reads the client’s verdict: unknown outcome, refused before acting, or refused for good', () => {
    expect(classifyFailure(cloudError({ outcomeUnknown: true }))).toBe('unknown-outcome');
    expect(classifyFailure(cloudError({ retryable: true, apiCode: 'Throttling.User' }))).toBe('not-acted');
    expect(classifyFailure(cloudError({ apiCode: 'InvalidStatus.AndroidInstance' }))).toBe('lasting');
    // Something that is not a cloud answer at all may have happened after sending: look before sending again.
    expect(classifyFailure(new TypeError('boom'))).toBe('unknown-outcome');
  });
});

describe('decide', () => {
  const at = (history: CallHistory, effect: Effect | undefined, now: number) =>
    decide({ history, effect, now, settings });

  it('sends a call never sent, and stops at an effect that shows', () => {
    expect(at(NO_HISTORY, undefined, 0)).toEqual({ kind: 'send' });
    expect(at(afterSend(NO_HISTORY, 0), 'taken', 5)).toEqual({ kind: 'done' });
  });

  it('backs off after a refusal and gives up once the window has passed', () => {
    const refused = afterAnswer(afterSend(NO_HISTORY, 0), 'not-acted', 0);
    expect(at(refused, undefined, 50)).toMatchObject({ kind: 'wait', why: 'back-off', at: 100 });
    expect(at(refused, undefined, 100)).toEqual({ kind: 'send' });
    expect(at(refused, 'not-taken', 60_000)).toEqual({ kind: 'give-up', why: 'window-passed' });
  });

  it('never re-sends an unknown outcome without a look that shows it did not take effect', () => {
    const unknown = afterAnswer(afterSend(NO_HISTORY, 0), 'unknown-outcome', 10);
    expect(at(unknown, undefined, 5_000).kind).toBe('wait');
    expect(at(unknown, 'unknown', 5_000).kind).toBe('wait');
    expect(at(unknown, 'not-taken', 500)).toMatchObject({ kind: 'wait', why: 'settling' });
    expect(at(unknown, 'not-taken', 1_000)).toEqual({ kind: 'send' });
  });

  it('gives up on a lasting refusal only when the look confirms it did not take effect', () => {
    const refused = afterAnswer(afterSend(NO_HISTORY, 0), 'lasting', 0);
    expect(at(refused, 'in-progress', 2_000).kind).toBe('wait');
    expect(at(refused, 'not-taken', 2_000)).toEqual({ kind: 'give-up', why: 'lasting' });
  });

  it('sends an accepted call again when it did not take effect, a bounded number of times', () => {
    let history = NO_HISTORY;
    let now = 0;
    const moves: string[] = [];
    for (let i = 0; i < 5; i++) {
      const move = at(history, 'not-taken', now);
      moves.push(move.kind);
      if (move.kind !== 'send') break;
      history = afterAnswer(afterSend(history, now), 'accepted', now);
      now += settings.settleMs;
    }
    expect(moves).toEqual(['send', 'send', 'send', 'give-up']);
  });

  it('property: within the window, a call whose effect never shows is eventually sent again or given up, never both', () => {
    const outcome = fc.constantFrom('accepted', 'not-acted', 'unknown-outcome', 'lasting', 'sent' as const);
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 20_000 }), outcome }), { maxLength: 12 }),
        fc.constantFrom<Effect | undefined>('not-taken', 'unknown', 'in-progress', undefined),
        (sends, effect) => {
          let now = 0;
          const recorded = sends.map(({ gap, outcome: o }) => {
            now += gap;
            return { at: now, outcome: o };
          });
          const history = replay(recorded);
          const move = decide({ history, effect, now: now + 1, settings });
          // A call whose last answer may have acted is never sent without a look saying it did not.
          if (history.last && history.last.outcome !== 'not-acted' && move.kind === 'send') {
            expect(effect).toBe('not-taken');
          }
          // An effect on its way is waited for, not re-sent and not given up on.
          if (effect === 'in-progress') expect(move.kind).toBe('wait');
          // A wait always ends: its time is in the future and no later than a back-off from now.
          if (move.kind === 'wait') {
            expect(move.at).toBeGreaterThan(now);
            expect(move.at).toBeLessThanOrEqual(now + 1 + Math.max(settings.maxBackoffMs, settings.settleMs));
          }
        },
      ),
    );
  });

  it('back-off doubles from the first delay up to the cap', () => {
    expect([1, 2, 3, 4, 10, 100].map((n) => backoffDelay(n, settings))).toEqual([100, 200, 400, 800, 5_000, 5_000]);
  });
});
