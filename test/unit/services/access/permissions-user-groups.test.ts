import { describe, expect, it } from 'vitest';
import { createUserGroupDirectory } from '../../../../src/services/access/user-groups.js';

/** A fake Slack: group members by id, handles by name, a call log, and switches for failures. */
function fakeSlack(groups: Record<string, string[]>, handles: Record<string, string> = {}) {
  const calls: string[] = [];
  let failing = false;
  const gates: (() => void)[] = [];
  let gated = false;
  return {
    calls,
    groups,
    fail(on: boolean) {
      failing = on;
    },
    /** Holds every lookup until release() so concurrent callers overlap. */
    hold() {
      gated = true;
    },
    release() {
      gated = false;
      for (const open of gates.splice(0)) open();
    },
    async listMembers(id: string): Promise<string[]> {
      calls.push(`members:${id}`);
      if (gated) await new Promise<void>((open) => gates.push(open));
      if (failing) throw new Error('ratelimited');
      const members = groups[id];
      if (!members) throw new Error('no_such_subteam');
      return [...members];
    },
    async resolveHandle(handle: string): Promise<string | undefined> {
      calls.push(`handle:${handle}`);
      if (failing) throw new Error('ratelimited');
      return handles[handle];
    },
  };
}

function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('createUserGroupDirectory', () => {
  it('answers membership by group id and by handle', async () => {
    const slack = fakeSlack({ S0ONCALL: ['U0BBB2'] }, { 'phone-oncall': 'S0ONCALL' });
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 60_000 });
    expect(await dir.isMember('U0BBB2', 'S0ONCALL')).toBe(true);
    expect(await dir.isMember('U0BBB2', '@phone-oncall')).toBe(true);
    expect(await dir.isMember('U0BBB2', '@Phone-Oncall')).toBe(true);
    expect(await dir.isMember('U0OTHER', '@phone-oncall')).toBe(false);
    expect(await dir.groupsOf('U0BBB2', ['S0ONCALL', '@phone-oncall', '@unknown'])).toEqual(
      new Set(['S0ONCALL', '@phone-oncall']),
    );
  });

  it('keeps a removed member in only until the ttl has passed', async () => {
    const clock = manualClock();
    const slack = fakeSlack({ S0ONCALL: ['U0BBB2'] });
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 60_000, now: clock.now });
    expect(await dir.isMember('U0BBB2', 'S0ONCALL')).toBe(true);

    slack.groups.S0ONCALL = []; // removed in Slack
    clock.advance(59_999);
    expect(await dir.isMember('U0BBB2', 'S0ONCALL')).toBe(true); // still cached: not before the ttl
    expect(slack.calls).toEqual(['members:S0ONCALL']);

    clock.advance(1);
    expect(await dir.isMember('U0BBB2', 'S0ONCALL')).toBe(false); // after the ttl: asked again
    expect(slack.calls).toEqual(['members:S0ONCALL', 'members:S0ONCALL']);
  });

  it('lets an added member in after the ttl as well', async () => {
    const clock = manualClock();
    const slack = fakeSlack({ S0ONCALL: [] });
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 1_000, now: clock.now });
    expect(await dir.isMember('U0NEW', 'S0ONCALL')).toBe(false);
    slack.groups.S0ONCALL = ['U0NEW'];
    clock.advance(1_000);
    expect(await dir.isMember('U0NEW', 'S0ONCALL')).toBe(true);
  });

  it('caches one member list per group for everyone', async () => {
    const slack = fakeSlack({ S0ONCALL: ['U0A', 'U0B'] });
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 60_000 });
    await dir.isMember('U0A', 'S0ONCALL');
    await dir.isMember('U0B', 'S0ONCALL');
    await dir.isMember('U0C', 'S0ONCALL');
    expect(slack.calls).toEqual(['members:S0ONCALL']);
  });

  it('shares one Slack call among concurrent lookups of the same group', async () => {
    const slack = fakeSlack({ S0ONCALL: ['U0A'] });
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 60_000 });
    slack.hold();
    const pending = Promise.all([
      dir.isMember('U0A', 'S0ONCALL'),
      dir.isMember('U0B', 'S0ONCALL'),
      dir.groupsOf('U0A', ['S0ONCALL']),
    ]);
    await Promise.resolve();
    slack.release();
    expect(await pending).toEqual([true, false, new Set(['S0ONCALL'])]);
    expect(slack.calls).toEqual(['members:S0ONCALL']);
  });

  it('fails closed on a failing lookup, reports it, and does not cache the failure', async () => {
    const errors: string[] = [];
    const slack = fakeSlack({ S0ONCALL: ['U0A'] });
    const dir = createUserGroupDirectory({
      ...slack,
      ttlMs: 60_000,
      onError: (error, ref) => errors.push(`${ref}: ${(error as Error).message}`),
    });
    slack.fail(true);
    expect(await dir.isMember('U0A', 'S0ONCALL')).toBe(false);
    expect(await dir.membership('U0A', ['S0ONCALL'])).toEqual({ groups: new Set(), failed: ['S0ONCALL'] });
    expect(errors).toEqual(['S0ONCALL: ratelimited', 'S0ONCALL: ratelimited']);

    slack.fail(false);
    expect(await dir.isMember('U0A', 'S0ONCALL')).toBe(true); // asked again: the failure was not cached
    expect(slack.calls).toEqual(['members:S0ONCALL', 'members:S0ONCALL', 'members:S0ONCALL']);
  });

  it('fails closed for a handle that cannot be resolved, or without a resolver', async () => {
    const slack = fakeSlack({ S0ONCALL: ['U0A'] }, {});
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 60_000 });
    expect(await dir.membership('U0A', ['@nobody'])).toEqual({ groups: new Set(), failed: [] });

    const noResolver = createUserGroupDirectory({ listMembers: slack.listMembers, ttlMs: 60_000 });
    expect(await noResolver.membership('U0A', ['@phone-oncall'])).toEqual({
      groups: new Set(),
      failed: ['@phone-oncall'],
    });
  });

  it('with ttl 0, asks Slack on every check', async () => {
    const slack = fakeSlack({ S0ONCALL: ['U0A'] });
    const dir = createUserGroupDirectory({ ...slack, ttlMs: 0 });
    await dir.isMember('U0A', 'S0ONCALL');
    await dir.isMember('U0A', 'S0ONCALL');
    expect(slack.calls).toHaveLength(2);
  });
});

describe('createUserGroupDirectory with a deadline', () => {
  it('counts a group Slack has not answered by the deadline as failed, and the late answer fills the cache', async () => {
    const slack = fakeSlack({ S0OPS: ['U0ALICE'] });
    const failures: unknown[] = [];
    const directory = createUserGroupDirectory({
      listMembers: (id) => slack.listMembers(id),
      ttlMs: 60_000,
      deadlineMs: 30,
      onError: (error) => failures.push(error),
    });
    slack.hold();
    const late = await directory.membership('U0ALICE', ['S0OPS']);
    expect(late).toEqual({ groups: new Set(), failed: ['S0OPS'] });
    expect(String(failures[0])).toContain('within 30 ms');
    slack.release();
    await expect.poll(async () => (await directory.membership('U0ALICE', ['S0OPS'])).groups.has('S0OPS')).toBe(true);
    expect(slack.calls).toEqual(['members:S0OPS']);
  });
});
