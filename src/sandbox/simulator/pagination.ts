/**
 * NextToken pagination. The token is a cursor (the creation sequence number of the last item returned), not an
 * offset, so items created or deleted between pages neither repeat nor go missing, as with the real service. It is
 * opaque base64 like the documented `AAAAAV3MpHK1…` and bound to one operation.
 */
import { invalidParameter } from './api-error.js';

export type Direction = 'desc' | 'asc';

export interface Page<T> {
  items: T[];
  totalCount: number;
  /** Empty string on the last page, as the docs say. */
  nextToken: string;
}

interface Cursor {
  scope: string;
  direction: Direction;
  after: number;
}

function encode(cursor: Cursor): string {
  return Buffer.from(`v1|${cursor.scope}|${cursor.direction}|${cursor.after}`).toString('base64');
}

function decode(token: string, scope: string): Cursor {
  const parts = Buffer.from(token, 'base64').toString('utf8').split('|');
  const [version, tokenScope, direction, after] = parts;
  if (
    parts.length !== 4 ||
    version !== 'v1' ||
    tokenScope !== scope ||
    (direction !== 'asc' && direction !== 'desc') ||
    !/^\d+$/.test(after ?? '')
  ) {
    throw invalidParameter('NextToken', 'the token is malformed or belongs to another operation.');
  }
  return { scope, direction, after: Number(after) };
}

/**
 * One page of `items` (already filtered), ordered by `seq` in `direction`. `TotalCount` counts every match, not the
 * page.
 */
export function paginate<T>(
  items: readonly T[],
  seq: (item: T) => number,
  options: { scope: string; direction: Direction; maxResults: number; nextToken?: string | undefined },
): Page<T> {
  const sorted = [...items].sort((a, b) => (options.direction === 'desc' ? seq(b) - seq(a) : seq(a) - seq(b)));
  let remaining = sorted;
  if (options.nextToken) {
    const cursor = decode(options.nextToken, options.scope);
    if (cursor.direction !== options.direction) {
      throw invalidParameter('NextToken', 'the token was issued for a different sort order.');
    }
    remaining = sorted.filter((item) =>
      options.direction === 'desc' ? seq(item) < cursor.after : seq(item) > cursor.after,
    );
  }
  const page = remaining.slice(0, options.maxResults);
  const last = page.at(-1);
  const more = remaining.length > page.length && last !== undefined;
  return {
    items: page,
    totalCount: sorted.length,
    nextToken: more ? encode({ scope: options.scope, direction: options.direction, after: seq(last) }) : '',
  };
}
