/**
 * Keeps the promise that a phone the bot stopped is started again, whatever becomes of the backup. The bot records a
 * phone (db/stopped-phones.ts) before it sends the stop, and forgets it only once it has seen it RUNNING. The backup's
 * start step drives its own phones through `restartFor`; `sweep` drives the rest (their request ended, or the bot
 * restarted) and runs in every poll round of the runner; `resume` at start-up gives every phone the bot still owes a
 * start a fresh try. Starts are sent and resolved by the one mutating-call policy (mutating-call.ts): a phone still
 * STOPPED is always safe to start again.
 */
import type { Logger } from 'pino';
import type { StoppedPhone, StoppedPhoneRepository } from '../../db/stopped-phones.js';
import { CloudApiError } from '../../errors.js';
import { chunk } from './cloud-failure.js';
import {
  afterAnswer,
  afterSend,
  backoffDelay,
  classifyFailure,
  decide,
  type Effect,
  type PolicySettings,
} from './mutating-call.js';
import type { Clock } from './ports.js';

export interface PowerCloud {
  describeInstances(query: { instanceIds: string[] }): Promise<{ instanceId: string; status: string }[]>;
  startInstances(ids: string[]): Promise<{ requestId: string }>;
}

export interface PowerKeeperSettings {
  /** CLOUDPHONE_TRANSIENT_RETRY_MS: how long a run of start failures is retried. */
  transientRetryMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** How long a phone may stay busy (stopping, backing up, starting) before the bot stops waiting for it. */
  startTimeoutMs: number;
  maxInstancesPerCall: number;
}

export interface PowerKeeperDeps {
  repo: StoppedPhoneRepository;
  cloud: PowerCloud;
  clock: Clock;
  settings: PowerKeeperSettings;
  logger: Logger;
  /** True while the request that stopped a phone still runs: its own start step drives that phone. */
  isRequestActive(requestId: string): boolean;
  /** Told whenever the set of phones the bot left stopped may have changed (metrics, health). */
  onLeftChanged?: () => void;
}

/** How a phone came out of a pass: running again, still on its way, or left stopped with the reason. */
export type RestartOutcome =
  | { state: 'running' }
  | { state: 'pending'; at: number }
  | { state: 'left'; errorCode: string; errorMessage: string };

/** Accepted starts that ended with the phone stopped again before the bot gives up on it. */
const MAX_INEFFECTIVE_STARTS = 3;
/** Phones the bot gave up on are looked at this often, so one started by a person clears /healthz. */
const LEFT_LOOK_MS = 60_000;

/** What a phone's status says about a StartAndroidInstance (docs §3.8 and §4.1). */
export function startEffect(status: string | undefined): Effect {
  switch (status) {
    case 'RUNNING':
      return 'taken';
    case 'STOPPED':
    case 'BACKUP_FAILED':
    case 'RECOVER_FAILED':
      return 'not-taken';
    case 'STARTING':
    case 'STOPPING':
    case 'BACKUPING':
    case 'RECOVERING':
    case 'REBOOTING':
    case 'RESETTING':
    case 'CREATING':
      return 'in-progress';
    default:
      // Missing, UNAVAILABLE, FAILED, DELETED…: nothing the bot can start.
      return 'unknown';
  }
}

const GIVE_UP_TEXT = {
  'window-passed': (ms: number) =>
    `the cloud kept refusing or not answering StartAndroidInstance for ${Math.round(ms / 1000)} s`,
  lasting: () => 'the cloud refused StartAndroidInstance',
  ineffective: () => `the cloud accepted StartAndroidInstance ${MAX_INEFFECTIVE_STARTS} times and the phone stayed off`,
} as const;

