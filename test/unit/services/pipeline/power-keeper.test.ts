/**
 * The power keeper against a model cloud on a virtual clock, with real SQLite: arbitrary runs of throttling, 5xx,
 * lost answers (before and after the cloud acted), starts that fail later, failed looks and crashes of the bot (the
 * keeper is dropped mid-call and a new one starts on the same database). The guarantee: every phone the bot stopped
 * ends running, or, when the cloud never let it, is reported as left stopped; never silently off.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/db/database.js';
import { createStoppedPhoneRepository } from '../../../../src/db/stopped-phones.js';
import { CloudApiError } from '../../../../src/errors.js';
import { createPowerKeeper, type PowerCloud } from '../../../../src/services/pipeline/power-keeper.js';

const logger = pino({ level: 'silent' });

type Fault =
  | 'throttle' // refused before acting (after the client's own retries)
  | 'server-before' // 5xx, did not act
  | 'server-after' // 5xx, acted
  | 'lost-after' // acted, answer lost
  | 'refuse-lasting' // a 4xx that is not about the phone's state
  | 'start-fails-later' // accepted, and the phone comes back STOPPED
  | 'look-fails' // the DescribeAndroidInstances call fails
  | 'crash-before' // the bot dies before the call reaches the cloud
  | 'crash-after'; // the bot dies after the cloud acted, before the answer is recorded

const STARTABLE = new Set(['STOPPED', 'BACKUP_FAILED', 'RECOVER_FAILED']);
const START_MS = 400;

function modelCloud(ids: string[], faults: Fault[], now: () => number) {
  const phones = new Map(ids.map((id) => [id, { status: 'STOPPED', runningAt: 0, failLater: false }]));
  let crashed: (() => void) | undefined;
  const starts: { ids: string[]; statuses: string[] }[] = [];
  const unknown = (acted: boolean, code: string) =>
    new CloudApiError({
      apiCode: code,
      apiMessage: acted ? 'acted' : 'did not act',
      action: 'X',
      outcomeUnknown: true,
    });
  function tick() {
    for (const phone of phones.values()) {
      if (phone.status === 'STARTING' && now() >= phone.runningAt)
        phone.status = phone.failLater ? 'STOPPED' : 'RUNNING';
    }
  }
  function hang(): Promise<never> {
    crashed?.();
    return new Promise<never>(() => undefined);
  }
  const cloud: PowerCloud = {
    async describeInstances({ instanceIds }) {
      tick();
      if (faults[0] === 'look-fails') {
        faults.shift();
        throw new CloudApiError({ apiCode: 'ServiceUnavailable', apiMessage: 'x', action: 'D', retryable: true });
      }
      return instanceIds.map((instanceId) => ({ instanceId, status: phones.get(instanceId)?.status ?? 'DELETED' }));
    },
    async startInstances(instanceIds) {
      tick();
      starts.push({ ids: [...instanceIds], statuses: instanceIds.map((id) => phones.get(id)!.status) });
      const fault = faults[0] === 'look-fails' ? undefined : faults.shift();
      if (fault === 'crash-before') return hang();
      if (fault === 'throttle')
        throw new CloudApiError({ apiCode: 'Throttling.User', apiMessage: 't', action: 'S', retryable: true });
      if (fault === 'server-before') throw unknown(false, 'OutcomeUnknown');
      if (fault === 'refuse-lasting') throw new CloudApiError({ apiCode: 'Forbidden', apiMessage: 'f', action: 'S' });
      const targets = instanceIds.map((id) => phones.get(id)!);
      if (targets.some((phone) => !STARTABLE.has(phone.status))) {
        throw new CloudApiError({ apiCode: 'InvalidStatus.AndroidInstance', apiMessage: 'state', action: 'S' });
      }
      for (const phone of targets) {
        phone.status = 'STARTING';
        phone.runningAt = now() + START_MS;
        phone.failLater = fault === 'start-fails-later';
      }
      if (fault === 'crash-after') return hang();
      if (fault === 'server-after' || fault === 'lost-after') throw unknown(true, 'OutcomeUnknown');
      return { requestId: `R${starts.length}` };
    },
  };
  return {
    cloud,
    phones,
    starts,
    tick,
    onCrash(fn: () => void) {
      crashed = fn;
    },
  };
}

const faultArb = fc.constantFrom<Fault>(
  'throttle',
  'server-before',
  'server-after',
  'lost-after',
  'refuse-lasting',
  'start-fails-later',
  'look-fails',
  'crash-before',
  'crash-after',
);

/**
 * Runs one backup's start step (and, after a crash, a new bot's start-up pass) until the keeper says it is done.
 * Returns what the model cloud and the database say at the end.
 */
