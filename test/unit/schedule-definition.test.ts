import { describe, expect, it } from 'vitest';
import { cadenceInWords, checkCron, checkTimeZone, nextRuns } from '../../src/services/schedules/cadence.js';
import { checkWave, validateScheduleInput, waveCount } from '../../src/services/schedules/spec.js';
import { checkTarget, parseTargets, resolveTargets } from '../../src/services/schedules/targets.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('cadence', () => {
  it('gives the next runs in the schedule time zone', () => {
    const runs = nextRuns({ cron: '0 3 * * *', timeZone: 'Asia/Shanghai' }, Date.parse('2026-12-05T00:00:00Z'), 3);
    expect(runs.map(iso)).toEqual(['2026-12-05T19:00:00.000Z', '2026-12-06T19:00:00.000Z', '2026-12-07T19:00:00.000Z']);
  });

  it('runs a time that the spring-forward gap skips once, when the gap ends', () => {
    // Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist that day,
    // so that day's run is at 03:00 local (01:00Z).
    const runs = nextRuns({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }, Date.parse('2026-03-28T00:00:00Z'), 3);
    expect(runs.map(iso)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('runs a time that the autumn repeat shows twice only once', () => {
    // Europe/Berlin repeats 02:00–03:00 on 2026-10-25.
    const runs = nextRuns({ cron: '30 2 * * *', timeZone: 'Europe/Berlin' }, Date.parse('2026-10-24T12:00:00Z'), 3);
    expect(runs.map(iso)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('refuses what is not five cron fields, or never runs, or an unknown zone, saying what to type', () => {
    const six = checkCron('0 0 3 * * *');
    expect(six.ok).toBe(false);
    if (!six.ok) expect(six.message).toContain('five cron fields');
    const bad = checkCron('61 3 * * *');
    expect(bad.ok).toBe(false);
    const never = checkCron('0 3 31 2 *');
    expect(never.ok).toBe(false);
    const zone = checkTimeZone('Mars/Olympus');
    expect(zone.ok).toBe(false);
    if (!zone.ok) expect(zone.message).toContain('Asia/Shanghai');
    expect(checkTimeZone('UTC')).toEqual({ ok: true, value: 'UTC' });
  });

  it('words a cadence for people', () => {
    expect(cadenceInWords({ cron: '0 3 * * *', timeZone: 'Asia/Shanghai' })).toContain('03:00');
  });
});

describe('targets', () => {
  const listing = [
    { instanceId: 'acp-qa1', status: 'RUNNING', instanceGroupId: 'ag-one' },
    { instanceId: 'acp-qa2', status: 'RUNNING', instanceGroupId: 'ag-two' },
    { instanceId: 'acp-prod1', status: 'RUNNING', instanceGroupId: 'ag-two' },
  ];

  it('resolves ids, globs and groups once each, and reports targets that match nothing', () => {
    const resolved = resolveTargets(parseTargets(['acp-qa*', 'ag-two', 'acp-gone', 'acp-qa1']), listing);
    expect(resolved.instances.map((i) => i.instanceId)).toEqual(['acp-qa1', 'acp-qa2', 'acp-prod1']);
    expect(resolved.unmatched).toEqual(['acp-gone']);
  });

  it('refuses a pattern that is not an instance pattern', () => {
    const checked = checkTarget('*');
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toContain('acp-qa*');
  });
});

describe('schedule input', () => {
  const good = {
    name: 'nightly-qa',
    targets: 'acp-qa*, ag-two',
    apps: 'com.a.app,com.b.app',
    backupPath: 'oss://cloudphone-saved-bucket-x/nightly/',
    cron: '0 3 * * *',
    timeZone: 'Asia/Shanghai',
    keep: '7',
    maxAge: '30d',
    wave: '10%',
  };

  it('turns good input into a spec', () => {
    const result = validateScheduleInput(good);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.spec.retention).toEqual({ keep: 7, maxAgeMs: 30 * 86_400_000 });
      expect(result.spec.wave).toEqual({ kind: 'percent', percent: 10 });
      expect(result.spec.targets).toEqual(['acp-qa*', 'ag-two']);
    }
  });

  it('names every bad field', () => {
    const result = validateScheduleInput({ ...good, name: 'Nightly QA', keep: '0', maxAge: '30', wave: '0', cron: '' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(['cron', 'keep', 'maxAge', 'name', 'wave']);
  });

  it('sizes a percentage wave from the matched instances, at least one', () => {
    const wave = checkWave('10%');
    expect(wave.ok && waveCount(wave.value, 10_000)).toBe(1000);
    expect(wave.ok && waveCount(wave.value, 3)).toBe(1);
  });
});
