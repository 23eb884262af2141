import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../src/did-you-mean.js';

describe('didYouMean', () => {
  it('names the closest candidate as the candidate is spelled, whatever the case typed', () => {
    expect(didYouMean('SLACK_BOT_TOKN', ['SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN'])).toBe('SLACK_BOT_TOKEN');
    expect(didYouMean('Bakup', ['backup', 'restore'])).toBe('backup');
    expect(didYouMean('slack_signing_secret', ['SLACK_SIGNING_SECRET'])).toBe('SLACK_SIGNING_SECRET');
  });

  it('says nothing when no candidate is close enough to help', () => {
    expect(didYouMean('frobnicate', ['backup', 'restore', 'status'])).toBeUndefined();
    expect(didYouMean('x', [])).toBeUndefined();
  });

  it('keeps to the distance the caller allows, by default a third of the word and at least 2', () => {
    expect(didYouMean('bcakup', ['backup'], 1)).toBeUndefined();
    expect(didYouMean('bcakup', ['backup'], 2)).toBe('backup');
    expect(didYouMean('ab', ['abcd'])).toBe('abcd'); // 2 edits: the floor of 2 applies
    expect(didYouMean('abcdefghijkl', ['abcdefghXXXX'])).toBe('abcdefghXXXX'); // 4 edits, a third of 12
    expect(didYouMean('abcdefghijkl', ['abcdefgXXXXX'])).toBeUndefined(); // 5 edits
  });

  it('prefers the nearer candidate, and the earlier one on a tie', () => {
    expect(didYouMean('statuss', ['stats', 'status'])).toBe('status');
    expect(didYouMean('cat', ['bat', 'cab'])).toBe('bat');
  });

  it('turns a very long word down without comparing it letter by letter', () => {
    expect(didYouMean('b'.repeat(100_000), ['backup', 'restore'])).toBeUndefined();
  });
});