async function run(ids: string[], faults: Fault[], retryWindowMs: number) {
  let time = 1_000_000;
  const now = () => time;
  const db = openDatabase(':memory:');
  const repo = createStoppedPhoneRepository(db);
  const model = modelCloud(ids, faults, now);
  let requestActive = true;
  const make = () =>
    createPowerKeeper({
      repo,
      cloud: model.cloud,
      clock: { now },
      logger,
      settings: {
        transientRetryMs: retryWindowMs,
        pollIntervalMs: 100,
        maxPollIntervalMs: 2_000,
        startTimeoutMs: 60_000,
        maxInstancesPerCall: 2,
      },
      isRequestActive: () => requestActive,
    });
  repo.hold('req-1', ids, now());
  let keeper = make();
  let crashes = 0;
  for (let steps = 0; steps < 2_000; steps++) {
    const crash = new Promise<'crash'>((resolve) => model.onCrash(() => resolve('crash')));
    const pass = requestActive ? keeper.restartFor('req-1') : keeper.sweep().then(() => undefined);
    const result = await Promise.race([pass, crash]);
    if (result === 'crash') {
      // The process is gone; a new one starts on the same database (the request's step runs again too).
      crashes++;
      keeper = make();
      keeper.resume();
      const resumed = await Promise.race([keeper.sweep().then(() => 'ok' as const), crash]);
      if (resumed === 'crash') continue;
      continue;
    }
    if (result?.done) requestActive = false;
    if (!requestActive && repo.all().every((phone) => phone.state === 'left')) break;
    time += result && !result.done ? Math.max(1, result.wakeAt - time) : 100;
  }
  // Let every start that was accepted finish, as the cloud would.
  time += START_MS;
  model.tick();
  const rows = repo.all();
  db.close();
  return { model, rows, crashes };
}

describe('power keeper: a phone the bot stopped is started again', () => {
  it('property: under any run of faults within the retry window, every phone ends running and nothing is owed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom('p1', 'p2', 'p3'), { minLength: 1, maxLength: 3 }),
        // Every fault but a lasting refusal, and fewer starts that end with the phone off than make it give up (3).
        fc
          .array(
            faultArb.filter((f) => f !== 'refuse-lasting'),
            { maxLength: 12 },
          )
          .filter((faults) => faults.filter((f) => f === 'start-fails-later').length < 3),
        async (ids, faults) => {
          const { model, rows } = await run(ids, [...faults], 10 * 60_000);
          for (const id of ids) expect(model.phones.get(id)!.status, id).toBe('RUNNING');
          expect(rows).toEqual([]);
          // A start is only ever sent to a phone that can take it (one still off is always safe to start).
          for (const start of model.starts) {
            expect(start.statuses.every((s) => STARTABLE.has(s) || s === 'STARTING')).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: when the cloud keeps refusing, each phone is either running or reported as left stopped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.constantFrom('p1', 'p2', 'p3'), { minLength: 1, maxLength: 3 }),
        fc.array(faultArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 5_000 }),
        async (ids, faults, window) => {
          const { model, rows } = await run(ids, [...faults], window);
          const left = new Map(rows.map((row) => [row.instanceId, row]));
          for (const id of ids) {
            const status = model.phones.get(id)!.status;
            if (status === 'RUNNING') continue;
            // Not running: then the bot says so, with a reason.
            expect(left.get(id)?.state, `${id} is ${status}`).toBe('left');
            expect(left.get(id)?.errorCode).toBeTruthy();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a crash after the start was recorded but before it was sent does not stop the bot from sending it', async () => {
    const { model, rows, crashes } = await run(['p1'], ['crash-before'], 60_000);
    expect(crashes).toBe(1);
    expect(model.phones.get('p1')!.status).toBe('RUNNING');
    expect(model.starts.length).toBe(2);
    expect(rows).toEqual([]);
  });

  it('a lasting refusal is reported as left stopped with the cloud’s code', async () => {
    const { model, rows } = await run(['p1'], ['refuse-lasting'], 60_000);
    expect(model.phones.get('p1')!.status).toBe('STOPPED');
    expect(rows).toMatchObject([{ instanceId: 'p1', state: 'left', errorCode: 'Forbidden' }]);
  });
});
