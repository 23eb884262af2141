import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../../../src/services/access/permissions.js';
import {
  evaluatePolicy,
  globCanMatchInstanceId,
  globMatches,
  groupRefsIn,
  type PolicyContext,
  parsePolicy,
  pathWithin,
  scopeFor,
  unmatchableGlobWarnings,
} from '../../../../src/services/access/policy.js';

const policy = parsePolicy(
  `
admins: [U0ADMIN1]
roles:
  - name: support
    members: [U0AAA1, "@phone-oncall"]
    channels: [C0OPS1]
    actions: [backup, status, list]
    instances: ["acp-prod-*", "ag-123"]
    locations: ["oss://cloudphone-saved-bucket-prod/backups/"]
    endpoints: ["oss-cn-shanghai-internal.aliyuncs.com"]
  - name: testers
    members: [S0TESTERS]
    actions: [backup, restore, delete]
    instances: ["acp-test-?", "acp-qa-*"]
    locations: ["oss://cloudphone-saved-bucket-test/"]
  - name: restorers
    members: [U0RST1]
    channels: [C0OPS1, C0OPS2]
    actions: [restore]
    instances: ["acp-prod-*"]
    locations: ["oss://cloudphone-saved-bucket-prod/backups/"]
`,
  'fixture.yaml',
);

const nobody: PolicyContext = { groupsOf: () => [] };
const inGroups = (...groups: string[]): PolicyContext => ({ groupsOf: () => new Set(groups) });
const PROD = 'oss://cloudphone-saved-bucket-prod/backups/';
const TEST = 'oss://cloudphone-saved-bucket-test/';
const ENDPOINT = 'oss-cn-shanghai-internal.aliyuncs.com';

function request(userId: string, overrides: Partial<AccessRequest> = {}): AccessRequest {
  return { actor: { userId, teamId: 'T1' }, action: 'backup', channelId: 'C0OPS1', ...overrides };
}

describe('evaluatePolicy: deny by default', () => {
  it('denies a person in no role, naming that', () => {
    const decision = evaluatePolicy(policy, request('U0STRANGER', { instanceIds: ['acp-prod-1'] }), nobody);
    expect(decision).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: expect.stringContaining('you are not in any role'),
    });
  });

  it('denies everything under an empty policy', () => {
    const empty = parsePolicy('roles: []', 'empty.yaml');
    expect(evaluatePolicy(empty, request('U0AAA1'), nobody).allowed).toBe(false);
  });

  it('denies audit to everyone but admins, even members of roles', () => {
    const decision = evaluatePolicy(policy, request('U0AAA1', { action: 'audit' }), nobody);
    expect(decision).toMatchObject({ allowed: false, reason: "only the bot's admins may read the audit trail" });
  });
});

describe('evaluatePolicy: admins', () => {
  it('allows admins from the file everything, everywhere', () => {
    for (const action of ['backup', 'restore', 'delete', 'status', 'list', 'audit'] as const) {
      const decision = evaluatePolicy(
        policy,
        request('U0ADMIN1', {
          action,
          channelId: 'C0ELSEWHERE',
          instanceIds: ['acp-anything'],
          backupPath: 'oss://any-bucket/x/',
          uploadEndpoint: 'oss-us-west-1.aliyuncs.com',
        }),
        nobody,
      );
      expect(decision).toEqual({ allowed: true, rule: 'admins' });
    }
  });
});

describe('evaluatePolicy: members', () => {
  const ask = { instanceIds: ['acp-prod-1'], backupPath: PROD, uploadEndpoint: ENDPOINT };

  it('allows a listed user id', () => {
    expect(evaluatePolicy(policy, request('U0AAA1', ask), nobody)).toEqual({ allowed: true, rule: 'role:support' });
  });

  it('allows a member of a group named by handle', () => {
    expect(evaluatePolicy(policy, request('U0BBB2', ask), inGroups('@phone-oncall'))).toEqual({
      allowed: true,
      rule: 'role:support',
    });
  });

  it('allows a member of a group named by id', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0CCC3', { instanceIds: ['acp-test-1'], backupPath: `${TEST}x/`, uploadEndpoint: ENDPOINT }),
      inGroups('S0TESTERS'),
    );
    expect(decision).toEqual({ allowed: true, rule: 'role:testers' });
  });

  it('does not let group membership of another group count', () => {
    expect(evaluatePolicy(policy, request('U0BBB2', ask), inGroups('@someone-else', 'S0OTHER')).allowed).toBe(false);
  });
});

