import { describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  createAdminListPermissions,
  createPolicyPermissions,
} from '../../../../src/services/access/permissions.js';
import { parsePolicy } from '../../../../src/services/access/policy.js';
import { createUserGroupDirectory } from '../../../../src/services/access/user-groups.js';

const policy = parsePolicy(
  `
admins: [U0ADMIN1]
roles:
  - name: support
    members: [U0AAA1, "@phone-oncall"]
    channels: [C0OPS1]
    actions: [backup, status, list]
    instances: ["acp-prod-*"]
    locations: ["oss://cloudphone-saved-bucket-prod/backups/"]
    endpoints: ["oss-cn-shanghai-internal.aliyuncs.com"]
  - name: cleaners
    members: [S0CLEAN]
    actions: [delete]
    instances: ["acp-*"]
    locations: ["oss://cloudphone-saved-bucket-prod/"]
`,
  'policy.yaml',
);

const backup = (userId: string, overrides: Partial<AccessRequest> = {}): AccessRequest => ({
  actor: { userId, teamId: 'T1' },
  action: 'backup',
  channelId: 'C0OPS1',
  instanceIds: ['acp-prod-1'],
  backupPath: 'oss://cloudphone-saved-bucket-prod/backups/',
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  ...overrides,
});

function directory(groups: Record<string, string[]>, handles: Record<string, string>, now: () => number) {
  const calls: string[] = [];
  let failing = false;
  const dir = createUserGroupDirectory({
    listMembers: async (id) => {
      calls.push(id);
      if (failing) throw new Error('ratelimited');
      return groups[id] ?? [];
    },
    resolveHandle: async (handle) => handles[handle],
    ttlMs: 30_000,
    now,
  });
  return {
    dir,
    calls,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

describe('createAdminListPermissions (unchanged)', () => {
  it('allows listed admins and denies others, naming the rule', async () => {
    const permissions = createAdminListPermissions(['U0ADMIN1']);
    expect(await permissions.check(backup('U0ADMIN1'))).toEqual({ allowed: true, rule: 'admins' });
    expect(await permissions.check(backup('U0AAA1'))).toMatchObject({
      allowed: false,
      rule: 'admins',
      reason: "only the bot's admins may start backups",
      admins: ['U0ADMIN1'],
    });
    expect(await createAdminListPermissions([]).check(backup('U0AAA1'))).toMatchObject({
      reason: 'nobody may start backups yet: this bot has no admins',
      admins: [],
    });
  });
});

describe('createAdminListPermissions scope', () => {
  it('gives admins everything and others nothing, with no defaults of its own', async () => {
    const permissions = createAdminListPermissions(['U0ADMIN1']);
    const admin = await permissions.scope({ userId: 'U0ADMIN1', teamId: 'T1' }, 'backup');
    expect(admin).toMatchObject({ unrestricted: true, instancePatterns: [] });
    expect([admin.defaultEndpoint, admin.defaultBackupPath]).toEqual([undefined, undefined]);
    expect(await permissions.scope({ userId: 'U0OTHER', teamId: 'T1' }, 'backup')).toMatchObject({
      unrestricted: false,
      instancePatterns: [],
    });
  });
});

describe('createPolicyPermissions', () => {
  it('allows admins from the file and from CLOUDPHONE_ADMINS, without asking Slack', async () => {
    const slack = directory({}, {}, () => 0);
    const permissions = createPolicyPermissions({ policy, extraAdmins: ['U0ENVADMIN'], userGroups: slack.dir });
    const anywhere = { channelId: 'C0X', instanceIds: ['acp-x'], backupPath: 'oss://other-bucket/' };
    expect(await permissions.check(backup('U0ADMIN1', anywhere))).toEqual({ allowed: true, rule: 'admins' });
    expect(await permissions.check(backup('U0ENVADMIN', { action: 'audit' }))).toEqual({
      allowed: true,
      rule: 'admins',
    });
    expect(slack.calls).toEqual([]);
  });

  it('denies by default, and audit to non-admins', async () => {
    const permissions = createPolicyPermissions({ policy });
    expect(await permissions.check(backup('U0STRANGER'))).toMatchObject({ allowed: false, rule: 'default-deny' });
    expect(await permissions.check(backup('U0AAA1', { action: 'audit' }))).toMatchObject({ allowed: false });
  });

  it('allows by user id and by group handle; only groups of roles granting the action are looked up', async () => {
    const slack = directory({ S0ONCALL: ['U0BBB2'], S0CLEAN: [] }, { 'phone-oncall': 'S0ONCALL' }, () => 0);
    const permissions = createPolicyPermissions({ policy, userGroups: slack.dir });
    expect(await permissions.check(backup('U0AAA1'))).toEqual({ allowed: true, rule: 'role:support' });
    expect(await permissions.check(backup('U0BBB2'))).toEqual({ allowed: true, rule: 'role:support' });
    expect(slack.calls).toEqual(['S0ONCALL']); // S0CLEAN grants only delete
  });

  it('gives a denial the id of a group handle its membership check resolved, so the answer can mention the group', async () => {
    const slack = directory({ S0ONCALL: [] }, { 'phone-oncall': 'S0ONCALL' }, () => 0);
    const permissions = createPolicyPermissions({ policy, userGroups: slack.dir });
    // The stranger's membership check resolved @phone-oncall: the denial carries its id.
    expect(await permissions.check(backup('U0STRANGER'))).toMatchObject({
      allowed: false,
      members: ['U0AAA1', '@phone-oncall'],
      groupIds: { '@phone-oncall': 'S0ONCALL' },
    });
    expect(slack.calls).toEqual(['S0ONCALL']);
    // A handle Slack has no group for is named as written.
    const unknown = directory({}, {}, () => 0);
    const decision = await createPolicyPermissions({ policy, userGroups: unknown.dir }).check(backup('U0STRANGER'));
    expect(decision).toMatchObject({ allowed: false, members: ['U0AAA1', '@phone-oncall'] });
    expect(decision.allowed === false && decision.groupIds).toBeUndefined();
  });

  it('takes a group removal into account after the cache ttl, not before', async () => {
    let now = 0;
    const groups = { S0ONCALL: ['U0BBB2'] };
    const slack = directory(groups, { 'phone-oncall': 'S0ONCALL' }, () => now);
    const permissions = createPolicyPermissions({ policy, userGroups: slack.dir });
    expect((await permissions.check(backup('U0BBB2'))).allowed).toBe(true);

    groups.S0ONCALL = [];
    now = 29_999;
    expect((await permissions.check(backup('U0BBB2'))).allowed).toBe(true);
    now = 30_000;
    expect(await permissions.check(backup('U0BBB2'))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('you are not in any role'),
    });
  });

  it('fails closed when Slack cannot be asked, and says to try again', async () => {
    const slack = directory({ S0ONCALL: ['U0BBB2'] }, { 'phone-oncall': 'S0ONCALL' }, () => 0);
    slack.fail(true);
    const permissions = createPolicyPermissions({ policy, userGroups: slack.dir });
    const decision = await permissions.check(backup('U0BBB2'));
    expect(decision).toMatchObject({ allowed: false, rule: 'default-deny' });
    expect(decision.allowed === false && decision.reason).toContain(
      'membership of @phone-oncall could not be checked just now; try again in a minute',
    );
    // A person allowed by user id is unaffected by the outage.
    expect((await permissions.check(backup('U0AAA1'))).allowed).toBe(true);
  });

  it('fails closed when groups are named but no directory was given', async () => {
    const permissions = createPolicyPermissions({ policy });
    expect((await permissions.check(backup('U0BBB2'))).allowed).toBe(false);
  });

  it('passes instance groups through for ag- rules', async () => {
    const withGroup = parsePolicy(
      'roles:\n  - { name: g, members: [U0G], actions: [status], instances: [ag-123] }\n',
      'p.yaml',
    );
    const permissions = createPolicyPermissions({ policy: withGroup });
    const status: AccessRequest = {
      actor: { userId: 'U0G', teamId: 'T1' },
      action: 'status',
      channelId: 'C1',
      instanceIds: ['acp-9'],
    };
    expect((await permissions.check(status)).allowed).toBe(false);
    expect(await permissions.check({ ...status, instanceGroups: { 'acp-9': 'ag-123' } })).toEqual({
      allowed: true,
      rule: 'role:g',
    });
  });

  it('asks the cloud for instance groups only when a group rule could allow what globs deny', async () => {
    const mixed = parsePolicy(
      [
        'roles:',
        '  - { name: lab, members: [U0G], actions: [status], instances: ["acp-lab-*"] }',
        '  - { name: fleet, members: [U0G], channels: [C0OPS1], actions: [status], instances: [ag-123] }',
        '  - { name: other, members: [U0H], actions: [status], instances: ["acp-*"] }',
        '',
      ].join('\n'),
      'p.yaml',
    );
    const asked: string[][] = [];
    const cloudGroups: Record<string, string> = { 'acp-9': 'ag-123', 'acp-8': 'ag-999' };
    let failing = false;
    const permissions = createPolicyPermissions({
      policy: mixed,
      instanceGroups: async (ids) => {
        asked.push([...ids]);
        if (failing) throw new Error('ServiceUnavailable');
        return Object.fromEntries(ids.flatMap((id) => (cloudGroups[id] ? [[id, cloudGroups[id]]] : [])));
      },
    });
    const status = (userId: string, instanceIds: string[], channelId = 'C0OPS1'): AccessRequest => ({
      actor: { userId, teamId: 'T1' },
      action: 'status',
      channelId,
      instanceIds,
    });
    // Globs suffice: no cloud call.
    expect(await permissions.check(status('U0G', ['acp-lab-1']))).toEqual({ allowed: true, rule: 'role:lab' });
    expect(asked).toEqual([]);
    // The group rule allows what the glob does not, by the cloud's word.
    expect(await permissions.check(status('U0G', ['acp-lab-1', 'acp-9']))).toEqual({
      allowed: true,
      rule: 'role:lab+role:fleet',
    });
    expect(asked).toEqual([['acp-lab-1', 'acp-9']]);
    const wrongGroup = await permissions.check(status('U0G', ['acp-8']));
    expect(wrongGroup).toMatchObject({ allowed: false });
    expect(wrongGroup.allowed ? '' : wrongGroup.reason).toContain('acp-8');
    // No applicable group rule (another channel, or a person whose roles name none): no cloud call.
    const calls = asked.length;
    expect((await permissions.check(status('U0G', ['acp-9'], 'C0OTHER1'))).allowed).toBe(false);
    expect((await permissions.check(status('U0NOBODY', ['acp-9']))).allowed).toBe(false);
    expect(asked).toHaveLength(calls);
    // The cloud cannot answer: denied, and told to try again.
    failing = true;
    const unknown = await permissions.check(status('U0G', ['acp-9']));
    expect(unknown.allowed).toBe(false);
    expect(unknown.allowed ? '' : unknown.reason).toMatch(/groups could not be looked up.*try again/);
  });

  it('asks the cloud for instance regions only when a role naming regions applies, and fails closed', async () => {
    const regional = parsePolicy(
      [
        'roles:',
        '  - { name: sh, members: [U0SH1], actions: [status], instances: ["acp-*"], regions: [cn-shanghai] }',
        '  - { name: any, members: [U0ANY1], actions: [status], instances: ["acp-*"] }',
        '',
      ].join('\n'),
      'p.yaml',
    );
    const asked: string[][] = [];
    const cloudRegions: Record<string, string> = { 'acp-sh1': 'cn-shanghai', 'acp-hz1': 'cn-hangzhou' };
    let failing = false;
    const permissions = createPolicyPermissions({
      policy: regional,
      instanceRegions: async (ids) => {
        asked.push([...ids]);
        if (failing) throw new Error('ServiceUnavailable');
        return Object.fromEntries(ids.flatMap((id) => (cloudRegions[id] ? [[id, cloudRegions[id]]] : [])));
      },
    });
    const status = (userId: string, instanceIds: string[]): AccessRequest => ({
      actor: { userId, teamId: 'T1' },
      action: 'status',
      channelId: 'C0OPS1',
      instanceIds,
    });
    expect(await permissions.check(status('U0ANY1', ['acp-hz1']))).toEqual({ allowed: true, rule: 'role:any' });
    expect(asked).toEqual([]);
    expect(await permissions.check(status('U0SH1', ['acp-sh1']))).toEqual({ allowed: true, rule: 'role:sh' });
    const elsewhere = await permissions.check(status('U0SH1', ['acp-hz1']));
    expect(elsewhere).toMatchObject({
      allowed: false,
      reason: 'your roles let you see the status of instances in cn-shanghai only, and acp-hz1 is in cn-hangzhou',
    });
    expect(asked).toEqual([['acp-sh1'], ['acp-hz1']]);
    const visible = await permissions.visible({ userId: 'U0SH1', teamId: 'T1' }, 'status', 'C0OPS1', [
      { instanceId: 'acp-sh1' },
      { instanceId: 'acp-hz1' },
    ]);
    expect(visible).toEqual([true, false]);
    failing = true;
    const unknown = await permissions.check(status('U0SH1', ['acp-sh1']));
    expect(unknown.allowed ? '' : unknown.reason).toMatch(/regions could not be looked up.*try again/);
  });

  it('gives the modal its scope', async () => {
    const slack = directory({ S0ONCALL: ['U0BBB2'] }, { 'phone-oncall': 'S0ONCALL' }, () => 0);
    const permissions = createPolicyPermissions({ policy, extraAdmins: ['U0ENVADMIN'], userGroups: slack.dir });
    expect(await permissions.scope({ userId: 'U0BBB2', teamId: 'T1' }, 'backup', 'C0OPS1')).toMatchObject({
      defaultBackupPath: 'oss://cloudphone-saved-bucket-prod/backups/',
      defaultEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      instancePatterns: ['acp-prod-*'],
      unrestricted: false,
    });
    expect((await permissions.scope({ userId: 'U0BBB2', teamId: 'T1' }, 'backup', 'C0OTHER')).instancePatterns).toEqual(
      [],
    );
    expect((await permissions.scope({ userId: 'U0ENVADMIN', teamId: 'T1' }, 'backup')).unrestricted).toBe(true);
  });
});
