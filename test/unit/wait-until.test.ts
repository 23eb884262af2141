import { describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait-until.js';

describe('waitUntil', () => {
  it('resolves with the first value the check gives', async () => {
    let calls = 0;
    const value = await waitUntil(() => (++calls >= 3 ? { calls } : undefined), { timeoutMs: 1_000, description: 'x' });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throwing check (an assertion) as "not yet"', async () => {
    let calls = 0;
    await waitUntil(
      () => {
        calls += 1;
        expect(calls).toBe(2);
        return true;
      },
      { timeoutMs: 1_000, description: 'the second call' },
    );
    expect(calls).toBe(2);
  });

  it('fails with the description and the last assertion when time runs out', async () => {
    await expect(
      waitUntil(
        () => {
          expect('pending').toBe('done');
        },
        { timeoutMs: 30, description: 'the request to finish' },
      ),
    ).rejects.toThrow(/waited 30 ms for the request to finish; last check: .*pending/);
  });
});