describe('evaluatePolicy: channels', () => {
  it('denies from a channel the role does not list, naming the allowed channels', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', { channelId: 'C0RANDOM', instanceIds: ['acp-prod-1'], backupPath: PROD }),
      nobody,
    );
    expect(decision).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: 'you may not back up from this channel (allowed: <#C0OPS1>)',
    });
  });

  it('lists every allowed channel for restore', () => {
    const decision = evaluatePolicy(policy, request('U0RST1', { action: 'restore', channelId: 'C0X' }), nobody);
    expect(decision).toMatchObject({ reason: 'you may not restore from this channel (allowed: <#C0OPS1>, <#C0OPS2>)' });
  });

  it('allows from any channel when the role lists none', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0CCC3', { channelId: 'D0DM', instanceIds: ['acp-qa-9'], backupPath: TEST }),
      inGroups('S0TESTERS'),
    );
    expect(decision.allowed).toBe(true);
  });
});

describe('evaluatePolicy: actions', () => {
  it('denies an action no role of the person lists', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', { action: 'delete', instanceIds: ['acp-prod-1'] }),
      nobody,
    );
    expect(decision).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: 'your roles do not include delete (your roles: support)',
    });
    expect(decision.reason).toContain('your roles do not include delete');
  });

  it('allows status and list without instances or path', () => {
    expect(evaluatePolicy(policy, request('U0AAA1', { action: 'status' }), nobody)).toEqual({
      allowed: true,
      rule: 'role:support',
    });
    expect(evaluatePolicy(policy, request('U0AAA1', { action: 'list' }), nobody).allowed).toBe(true);
  });
});

describe('evaluatePolicy: instances', () => {
  it('denies an instance outside the globs, naming what is allowed and what is not', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', { instanceIds: ['acp-prod-1', 'acp-test-1'], backupPath: PROD, uploadEndpoint: ENDPOINT }),
      nobody,
    );
    expect(decision).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: 'you may back up acp-prod-*, ag-123 but not acp-test-1',
    });
  });

  it('treats ? as exactly one character', () => {
    const ctx = inGroups('S0TESTERS');
    const ask = (id: string) => request('U0CCC3', { instanceIds: [id], backupPath: TEST });
    expect(evaluatePolicy(policy, ask('acp-test-1'), ctx).allowed).toBe(true);
    expect(evaluatePolicy(policy, ask('acp-test-12'), ctx).allowed).toBe(false);
    expect(evaluatePolicy(policy, ask('acp-test-'), ctx).allowed).toBe(false);
  });

  it('allows an instance in a listed instance group (ag-…), and only with the group known', () => {
    const ask = { instanceIds: ['acp-other-7'], backupPath: PROD };
    expect(
      evaluatePolicy(policy, request('U0AAA1', { ...ask, instanceGroups: { 'acp-other-7': 'ag-123' } }), nobody),
    ).toEqual({ allowed: true, rule: 'role:support' });
    expect(
      evaluatePolicy(policy, request('U0AAA1', { ...ask, instanceGroups: { 'acp-other-7': 'ag-999' } }), nobody)
        .allowed,
    ).toBe(false);
    expect(evaluatePolicy(policy, request('U0AAA1', ask), nobody).allowed).toBe(false);
  });

  it('needs every requested instance covered', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', { instanceIds: ['acp-prod-1', 'acp-dev-1', 'acp-dev-2'], backupPath: PROD }),
      nobody,
    );
    expect(decision.reason).toBe('you may back up acp-prod-*, ag-123 but not acp-dev-1, acp-dev-2');
  });
});

describe('evaluatePolicy: locations', () => {
  it('allows the location itself, without the trailing slash, and anything under it', () => {
    for (const path of [PROD, PROD.slice(0, -1), `${PROD}2025/`, `${PROD}acp-prod-1_20250101.ab`]) {
      expect(evaluatePolicy(policy, request('U0AAA1', { backupPath: path }), nobody).allowed, path).toBe(true);
    }
  });

  it('does not let backups/ allow backups-evil/', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', {
        instanceIds: ['acp-prod-1'],
        backupPath: 'oss://cloudphone-saved-bucket-prod/backups-evil/',
      }),
      nobody,
    );
    expect(decision).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: `backup path oss://cloudphone-saved-bucket-prod/backups-evil/ is outside your locations (${PROD})`,
    });
  });

  it('escapes what the person typed when it echoes it (reasons are Slack mrkdwn)', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', { backupPath: 'oss://cloudphone-saved-bucket-prod/<!channel>/' }),
      nobody,
    );
    expect(decision.reason).toBe(
      `backup path oss://cloudphone-saved-bucket-prod/&lt;!channel&gt;/ is outside your locations (${PROD})`,
    );
  });

  it('rejects other buckets, parent directories and traversal tricks', () => {
    for (const path of [
      'oss://cloudphone-saved-bucket-prod/',
      'oss://cloudphone-saved-bucket-prod-evil/backups/',
      'oss://cloudphone-saved-bucket-prod/backups/../secrets/',
      'oss://cloudphone-saved-bucket-prod/backups/%2e%2e/secrets/',
      'oss://cloudphone-saved-bucket-prod/backups//x/',
      'https://cloudphone-saved-bucket-prod/backups/',
      'oss://cloudphone-saved-bucket-prod/Backups/',
    ]) {
      expect(evaluatePolicy(policy, request('U0AAA1', { backupPath: path }), nobody).allowed, path).toBe(false);
    }
  });

  it('never lets a directory cover a sibling whose name merely starts the same (property)', () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(segment, segment, (dir, suffix) => {
        const location = `oss://bucket-a/${dir}/`;
        expect(pathWithin(`oss://bucket-a/${dir}${suffix}/`, location)).toBe(false);
        expect(pathWithin(`oss://bucket-a/${dir}/${suffix}`, location)).toBe(true);
      }),
    );
  });
});

