/** What a failed cloud call means to every flow: the failure as recorded and shown, and whether to try again. */
import { CloudApiError } from '../../errors.js';
import type { CloudFailure } from '../backup/model.js';

export function failureOf(error: unknown): CloudFailure {
  if (error instanceof CloudApiError) {
    return {
      code: error.apiCode,
      message: error.apiMessage,
      requestId: error.requestId,
      outcomeUnknown: error.outcomeUnknown,
    };
  }
  return { code: 'InternalError', message: error instanceof Error ? error.message : String(error) };
}

/** A failure that may pass if tried again later: throttling, 5xx, network, timeouts (never an unknown outcome). */
export function isTransient(error: unknown): boolean {
  return error instanceof CloudApiError && error.retryable && !error.outcomeUnknown;
}

/** `items` in runs of at most `size` (one cloud call each). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
