import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceOptions, MAX_SUGGESTIONS } from '../../../../src/blocks/instance-options.js';
import { createInstanceDirectory, type InstanceSummary } from '../../../../src/services/fleet/instance-directory.js';
import { createInstanceSuggestions } from '../../../../src/services/fleet/instance-suggestions.js';

const fleet: InstanceSummary[] = [
  { instanceId: 'acp-prod-2', name: 'checkout', status: 'Running', instanceGroupId: 'ag-prod' },
  { instanceId: 'acp-prod-1', name: 'Login phone', status: 'Stopped', instanceGroupId: 'ag-prod' },
  { instanceId: 'acp-test-1', name: 'qa', status: 'Running', instanceGroupId: 'ag-test' },
  { instanceId: 'acp-lab-9', status: 'Running' },
];

/** A cloud that answers from `fleet`, counts its calls, and can be made to fail or stall. */
function fakeCloud() {
  const cloud = {
    calls: [] as (string[] | 'all')[],
    fail: false,
    stall: false,
    instances: fleet,
    async describe(query: { instanceIds?: string[] }) {
      cloud.calls.push(query.instanceIds ?? 'all');
      if (cloud.stall) await new Promise(() => undefined);
      if (cloud.fail) throw new Error('ServiceUnavailable');
      const ids = query.instanceIds;
      return ids ? cloud.instances.filter((i) => ids.includes(i.instanceId)) : cloud.instances;
    },
  };
  return cloud;
}

function setup(ttlMs = 1_000) {
  const cloud = fakeCloud();
  let now = 0;
  const errors: unknown[] = [];
  const directory = createInstanceDirectory({
    describe: (q) => cloud.describe(q),
    ttlMs,
    now: () => now,
    onError: (error) => errors.push(error),
  });
  return { cloud, directory, errors, advance: (ms: number) => (now += ms) };
}

