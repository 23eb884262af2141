/**
 * The one policy for mutating cloud calls (StopAndroidInstance, StartAndroidInstance, BackupApp, RecoverApp,
 * DeleteBackupFile): how to read a failure, and what to do next. Pure: the flows keep the history (in SQLite) and do
 * the looking; this module only decides, so every flow resolves failures the same way and tests can drive it alone.
 *
 * - A refusal that says the cloud did not act (throttling, a connection refused before a byte was sent) is sent again
 *   with back-off, for as long as the retry window (CLOUDPHONE_TRANSIENT_RETRY_MS) lasts from the first refusal.
 * - An unknown outcome (a timeout, a connection cut after sending, a 5xx that may have acted, a crash between
 *   recording the call and its answer) is resolved by looking: sent again only when the look shows it did not take
 *   effect, once its effect would be visible.
 * - A lasting refusal (any other 4xx) is final once a look confirms the call did not take effect after all.
 * - An accepted call whose effect does not show up (a start that ended with the phone stopped again) is sent again,
 *   a bounded number of times.
 */
import type { CallStatus } from '../../db/cloud-calls.js';
import { CloudApiError } from '../../errors.js';
import { failureOf } from './cloud-failure.js';

/** What a failed mutating call says about the cloud. */
export type FailureKind = 'not-acted' | 'unknown-outcome' | 'lasting';

/** How a send ended: still unanswered ('sent': a crash came in between), accepted, or one of the failure kinds. */
export type SendOutcome = 'sent' | 'accepted' | FailureKind;

export function classifyFailure(error: unknown): FailureKind {
  if (!(error instanceof CloudApiError)) return 'unknown-outcome';
  if (error.outcomeUnknown) return 'unknown-outcome';
  // The client marks as retryable only what the gateway refused before running, or what never left the machine.
  return error.retryable ? 'not-acted' : 'lasting';
}

/** What one call of one target has been through; kept by the flow, changed only through `afterSend`/`afterAnswer`. */
export interface CallHistory {
  last?: { outcome: SendOutcome; at: number } | undefined;
  /** When the current run of failures began (no accepted call since); the retry window counts from here. */
  failingSince?: number | undefined;
  /** Failures in the current run. */
  failures: number;
  /** Accepted sends that a later look showed did not take effect. */
  ineffective: number;
}

export const NO_HISTORY: CallHistory = Object.freeze({ failures: 0, ineffective: 0 });

/** What a look at the target shows about the call's effect. */
export type Effect =
  /** It took effect (the phone is running, the backup file exists, the file is gone). */
  | 'taken'
  /** It is on its way (the phone is starting); look again later. */
  | 'in-progress'
  /** It did not take effect, and sending it now can take effect. */
  | 'not-taken'
  /** The look failed or showed nothing usable. */
  | 'unknown';

export interface PolicySettings {
  /** How long a run of failures is retried, from the first one (CLOUDPHONE_TRANSIENT_RETRY_MS). */
  retryWindowMs: number;
  /** First back-off after a refusal; doubles with each further one. */
  backoffMs: number;
  /** Longest back-off. */
  maxBackoffMs: number;
  /**
   * How long after an unanswered or accepted send its effect should be visible to a look; before that, "not taken"
   * proves nothing. 0 when the look is exact (a phone still STOPPED did not start: sending Start again is safe).
   */
  settleMs: number;
  /** Accepted sends without effect before the refusal counts as lasting. */
  maxIneffective: number;
  /**
   * The retry window never counts from earlier than this: the bot's start, so a call left unanswered by a crash gets
   * a whole window after the restart (the time the bot was down does not count against it).
   */
  windowOpensAt?: number | undefined;
}

export type Move =
  | { kind: 'done' }
  | { kind: 'send' }
  /** Look again (or send, if the look then allows it) no earlier than `at`. */
  | { kind: 'wait'; at: number; why: 'back-off' | 'in-progress' | 'settling' | 'look-failed' }
  | { kind: 'give-up'; why: 'window-passed' | 'lasting' | 'ineffective' };

/** Back-off before the next send after `failures` refusals in a row: doubling from `backoffMs`, capped. */
export function backoffDelay(failures: number, settings: Pick<PolicySettings, 'backoffMs' | 'maxBackoffMs'>): number {
  const exponent = Math.min(30, Math.max(0, failures - 1));
  return Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** exponent);
}

/** True when the last send needs a look before anything else is decided. */
export function needsLook(history: CallHistory): boolean {
  return history.last !== undefined && history.last.outcome !== 'not-acted';
}

/**
 * The next move for one target. `effect` is what a look showed (undefined: no look was made, which is only fine when
 * `needsLook` is false). Looking is always allowed: a target found done needs nothing more.
 */
