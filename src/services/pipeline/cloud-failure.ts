/** What a failed cloud call means to every flow: the failure as recorded and shown, and whether to try again. */
import { CloudApiError } from '../../errors.js';
import type { CloudFailure } from '../backup/model.js';

export function failureOf(error: unknown): CloudFailure {
  if (error instanceof CloudApiError) {
    // An unknown outcome wraps the attempt's own failure (see finalError in cloud-phone/failures.ts).
    const attempt = error.cause;
    const answer =
      error.outcomeUnknown && attempt instanceof CloudApiError && attempt.apiCode !== error.apiCode
        ? { code: attempt.apiCode, message: attempt.apiMessage }
        : undefined;
    return {
      code: error.apiCode,
      message: error.apiMessage,
      requestId: error.requestId,
      outcomeUnknown: error.outcomeUnknown,
      ...(answer ? { answer } : {}),
    };
  }
  // Not the cloud's: a bug or a local failure. Named so nobody looks it up among Alibaba Cloud's codes.
  return { code: 'BotError', message: error instanceof Error ? error.message : String(error) };
}

/**
 * What the cloud-call ledger records of a call that threw: `unknown` when it may have taken effect (never sent again,
 * looked up instead), else `failed`, with the cloud's code, message and RequestId.
 */
export function failedCall(failure: CloudFailure) {
  return {
    status: failure.outcomeUnknown ? ('unknown' as const) : ('failed' as const),
    cloudRequestId: failure.requestId,
    // What the cloud answered when it answered (a 503 body, say), for the message if the bot gives up.
    errorCode: failure.answer?.code ?? failure.code,
    errorMessage: failure.answer?.message ?? failure.message,
  };
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
