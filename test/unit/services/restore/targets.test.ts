import { describe, expect, it } from 'vitest';
import type { InstanceSummary } from '../../../../src/services/fleet/instance-directory.js';
import { tooManyTargets, validateRestoreForm } from '../../../../src/services/restore/service.js';
import { createRestoreTargets } from '../../../../src/services/restore/targets.js';

const actor = { userId: 'U1', teamId: 'T1' };
const phone = (instanceId: string, name?: string): InstanceSummary => ({ instanceId, name, status: 'RUNNING' });

function targets(options: { instances?: InstanceSummary[]; listed?: boolean; unknown?: string[] | undefined } = {}) {
  const asked: string[][] = [];
  const resolver = createRestoreTargets({
    inScope: async () => ({ instances: options.instances ?? [], listed: options.listed ?? true }),
    unknownOf: async (ids) => {
      asked.push([...ids]);
      return 'unknown' in options ? options.unknown : [];
    },
  });
  return { resolver, asked };
}

describe('the restore form’s targets', () => {
  const fleet = [phone('acp-aaa01', 'support-01'), phone('acp-bbb02', 'Support-02'), phone('acp-ccc03', 'web')];

  it('resolves typed names (exact, else ignoring case) to their ids, keeps typed and picked ids, drops repeats', async () => {
    const { resolver } = targets({ instances: fleet });
    const resolved = await resolver.resolve(
      actor,
      'C1',
      ['support-01', 'support-02', 'acp-zzz09'],
      ['acp-aaa01', 'acp-ccc03'],
    );
    expect(resolved).toEqual({ ok: true, instanceIds: ['acp-aaa01', 'acp-ccc03', 'acp-bbb02', 'acp-zzz09'] });
  });

  it('takes a whole line as a name with spaces, and otherwise reads its words one by one', async () => {
    const { resolver, asked } = targets({ instances: [...fleet, phone('acp-eee05', 'Login phone')] });
    expect(await resolver.resolve(actor, 'C1', ['login phone', 'web support-01'], [])).toEqual({
      ok: true,
      instanceIds: ['acp-eee05', 'acp-ccc03', 'acp-aaa01'],
    });
    expect(asked).toEqual([]);
  });

  it('refuses a name no instance in scope has, a name two instances share, and names before any listing', async () => {
    expect(await targets({ instances: fleet }).resolver.resolve(actor, 'C1', ['foo', 'support-01'], [])).toEqual({
      ok: false,
      problem: { kind: 'unknown', entries: ['foo'] },
    });
    const twins = [...fleet, phone('acp-ddd04', 'web')];
    expect(await targets({ instances: twins }).resolver.resolve(actor, 'C1', ['web'], [])).toEqual({
      ok: false,
      problem: { kind: 'ambiguous', name: 'web', instanceIds: ['acp-ccc03', 'acp-ddd04'] },
    });
    expect(await targets({ listed: false }).resolver.resolve(actor, 'C1', ['web', 'acp-ccc03'], [])).toEqual({
      ok: false,
      problem: { kind: 'not-listed', entries: ['web'] },
    });
  });

  it('says what is wrong with an id typed slightly wrong instead of calling it an unknown name', async () => {
    const resolved = await targets({ instances: fleet }).resolver.resolve(actor, 'C1', ['ACP-AAA01'], []);
    expect(resolved.ok).toBe(false);
    expect(!resolved.ok && resolved.problem.kind).toBe('malformed');
    expect(!resolved.ok && resolved.problem.kind === 'malformed' && resolved.problem.message).toContain('lowercase');
  });

  it('tells unknown ids from the cloud, and lets them through when that cannot be told in time', async () => {
    const known = targets({ unknown: ['acp-zzz09'] });
    expect(await known.resolver.unknownIds(['acp-aaa01', 'acp-zzz09'])).toEqual(['acp-zzz09']);
    expect(known.asked).toEqual([['acp-aaa01', 'acp-zzz09']]);
    expect(await targets({ unknown: undefined }).resolver.unknownIds(['acp-zzz09'])).toEqual([]);
  });
});

describe('the restore form, checked for shape', () => {
  it('keeps typed lines whole for names, adds picked ids, and needs one to 100 targets in all', () => {
    expect(
      validateRestoreForm({
        backupFileId: 'bf-1',
        targets: 'Login phone\nacp-aaa01, web',
        picked: ['acp-aaa01', 'acp-b'],
      }),
    ).toEqual({
      ok: true,
      value: { backupFileId: 'bf-1', typed: ['Login phone', 'acp-aaa01', 'web'], picked: ['acp-b'] },
    });
    expect(validateRestoreForm({ backupFileId: 'bf-1' })).toEqual({
      ok: false,
      errors: { targets: 'Pick or type at least one instance to restore onto, by name or id.' },
    });
    const many = Array.from({ length: 60 }, (_, i) => `acp-x${i}`);
    expect(
      validateRestoreForm({ backupFileId: 'bf-1', targets: many.join('\n'), picked: many.map((id) => `${id}y`) }),
    ).toEqual({
      ok: false,
      errors: { targets: 'That is 120 instances; restore onto at most 100 at a time.' },
    });
    // A name with a space is one target: 100 such names are within the limit (not 200 words).
    const names = Array.from({ length: 100 }, (_, i) => `Login phone ${i}`).join('\n');
    expect(validateRestoreForm({ backupFileId: 'bf-1', targets: names }).ok).toBe(true);
    // Ids typed on one line are one entry here; once resolved they are counted one by one.
    expect(
      validateRestoreForm({ backupFileId: 'bf-1', targets: many.join(' '), picked: many.map((id) => `${id}y`) }).ok,
    ).toBe(true);
    expect(tooManyTargets(120)).toBe('That is 120 instances; restore onto at most 100 at a time.');
    expect(tooManyTargets(100)).toBeUndefined();
  });
});