export function decide(input: {
  history: CallHistory;
  effect: Effect | undefined;
  now: number;
  settings: PolicySettings;
}): Move {
  const { history, effect, now, settings } = input;
  if (effect === 'taken') return { kind: 'done' };
  if (effect === 'in-progress') return { kind: 'wait', at: now + settings.backoffMs, why: 'in-progress' };
  const last = history.last;
  // Never sent: send, unless a look was made and could not tell what the target is doing (then look again).
  if (last === undefined) {
    return effect === 'unknown' ? { kind: 'wait', at: now + settings.backoffMs, why: 'look-failed' } : { kind: 'send' };
  }
  const windowEnd = Math.max(history.failingSince ?? last.at, settings.windowOpensAt ?? 0) + settings.retryWindowMs;
  const windowPassed = now >= windowEnd;

  if (last.outcome === 'not-acted') {
    // The cloud said it did nothing: the call may go again, after the back-off, within the window.
    if (windowPassed) return { kind: 'give-up', why: 'window-passed' };
    const due = last.at + backoffDelay(history.failures, settings);
    return now < due ? { kind: 'wait', at: Math.min(due, windowEnd), why: 'back-off' } : { kind: 'send' };
  }
  // Every other outcome is resolved by what the look shows.
  if (effect === undefined || effect === 'unknown') {
    if (windowPassed) return { kind: 'give-up', why: 'window-passed' };
    return { kind: 'wait', at: now + settings.backoffMs, why: 'look-failed' };
  }
  // effect === 'not-taken'
  if (now < last.at + settings.settleMs) return { kind: 'wait', at: last.at + settings.settleMs, why: 'settling' };
  switch (last.outcome) {
    case 'lasting':
      return { kind: 'give-up', why: 'lasting' };
    case 'accepted':
      return history.ineffective + 1 >= settings.maxIneffective
        ? { kind: 'give-up', why: 'ineffective' }
        : { kind: 'send' };
    default:
      // 'sent' or 'unknown-outcome', proven not to have taken effect.
      return windowPassed ? { kind: 'give-up', why: 'window-passed' } : { kind: 'send' };
  }
}

/** The history once a send is recorded (before it is made, so a crash leaves it 'sent'). */
export function afterSend(history: CallHistory, now: number): CallHistory {
  // A send after an accepted one means the look showed the accepted one did nothing.
  const ineffective = history.last?.outcome === 'accepted' ? history.ineffective + 1 : history.ineffective;
  return { ...history, ineffective, last: { outcome: 'sent', at: now } };
}

/** The history once the send's answer (or failure) is in. */
export function afterAnswer(history: CallHistory, outcome: Exclude<SendOutcome, 'sent'>, now: number): CallHistory {
  const at = history.last?.at ?? now;
  if (outcome === 'accepted') return { ...history, failures: 0, failingSince: undefined, last: { outcome, at } };
  return {
    ...history,
    failures: history.failures + 1,
    failingSince: history.failingSince ?? now,
    last: { outcome, at: outcome === 'not-acted' ? now : at },
  };
}

/** The history of a target rebuilt from its recorded sends, oldest first (for flows that keep one row per send). */
export function replay(sends: readonly { at: number; outcome: SendOutcome }[]): CallHistory {
  let history: CallHistory = NO_HISTORY;
  for (const send of sends) {
    history = afterSend(history, send.at);
    if (send.outcome !== 'sent') history = afterAnswer(history, send.outcome, send.at);
  }
  return history;
}

/** How a call's record (db/cloud-calls.ts, restore_calls) stores the policy's reading of its failure. */
export const RECORDED_FAILURE: Record<FailureKind, Exclude<CallStatus, 'sent'>> = {
  'not-acted': 'refused',
  'unknown-outcome': 'unknown',
  lasting: 'failed',
};

/** A failed call's settlement for the ledger: the policy's reading of the failure, and what the cloud said. */
export function recordedFailure(error: unknown) {
  const failure = failureOf(error);
  return {
    status: RECORDED_FAILURE[classifyFailure(error)],
    cloudRequestId: failure.requestId,
    errorCode: failure.code,
    errorMessage: failure.message,
  };
}

const OUTCOME_OF_RECORD: Record<CallStatus, SendOutcome> = {
  sent: 'sent',
  accepted: 'accepted',
  refused: 'not-acted',
  unknown: 'unknown-outcome',
  failed: 'lasting',
  // Looked up after an unknown outcome; what the look found decides the next move.
  reconciled: 'unknown-outcome',
};

/** The history of one target whose every recorded call was for it alone (a deletion), `calls` oldest first. */
export function historyOfCalls(calls: readonly { sentAt: number; status: CallStatus }[]): CallHistory {
  return replay(calls.map((call) => ({ at: call.sentAt, outcome: OUTCOME_OF_RECORD[call.status] })));
}

/** Each target's recorded sends, oldest first, as `replay` reads them (`calls` in the order they were made). */
export function sendsByTarget(
  calls: readonly { instanceIds: readonly string[]; sentAt: number; status: CallStatus }[],
): Map<string, { at: number; outcome: SendOutcome }[]> {
  const sends = new Map<string, { at: number; outcome: SendOutcome }[]>();
  for (const call of calls) {
    for (const instanceId of call.instanceIds) {
      const list = sends.get(instanceId) ?? [];
      list.push({ at: call.sentAt, outcome: OUTCOME_OF_RECORD[call.status] });
      sends.set(instanceId, list);
    }
  }
  return sends;
}