export function createPowerKeeper(deps: PowerKeeperDeps) {
  const { repo, cloud, clock, settings, logger } = deps;
  const policy: PolicySettings = {
    retryWindowMs: settings.transientRetryMs,
    backoffMs: settings.pollIntervalMs,
    maxBackoffMs: settings.maxPollIntervalMs,
    // A phone's status is exact about a start: one still STOPPED a poll after the answer did not start.
    settleMs: settings.pollIntervalMs,
    maxIneffective: MAX_INEFFECTIVE_STARTS,
  };
  /** Phones a pass is working on, so the sweep and a button never drive the same phone at once. */
  const busy = new Set<string>();

  async function statusesOf(ids: string[]): Promise<Map<string, string> | undefined> {
    try {
      const found = await cloud.describeInstances({ instanceIds: ids });
      return new Map(found.map((instance) => [instance.instanceId, instance.status]));
    } catch (error) {
      logger.warn({ err: error }, 'could not look up the phones the bot stopped; will look again');
      return undefined;
    }
  }

  function leave(phone: StoppedPhone, errorCode: string, errorMessage: string): RestartOutcome {
    repo.leave(phone, { code: errorCode, message: errorMessage }, clock.now() + LEFT_LOOK_MS, clock.now());
    logger.error(
      { instanceId: phone.instanceId, requestId: phone.requestId, errorCode },
      'the bot could not start a phone it stopped; it is left stopped',
    );
    deps.onLeftChanged?.();
    return { state: 'left', errorCode, errorMessage };
  }

  /** One look at the phones and, where the policy says so, one start call for those still off. */
  async function pass(phones: StoppedPhone[]): Promise<Map<string, RestartOutcome>> {
    const outcomes = new Map<string, RestartOutcome>();
    const mine = phones.filter((phone) => !busy.has(phone.instanceId));
    if (mine.length === 0) return outcomes;
    for (const phone of mine) busy.add(phone.instanceId);
    try {
      const statuses = await statusesOf(mine.map((phone) => phone.instanceId));
      const toStart: StoppedPhone[] = [];
      for (const phone of mine) {
        const now = clock.now();
        const status = statuses?.get(phone.instanceId);
        const effect: Effect = statuses === undefined ? 'unknown' : startEffect(status);
        // Busy (or unreadable) for longer than a start may take: the bot stops waiting and says so.
        if (
          (effect === 'in-progress' || effect === 'unknown') &&
          phone.startingSince !== undefined &&
          now - phone.startingSince > settings.startTimeoutMs
        ) {
          outcomes.set(
            phone.instanceId,
            leave(
              phone,
              'StartTimeout',
              `the phone was still ${status} after ${Math.round(settings.startTimeoutMs / 1000)} s`,
            ),
          );
          continue;
        }
        const move = decide({ history: phone.history, effect, now, settings: policy });
        switch (move.kind) {
          case 'done':
            repo.release(phone);
            outcomes.set(phone.instanceId, { state: 'running' });
            break;
          case 'wait':
            repo.lookLater(phone, move.at, now);
            outcomes.set(phone.instanceId, { state: 'pending', at: move.at });
            break;
          case 'give-up': {
            const seen = status ? ` (the phone is ${status})` : '';
            const code = phone.errorCode ?? (move.why === 'ineffective' ? 'StartIneffective' : 'StartFailed');
            const reason = `${GIVE_UP_TEXT[move.why](settings.transientRetryMs)}${seen}`;
            const detail = phone.errorMessage ? `${reason}; last error: ${phone.errorMessage}` : reason;
            outcomes.set(phone.instanceId, leave(phone, code, detail));
            break;
          }
          case 'send':
            toStart.push(phone);
            break;
        }
      }
      // Phones that failed before go one by one, so a refusal caused by one phone cannot hold back the others.
      const fresh = toStart.filter((phone) => phone.history.failures === 0);
      const groups = [
        ...chunk(fresh, settings.maxInstancesPerCall),
        ...toStart.filter((phone) => phone.history.failures > 0).map((phone) => [phone]),
      ];
      for (const group of groups) {
        for (const [instanceId, outcome] of await sendStart(group)) outcomes.set(instanceId, outcome);
      }
    } finally {
      for (const phone of mine) busy.delete(phone.instanceId);
    }
    return outcomes;
  }

  async function sendStart(group: StoppedPhone[]): Promise<Map<string, RestartOutcome>> {
    const outcomes = new Map<string, RestartOutcome>();
    const sentAt = clock.now();
    // Recorded before it is sent: after a crash the phone is looked at, and started again if still off.
    const sent = group.map((phone) => ({ phone, history: afterSend(phone.history, sentAt) }));
    for (const { phone, history } of sent) repo.saveHistory(phone, history, sentAt);
    try {
      const result = await cloud.startInstances(group.map((phone) => phone.instanceId));
      const now = clock.now();
      for (const { phone, history } of sent) {
        repo.saveHistory(phone, afterAnswer(history, 'accepted', now), now);
        repo.lookLater(phone, now + policy.settleMs, now);
        outcomes.set(phone.instanceId, { state: 'pending', at: now + policy.settleMs });
      }
      logger.info(
        { instances: group.map((p) => p.instanceId), cloudRequestId: result.requestId },
        'started phones the bot had stopped',
      );
    } catch (error) {
      const now = clock.now();
      let kind = classifyFailure(error);
      // A whole call refused for good may be down to one phone in it: each is tried alone before it counts as lasting.
      if (kind === 'lasting' && group.length > 1) kind = 'unknown-outcome';
      const code = error instanceof CloudApiError ? error.apiCode : 'InternalError';
      const message = error instanceof CloudApiError ? error.apiMessage : String(error);
      for (const { phone, history } of sent) {
        const next = afterAnswer(history, kind, now);
        repo.saveHistory(phone, next, now, { code, message });
        const at = now + backoffDelay(next.failures, policy);
        repo.lookLater(phone, at, now);
        outcomes.set(phone.instanceId, { state: 'pending', at });
      }
      logger.warn(
        { instances: group.map((p) => p.instanceId), code, kind },
        'StartAndroidInstance failed; the bot will look and try again',
      );
    }
    return outcomes;
  }

  /**
   * Drives every phone whose request no longer runs (it ended, or the bot restarted in between) and looks at the
   * ones it gave up on, so one someone started is no longer reported.
   */
  async function sweep(): Promise<void> {
    const now = clock.now();
    const due = repo
      .all()
      .filter((phone) => phone.nextLookAt <= now && !busy.has(phone.instanceId))
      .filter((phone) => !deps.isRequestActive(phone.requestId));
    const toDrive: StoppedPhone[] = [];
    const left: StoppedPhone[] = [];
    for (const phone of due) {
      if (phone.state === 'left') left.push(phone);
      else {
        if (phone.state === 'held') repo.startFor(phone.requestId, now);
        toDrive.push({ ...phone, startingSince: phone.startingSince ?? now });
      }
    }
    if (toDrive.length > 0) await pass(toDrive);
    if (left.length > 0) {
      const statuses = await statusesOf(left.map((phone) => phone.instanceId));
      for (const phone of left) {
        if (statuses?.get(phone.instanceId) === 'RUNNING') {
          repo.release(phone);
          logger.info({ instanceId: phone.instanceId }, 'a phone the bot had left stopped is running again');
          deps.onLeftChanged?.();
        } else repo.lookLater(phone, clock.now() + LEFT_LOOK_MS, clock.now());
      }
    }
  }

  return {
    /** Before StopAndroidInstance is sent: from here on the bot owes these phones a start. */
    hold(requestId: string, instanceIds: readonly string[]): void {
      repo.hold(requestId, instanceIds, clock.now());
    },
    /**
     * One pass of a request's start step over the phones it stopped. `done` once each is running again or left
     * stopped (`left` lists those); otherwise the step looks again at `wakeAt`.
     */
    async restartFor(requestId: string): Promise<{ done: boolean; wakeAt: number; left: StoppedPhone[] }> {
      repo.startFor(requestId, clock.now());
      const now = clock.now();
      const due = repo.forRequest(requestId).filter((phone) => phone.state === 'starting' && phone.nextLookAt <= now);
      await pass(due);
      const after = repo.forRequest(requestId);
      const waiting = after.filter((phone) => phone.state === 'starting');
      const wakeAt = Math.max(clock.now() + 1, Math.min(...waiting.map((phone) => phone.nextLookAt)));
      return { done: waiting.length === 0, wakeAt, left: after.filter((phone) => phone.state === 'left') };
    },
    /** The request asked for its phones to stay stopped: the bot owes them nothing. */
    forget(requestId: string): void {
      for (const phone of repo.forRequest(requestId)) repo.release(phone);
    },
    sweep,
    /**
     * At start-up, before the requests resume: every phone the bot stopped and has not seen running again gets a fresh
     * try with a new retry window (the time the bot was down does not count against it); the runner's first poll
     * round sweeps them. Phones still held by a backup that has not finished are left to it.
     */
    resume(): void {
      const now = clock.now();
      for (const phone of repo.all()) {
        if (phone.state !== 'held') repo.retry(phone.instanceId, now);
      }
      deps.onLeftChanged?.();
    },
    /**
     * A person's "Start it now": a fresh try for these phones, one pass now. Phones the bot does not owe a start are
     * absent from the answer.
     */
    async startNow(instanceIds: readonly string[]): Promise<Map<string, RestartOutcome>> {
      const now = clock.now();
      const phones: StoppedPhone[] = [];
      for (const instanceId of instanceIds) {
        const phone = repo.get(instanceId);
        if (!phone || phone.state === 'held') continue;
        repo.retry(instanceId, now);
        phones.push(repo.get(instanceId)!);
      }
      const outcomes = await pass(phones);
      deps.onLeftChanged?.();
      return outcomes;
    },
    /** The phones the bot gave up on, oldest first (for /healthz, /metrics and the button). */
    leftStopped(): StoppedPhone[] {
      return repo.left();
    },
  };
}

export type PowerKeeper = ReturnType<typeof createPowerKeeper>;