describe('the instance directory', () => {
  it('lists once, shares the listing, and serves a stale one while it refreshes', async () => {
    const { cloud, directory, advance } = setup();
    const [a, b] = await Promise.all([directory.list({ waitMs: 1_000 }), directory.list({ waitMs: 1_000 })]);
    expect(a).toEqual(fleet);
    expect(b).toBe(a);
    expect(cloud.calls).toEqual(['all']);
    advance(1_500);
    cloud.instances = fleet.slice(0, 1);
    // Stale: answered at once from the old listing, refreshed behind it.
    expect(await directory.list({ waitMs: 1_000 })).toEqual(fleet);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cloud.calls).toEqual(['all', 'all']);
    expect(await directory.list({ waitMs: 1_000 })).toEqual(fleet.slice(0, 1));
  });

  it('answers without a listing when the first one is late, and keeps it for the next question', async () => {
    const { cloud, directory } = setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = cloud.describe.bind(cloud);
    cloud.describe = async (q) => {
      await gate;
      return slow(q);
    };
    expect(await directory.list({ waitMs: 20 })).toBeUndefined();
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await directory.list({ waitMs: 0 })).toEqual(fleet);
  });

  it('does not keep a failure: it reports it and asks again next time', async () => {
    const { cloud, directory, errors } = setup();
    cloud.fail = true;
    await expect(directory.list({ waitMs: 1_000 })).rejects.toThrow('ServiceUnavailable');
    expect(errors).toHaveLength(1);
    cloud.fail = false;
    expect(await directory.list({ waitMs: 1_000 })).toEqual(fleet);
    expect(cloud.calls).toEqual(['all', 'all']);
  });

  it('finds instance groups in a fresh listing, else asks for just the missing ids', async () => {
    const { cloud, directory, advance } = setup();
    // No listing: asks by id, and remembers (an unknown id is in no group).
    expect(await directory.groupsOf(['acp-prod-1', 'acp-nope'], { waitMs: 1_000 })).toEqual({
      'acp-prod-1': 'ag-prod',
    });
    expect(await directory.groupsOf(['acp-prod-1', 'acp-nope'], { waitMs: 1_000 })).toEqual({
      'acp-prod-1': 'ag-prod',
    });
    expect(cloud.calls).toEqual([['acp-prod-1', 'acp-nope']]);
    await directory.list({ waitMs: 1_000 });
    expect(await directory.groupsOf(['acp-test-1', 'acp-lab-9'], { waitMs: 1_000 })).toEqual({
      'acp-test-1': 'ag-test',
    });
    expect(cloud.calls).toHaveLength(2);
    // Once the listing is older than the cache time, a group moved in the cloud is seen.
    advance(1_500);
    cloud.instances = fleet.map((i) => (i.instanceId === 'acp-test-1' ? { ...i, instanceGroupId: 'ag-prod' } : i));
    expect(await directory.groupsOf(['acp-test-1'], { waitMs: 1_000 })).toEqual({ 'acp-test-1': 'ag-prod' });
    expect(cloud.calls.at(-1)).toEqual(['acp-test-1']);
  });

  it('finds instance regions the same way, sharing what it learnt with groupsOf', async () => {
    const { cloud, directory } = setup();
    cloud.instances = fleet.map((i) => ({
      ...i,
      region: i.instanceId.startsWith('acp-prod') ? 'cn-shanghai' : 'cn-hangzhou',
    }));
    expect(await directory.regionsOf(['acp-prod-1', 'acp-nope'], { waitMs: 1_000 })).toEqual({
      'acp-prod-1': 'cn-shanghai',
    });
    expect(await directory.groupsOf(['acp-prod-1'], { waitMs: 1_000 })).toEqual({ 'acp-prod-1': 'ag-prod' });
    expect(cloud.calls).toEqual([['acp-prod-1', 'acp-nope']]);
    await directory.list({ waitMs: 1_000 });
    expect(await directory.regionsOf(['acp-test-1', 'acp-lab-9'], { waitMs: 1_000 })).toEqual({
      'acp-test-1': 'cn-hangzhou',
      'acp-lab-9': 'cn-hangzhou',
    });
    expect(cloud.calls).toHaveLength(2);
  });

  it("answers a phone's own region (RegionId) for uploads, else the region that listed it", async () => {
    const { cloud, directory } = setup();
    cloud.instances = fleet.map((i) => ({
      ...i,
      region: 'cn-shanghai',
      ...(i.instanceId === 'acp-prod-1' ? { regionId: 'cn-hangzhou' } : {}),
    }));
    expect(await directory.phoneRegionsOf(['acp-prod-1', 'acp-test-1'], { waitMs: 1_000 })).toEqual({
      'acp-prod-1': 'cn-hangzhou',
      'acp-test-1': 'cn-shanghai',
    });
    expect(await directory.regionsOf(['acp-prod-1'], { waitMs: 1_000 })).toEqual({ 'acp-prod-1': 'cn-shanghai' });
    expect(cloud.calls).toHaveLength(1);
  });

  it('throws when the groups cannot be had in time, so the caller can fail closed', async () => {
    const { cloud, directory } = setup();
    cloud.stall = true;
    await expect(directory.groupsOf(['acp-prod-1'], { waitMs: 10 })).rejects.toThrow(/within 10 ms/);
    cloud.stall = false;
    cloud.fail = true;
    await expect(directory.groupsOf(['acp-prod-1'], { waitMs: 1_000 })).rejects.toThrow('ServiceUnavailable');
  });

  it('tells no unknown ids before a listing, and asks the cloud nothing for it', async () => {
    const { cloud, directory } = setup();
    expect(await directory.unknownOf(['acp-nope'], { waitMs: 1_000 })).toBeUndefined();
    expect(cloud.calls).toEqual([]);
    await directory.list({ waitMs: 1_000 });
    expect(await directory.unknownOf(['acp-nope', 'acp-prod-1'], { waitMs: 1_000 })).toEqual(['acp-nope']);
  });

  it('asks by id before calling an id unknown, so a phone created after the listing is not refused', async () => {
    const { cloud, directory } = setup();
    await directory.list({ waitMs: 1_000 });
    cloud.instances = [...fleet, { instanceId: 'acp-new-1', status: 'Running' }];
    expect(await directory.unknownOf(['acp-new-1', 'acp-gone', 'acp-lab-9'], { waitMs: 1_000 })).toEqual(['acp-gone']);
    expect(cloud.calls).toEqual(['all', ['acp-new-1', 'acp-gone']]);
    // The answer by id is kept like a group: asking again within ttl costs nothing.
    expect(await directory.unknownOf(['acp-gone'], { waitMs: 1_000 })).toEqual(['acp-gone']);
    expect(cloud.calls).toHaveLength(2);
  });

  it('tells nothing when the cloud does not answer by id in time', async () => {
    const { cloud, directory } = setup();
    await directory.list({ waitMs: 1_000 });
    cloud.stall = true;
    expect(await directory.unknownOf(['acp-nope'], { waitMs: 10 })).toBeUndefined();
  });
});

