import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/sandbox/simulator/api-error.js';
import { paginate } from '../../../../src/sandbox/simulator/pagination.js';

const seq = (n: number) => n;

function allPages(items: number[], maxResults: number, direction: 'asc' | 'desc') {
  const seen: number[] = [];
  let nextToken: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = paginate(items, seq, { scope: 'Test', direction, maxResults, nextToken });
    expect(page.totalCount).toBe(items.length);
    seen.push(...page.items);
    if (!page.nextToken) return seen;
    nextToken = page.nextToken;
  }
  throw new Error('pagination did not end');
}

describe('paginate', () => {
  it('walks every item exactly once, in order, whatever the page size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
        (items, maxResults, direction) => {
          const expected = [...items].sort((a, b) => (direction === 'asc' ? a - b : b - a));
          expect(allPages(items, maxResults, direction)).toEqual(expected);
        },
      ),
    );
  });

  it('gives an empty NextToken on the last page', () => {
    expect(paginate([1, 2], seq, { scope: 'Test', direction: 'desc', maxResults: 2 }).nextToken).toBe('');
  });

  it('is a cursor: items created or deleted between pages neither repeat nor go missing', () => {
    const first = paginate([1, 2, 3, 4, 5], seq, { scope: 'Test', direction: 'desc', maxResults: 2 });
    expect(first.items).toEqual([5, 4]);
    // 6 is new (it belongs before the cursor), 3 was deleted.
    const second = paginate([1, 2, 4, 5, 6], seq, {
      scope: 'Test',
      direction: 'desc',
      maxResults: 2,
      nextToken: first.nextToken,
    });
    expect(second.items).toEqual([2, 1]);
  });

  it('refuses a token that is malformed or was issued by another operation', () => {
    const token = paginate([1, 2, 3], seq, { scope: 'A', direction: 'desc', maxResults: 1 }).nextToken;
    for (const bad of ['garbage', token.slice(0, -4)]) {
      expect(() => paginate([1], seq, { scope: 'A', direction: 'desc', maxResults: 1, nextToken: bad })).toThrow(
        ApiError,
      );
    }
    expect(() => paginate([1], seq, { scope: 'B', direction: 'desc', maxResults: 1, nextToken: token })).toThrow(
      /NextToken/,
    );
  });
});