describe('evaluatePolicy: endpoints', () => {
  it('allows a listed endpoint (case-insensitive) and denies another, naming the allowed ones', () => {
    const ask = { instanceIds: ['acp-prod-1'], backupPath: PROD };
    expect(
      evaluatePolicy(
        policy,
        request('U0AAA1', { ...ask, uploadEndpoint: 'OSS-cn-shanghai-internal.aliyuncs.com' }),
        nobody,
      ).allowed,
    ).toBe(true);
    const decision = evaluatePolicy(
      policy,
      request('U0AAA1', { ...ask, uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com' }),
      nobody,
    );
    expect(decision.reason).toBe(
      `upload endpoint oss-cn-shanghai.aliyuncs.com is not one of your endpoints (${ENDPOINT}) for ${PROD}`,
    );
  });

  it('allows any endpoint when the role lists none', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0CCC3', { instanceIds: ['acp-qa-1'], backupPath: TEST, uploadEndpoint: 'oss-anywhere.example.com' }),
      inGroups('S0TESTERS'),
    );
    expect(decision.allowed).toBe(true);
  });
});

describe('evaluatePolicy: several roles', () => {
  const both = inGroups('@phone-oncall', 'S0TESTERS');

  it('allows with the union of roles when each instance is covered with this path', () => {
    const decision = evaluatePolicy(
      policy,
      request('U0DDD4', { instanceIds: ['acp-qa-1', 'acp-test-2'], backupPath: TEST }),
      both,
    );
    expect(decision).toEqual({ allowed: true, rule: 'role:testers' });
  });

  it('takes the action from one role and the channel freedom from another', () => {
    // support is limited to C0OPS1; testers may back up from anywhere, but only test instances.
    const decision = evaluatePolicy(
      policy,
      request('U0DDD4', { channelId: 'C0ELSE', instanceIds: ['acp-test-1'], backupPath: TEST }),
      both,
    );
    expect(decision).toEqual({ allowed: true, rule: 'role:testers' });
  });

  it('names every role used when one request needs several', () => {
    const wide = parsePolicy(
      `
roles:
  - { name: a, members: [U0X1], actions: [backup], instances: ["acp-a-*"], locations: ["oss://bkt-one/x/"] }
  - { name: b, members: [U0X1], actions: [backup], instances: ["acp-b-*"], locations: ["oss://bkt-one/"] }
`,
      'wide.yaml',
    );
    expect(
      evaluatePolicy(
        wide,
        request('U0X1', { instanceIds: ['acp-a-1', 'acp-b-1'], backupPath: 'oss://bkt-one/x/' }),
        nobody,
      ),
    ).toEqual({ allowed: true, rule: 'role:a+role:b' });
  });

  it("does not let one role's instances be written to another role's location", () => {
    // prod instances are granted with the prod bucket only; the test bucket comes from another role.
    const decision = evaluatePolicy(policy, request('U0DDD4', { instanceIds: ['acp-prod-1'], backupPath: TEST }), both);
    expect(decision).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: `you may back up acp-test-?, acp-qa-* with backup path ${TEST} but not acp-prod-1`,
    });
  });
});