describe('instance suggestions', () => {
  const actor = { userId: 'U1', teamId: 'T1' };
  const suggestions = (patterns: string[], unrestricted = false) => {
    const { directory, cloud } = setup();
    return {
      cloud,
      service: createInstanceSuggestions({
        directory,
        waitMs: 1_000,
        scopeOf: async () => ({ unrestricted, patterns }),
      }),
    };
  };

  it('offers what a glob or an instance group covers, sorted, matching every word typed', async () => {
    const { service } = suggestions(['acp-lab-*', 'ag-prod']);
    const ids = async (query: string) =>
      (await service.suggest(actor, 'C1', query, 100)).instances.map((i) => i.instanceId);
    expect(await ids('')).toEqual(['acp-lab-9', 'acp-prod-1', 'acp-prod-2']);
    expect(await ids('login')).toEqual(['acp-prod-1']);
    expect(await ids('PROD checkout')).toEqual(['acp-prod-2']);
    expect(await ids('acp-test')).toEqual([]);
    // The first `limit` matches, and whether there are more.
    expect(await service.suggest(actor, 'C1', 'acp', 2)).toMatchObject({
      instances: [{ instanceId: 'acp-lab-9' }, { instanceId: 'acp-prod-1' }],
      more: true,
    });
    expect(await service.suggest(actor, 'C1', 'acp', 3)).toMatchObject({ more: false });
  });

  it('offers everything to an admin and nothing, without asking the cloud, to someone with no scope', async () => {
    expect((await suggestions([], true).service.suggest(actor, 'C1', '', 100)).instances).toHaveLength(4);
    const none = suggestions([]);
    expect(await none.service.suggest(actor, 'C1', '', 100)).toEqual({ instances: [], more: false, listed: true });
    expect(none.cloud.calls).toEqual([]);
  });

  it("offers each form the person's scope for its own action: backup instances, or restore targets", async () => {
    const { directory } = setup();
    // A person who may back up only the lab phone but restore onto the production ones.
    const service = createInstanceSuggestions({
      directory,
      waitMs: 1_000,
      scopeOf: async (_actor, _channel, action) => ({
        unrestricted: false,
        patterns: action === 'restore' ? ['ag-prod'] : ['acp-lab-*'],
      }),
    });
    const ids = async (action?: 'backup' | 'restore') =>
      (await service.suggest(actor, 'C1', '', 100, action)).instances.map((i) => i.instanceId);
    expect(await ids()).toEqual(['acp-lab-9']);
    expect(await ids('backup')).toEqual(['acp-lab-9']);
    expect(await ids('restore')).toEqual(['acp-prod-1', 'acp-prod-2']);
    expect((await service.inScope(actor, 'C1', 'restore')).instances.map((i) => i.instanceId)).toEqual([
      'acp-prod-1',
      'acp-prod-2',
    ]);
  });

  it('spans every region of the listing: the region is shown, and typing it narrows the choice', async () => {
    const listing: InstanceSummary[] = [
      { instanceId: 'acp-sh1', name: 'desk', status: 'RUNNING', region: 'cn-shanghai' },
      { instanceId: 'acp-sg1', name: 'desk', status: 'STOPPED', region: 'ap-southeast-1' },
    ];
    const service = createInstanceSuggestions({
      directory: { list: async () => listing },
      waitMs: 0,
      scopeOf: async () => ({ unrestricted: true, patterns: [] }),
    });
    const found = await service.suggest(actor, 'C1', 'desk', 100);
    expect(instanceOptions(found)).toEqual({
      options: [
        {
          text: { type: 'plain_text', text: 'acp-sg1 · desk (STOPPED, ap-southeast-1)', emoji: false },
          value: 'acp-sg1',
        },
        { text: { type: 'plain_text', text: 'acp-sh1 · desk (RUNNING, cn-shanghai)', emoji: false }, value: 'acp-sh1' },
      ],
    });
    const singapore = await service.suggest(actor, 'C1', 'desk ap-southeast', 100);
    expect(singapore.instances.map((i) => i.instanceId)).toEqual(['acp-sg1']);
  });

  it("offers a role's patterns only in its regions, and another role's everywhere", async () => {
    const listing: InstanceSummary[] = [
      { instanceId: 'acp-sh1', status: 'RUNNING', region: 'cn-shanghai' },
      { instanceId: 'acp-sg1', status: 'STOPPED', region: 'ap-southeast-1' },
      { instanceId: 'acp-lab1', status: 'STOPPED', region: 'ap-southeast-1' },
      { instanceId: 'acp-nowhere', status: 'STOPPED' },
    ];
    const service = createInstanceSuggestions({
      directory: { list: async () => listing },
      waitMs: 0,
      scopeOf: async () => ({
        unrestricted: false,
        patterns: ['acp-s*', 'acp-lab*'],
        rules: [
          { patterns: ['acp-s*', 'acp-n*'], regions: ['cn-shanghai'] },
          { patterns: ['acp-lab*'], regions: undefined },
        ],
      }),
    });
    const found = await service.suggest(actor, 'C1', '', 100);
    expect(found.instances.map((i) => i.instanceId)).toEqual(['acp-lab1', 'acp-sh1']);
  });

  it('sees a new listing at once, and keeps each scope apart', async () => {
    let listing: readonly InstanceSummary[] = fleet;
    let patterns = ['acp-prod-*'];
    const service = createInstanceSuggestions({
      directory: { list: async () => listing },
      waitMs: 0,
      scopeOf: async () => ({ unrestricted: false, patterns }),
    });
    const ids = async () => (await service.suggest(actor, 'C1', '', 100)).instances.map((i) => i.instanceId);
    expect(await ids()).toEqual(['acp-prod-1', 'acp-prod-2']);
    listing = [...fleet, { instanceId: 'acp-prod-0', status: 'Running' }];
    expect(await ids()).toEqual(['acp-prod-0', 'acp-prod-1', 'acp-prod-2']);
    patterns = ['acp-test-*'];
    expect(await ids()).toEqual(['acp-test-1']);
  });

  it('finds exactly what checking every phone would find (property)', async () => {
    const letters = fc.constantFrom('a', 'b', 'c', '-', '1', '2', 'A');
    const word = fc.string({ unit: letters, minLength: 1, maxLength: 3 });
    const phone = fc.record({
      instanceId: word.map((w) => `acp-${w}`),
      name: fc.option(fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'B', '1'), maxLength: 6 }), { nil: undefined }),
      status: fc.constant('Running'),
      instanceGroupId: fc.option(
        word.map((w) => `ag-${w}`),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(phone, { selector: (p) => p.instanceId, maxLength: 40 }),
        fc.array(word, { maxLength: 3 }),
        fc.integer({ min: 1, max: 10 }),
        async (listing, words, limit) => {
          const service = createInstanceSuggestions({
            directory: { list: async () => listing },
            waitMs: 0,
            scopeOf: async () => ({ unrestricted: true, patterns: [] }),
          });
          const text = (p: InstanceSummary) =>
            `${p.instanceId} ${p.name ?? ''} ${p.instanceGroupId ?? ''}`.toLowerCase();
          const expected = [...listing]
            .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1))
            .filter((p) => words.every((w) => text(p).includes(w.toLowerCase())));
          const got = await service.suggest(actor, 'C1', words.join(' '), limit);
          expect(got.instances).toEqual(expected.slice(0, limit));
          expect(got.more).toBe(expected.length > limit);
        },
      ),
    );
  });

  it('offers nothing, and does not throw, when the cloud cannot list', async () => {
    const { service, cloud } = suggestions(['acp-*']);
    cloud.fail = true;
    expect(await service.suggest(actor, 'C1', '', 100)).toEqual({ instances: [], more: false, listed: false });
  });
});

describe('the picker options', () => {
  it('shows id, name and status within Slack limits, and labels a list that has more', () => {
    expect(instanceOptions({ instances: fleet.slice(1, 2), more: false })).toEqual({
      options: [
        { text: { type: 'plain_text', text: 'acp-prod-1 · Login phone (Stopped)', emoji: false }, value: 'acp-prod-1' },
      ],
    });
    const many = Array.from({ length: MAX_SUGGESTIONS }, (_, i) => ({
      instanceId: `acp-${String(i).padStart(5, '0')}`,
      name: 'n'.repeat(200),
      status: 'Running',
    }));
    const answer = instanceOptions({ instances: many, more: true });
    if (!('option_groups' in answer)) throw new Error('expected option groups');
    const [group] = answer.option_groups;
    expect(group?.label.text).toBe('First 50 matches: type more of an id or name to narrow');
    expect(group?.options).toHaveLength(50);
    for (const option of group?.options ?? []) expect(option.text.text.length).toBeLessThanOrEqual(75);
  });
});
