/**
 * Describe* calls page with NextToken (MaxResults up to 100), and id-list parameters take at most 100 ids: the
 * helpers here follow every page and split long lists, so an operation reads as one call.
 */
import { CloudApiError } from '../errors.js';
import type { ResponseParser } from './schema.js';
import type { ParamValue } from './sign.js';
import type { Transport } from './transport.js';

/** Page size for every Describe* call (the API's maximum). */
export const PAGE_SIZE = 100;
/** A runaway NextToken chain is a service bug; stop rather than loop forever. */
export const MAX_PAGES = 1_000;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Follows NextToken to the end (or `maxPages`), MaxResults 100. */
export async function paginate<P extends { nextToken?: string | undefined }, I>(
  transport: Transport,
  action: string,
  params: Record<string, ParamValue>,
  schema: ResponseParser<P>,
  itemsOf: (page: P) => I[],
  maxPages = MAX_PAGES,
): Promise<I[]> {
  const out: I[] = [];
  const seen = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const result = await transport.invoke(
      action,
      { ...params, MaxResults: PAGE_SIZE, NextToken: nextToken },
      schema,
      false,
    );
    out.push(...itemsOf(result));
    nextToken = result.nextToken;
    if (nextToken === undefined) return out;
    if (seen.has(nextToken)) {
      throw new CloudApiError({
        apiCode: 'MalformedResponse',
        apiMessage: `the service returned NextToken ${nextToken} twice; stopping to avoid a loop`,
        action,
      });
    }
    seen.add(nextToken);
  }
  if (maxPages < MAX_PAGES) return out;
  throw new CloudApiError({
    apiCode: 'TooManyPages',
    apiMessage: `more than ${MAX_PAGES} pages; narrow the query`,
    action,
  });
}