describe('evaluatePolicy: regions', () => {
  const regional = parsePolicy(
    `
roles:
  - name: shanghai-support
    members: [U0SH1]
    actions: [backup, status]
    instances: ["acp-*"]
    regions: [cn-shanghai]
    locations: ["oss://bkt-sh/"]
  - name: anywhere
    members: [U0ANY1]
    actions: [status]
    instances: ["acp-*"]
`,
    'regions.yaml',
  );
  const status = (userId: string, overrides: Partial<AccessRequest> = {}) =>
    request(userId, { action: 'status', instanceIds: ['acp-sh1', 'acp-hz1'], ...overrides });
  const regions = { 'acp-sh1': 'cn-shanghai', 'acp-hz1': 'cn-hangzhou' };

  it('allows instances in the role’s regions and refuses one in another, naming both regions', () => {
    expect(
      evaluatePolicy(regional, status('U0SH1', { instanceIds: ['acp-sh1'], instanceRegions: regions }), nobody),
    ).toEqual({ allowed: true, rule: 'role:shanghai-support' });
    expect(evaluatePolicy(regional, status('U0SH1', { instanceRegions: regions }), nobody)).toEqual({
      allowed: false,
      rule: 'default-deny',
      reason: 'your roles let you see the status of instances in cn-shanghai only, and acp-hz1 is in cn-hangzhou',
    });
  });

  it('refuses an instance whose region is not known yet, saying so', () => {
    expect(evaluatePolicy(regional, status('U0SH1', { instanceIds: ['acp-sh1'] }), nobody)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('acp-sh1 is in a region the cloud has not told the bot yet'),
    });
  });

  it('lets a role without regions cover every region, known or not', () => {
    expect(evaluatePolicy(regional, status('U0ANY1'), nobody)).toEqual({ allowed: true, rule: 'role:anywhere' });
    expect(evaluatePolicy(regional, status('U0ANY1', { instanceRegions: regions }), nobody).allowed).toBe(true);
  });

  it('checks a backup file’s source instance region too', () => {
    const target = { label: 'bf-1', instanceId: 'acp-hz1', path: 'oss://bkt-sh/acp-hz1.ab' };
    const decision = evaluatePolicy(
      regional,
      request('U0SH1', { targets: [target], instanceRegions: regions }),
      nobody,
    );
    expect(decision.allowed).toBe(false);
  });

  it('says which roles are region-limited in the scope', () => {
    expect(scopeFor(regional, { userId: 'U0SH1' }, 'status', nobody).regionLimited).toBe(true);
    expect(scopeFor(regional, { userId: 'U0ANY1' }, 'status', nobody).regionLimited).toBe(false);
  });

  it('rejects a region that is not a region id, naming the fix', () => {
    expect(() =>
      parsePolicy(
        'roles:\n  - name: r\n    members: [U0A1]\n    actions: [status]\n    instances: ["acp-*"]\n    regions: [Shanghai]\n',
        'bad.yaml',
      ),
    ).toThrow(/regions\[0\]: must be a region id such as cn-shanghai or ap-southeast-1/);
  });
});

describe('scopeFor', () => {
  it('gives defaults and instance patterns from the roles that grant the action', () => {
    expect(scopeFor(policy, { userId: 'U0AAA1' }, 'backup', nobody)).toEqual({
      defaultBackupPath: PROD,
      defaultEndpoint: ENDPOINT,
      instancePatterns: ['acp-prod-*', 'ag-123'],
      instanceRules: [{ patterns: ['acp-prod-*', 'ag-123'], regions: undefined }],
      regionLimited: false,
      unrestricted: false,
      locations: [PROD],
      endpoints: [ENDPOINT],
      roles: ['support'],
    });
  });

  it('limits to the channel when given one', () => {
    const both = { groupsOf: () => ['@phone-oncall', 'S0TESTERS'], channelId: 'C0ELSE' };
    const scope = scopeFor(policy, { userId: 'U0DDD4' }, 'backup', both);
    expect(scope).toMatchObject({
      instancePatterns: ['acp-test-?', 'acp-qa-*'],
      defaultBackupPath: TEST,
      roles: ['testers'],
    });
    expect(scope.defaultEndpoint).toBeUndefined();
    expect(scope.endpoints).toEqual([]);
  });

  it('is unrestricted for admins and empty for strangers', () => {
    expect(scopeFor(policy, { userId: 'U0ADMIN1' }, 'restore', nobody).unrestricted).toBe(true);
    expect(scopeFor(policy, { userId: 'U0NOBODY' }, 'backup', nobody)).toMatchObject({
      unrestricted: false,
      instancePatterns: [],
      defaultBackupPath: undefined,
    });
  });
});

describe('helpers', () => {
  it('globMatches treats only * and ? as special', () => {
    expect(globMatches('acp-prod-*', 'acp-prod-123')).toBe(true);
    expect(globMatches('acp-prod-*', 'acp-production')).toBe(false);
    expect(globMatches('acp-a.b', 'acp-aXb')).toBe(false);
    expect(globMatches('acp-*-1', 'acp-x-y-1')).toBe(true);
    expect(globMatches('acp-*-1', 'acp-x-y-2')).toBe(false);
    expect(globMatches('acp-**', 'acp-')).toBe(true);
  });

  it('globMatches agrees with a regular-expression reading of the glob (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', '-', '*', '?');
    const pattern = fc.array(alphabet, { maxLength: 8 }).map((chars) => chars.join(''));
    const text = fc.array(fc.constantFrom('a', 'b', '-'), { maxLength: 10 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(pattern, text, (glob, id) => {
        const regex = new RegExp(`^${glob.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        expect(globMatches(glob, id)).toBe(regex.test(id));
      }),
    );
  });

  it('globMatches stays fast on patterns that would make a RegExp backtrack', () => {
    const started = performance.now();
    expect(globMatches(`acp-${'*a'.repeat(20)}b`, `acp-${'a'.repeat(200)}`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('groupRefsIn lists the groups named by roles, optionally for one action', () => {
    expect(groupRefsIn(policy)).toEqual(['@phone-oncall', 'S0TESTERS']);
    expect(groupRefsIn(policy, 'restore')).toEqual(['S0TESTERS']);
    expect(groupRefsIn(policy, 'audit')).toEqual([]);
  });
});

describe('globs that can never match an instance id', () => {
  it('knows which globs can match acp- followed by lower-case letters and digits', () => {
    for (const glob of ['acp-*', 'acp-2ze3*', 'acp-?????', 'acp-abc123', 'acp-*1']) {
      expect(globCanMatchInstanceId(glob), glob).toBe(true);
    }
    for (const glob of ['acp-prod-*', 'acp-test-??', 'acp-Prod*', 'acp-']) {
      expect(globCanMatchInstanceId(glob), glob).toBe(false);
    }
    // Agrees with the matcher on real-shaped ids: a glob said to match nothing matches none of them.
    fc.assert(
      fc.property(
        fc.stringMatching(/^acp-[a-z0-9]{1,20}$/),
        fc.stringMatching(/^acp-[A-Za-z0-9*?-]{0,8}$/),
        (id, glob) => {
          if (!globCanMatchInstanceId(glob)) expect(globMatches(glob, id)).toBe(false);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('names the role and the glob, and suggests an instance group; ag- groups draw no warning', () => {
    expect(unmatchableGlobWarnings(policy)).toEqual([
      expect.stringMatching(/^role "support": instance pattern "acp-prod-\*" can never match .*ag-/),
      expect.stringMatching(/^role "testers": instance pattern "acp-test-\?"/),
      expect.stringMatching(/^role "testers": instance pattern "acp-qa-\*"/),
      expect.stringMatching(/^role "restorers": instance pattern "acp-prod-\*"/),
    ]);
  });
});

describe('evaluatePolicy: backup files acted on (targets)', () => {
  // testers (S0TESTERS): backup, restore, delete on acp-test-?, acp-qa-* in the test bucket.
  const testers = inGroups('S0TESTERS');
  const del = (targets: AccessRequest['targets']) =>
    evaluatePolicy(policy, request('U0DDD4', { action: 'delete', channelId: 'C0ANY', targets }), testers);

  it('allows a file whose instance and location one role covers', () => {
    expect(del([{ label: 'bf-1', instanceId: 'acp-qa-1', path: `${TEST}acp-qa-1.ab` }])).toEqual({
      allowed: true,
      rule: 'role:testers',
    });
  });

  it('refuses a file of an instance in scope stored outside the locations, without echoing where it is', () => {
    const decision = del([{ label: 'bf-2', instanceId: 'acp-qa-1', path: `${PROD}payroll/acp-qa-1.ab` }]);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain('bf-2 was made from an instance or is stored in a location outside those');
    expect(decision.reason).not.toContain('payroll');
  });

  it('refuses, for anyone but an admin, a file whose instance or path is unknown', () => {
    for (const target of [
      { label: 'bf-3', path: `${TEST}x.ab` },
      { label: 'bf-3', instanceId: '', path: `${TEST}x.ab` },
      { label: 'bf-3', instanceId: 'acp-qa-1' },
    ]) {
      expect(del([target]).reason).toMatch(/does not say which instance bf-3 was made from .* only an admin may/);
    }
    const admin = evaluatePolicy(
      policy,
      request('U0ADMIN1', { action: 'delete', targets: [{ label: 'bf-3' }] }),
      nobody,
    );
    expect(admin.allowed).toBe(true);
  });
});
