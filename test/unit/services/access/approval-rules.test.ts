import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors.js';
import {
  approvalRequirementFor,
  approverAction,
  approverUserIds,
  approverVerdict,
} from '../../../../src/services/access/approval-rules.js';
import { parsePolicy } from '../../../../src/services/access/policy.js';

const ROLES = `
roles:
  - name: qa
    members: [U0AAA1]
    actions: [restore]
    instances: ["acp-*"]
    locations: ["oss://cloudphone-saved-bucket-test/"]
`;

function problemsOf(text: string): string[] {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const policy = parsePolicy(
  `${ROLES}
approvals:
  - name: prod-restores
    actions: [restore]
    instances: ["ag-prod01", "acp-prod1*"]
    approvers: [U0LEAD1, U0LEAD2]
    expires: 30m
  - name: prod-everything
    actions: [restore, delete]
    instances: ["ag-prod01"]
    approvers: ["@leads"]
    required: 2
    channel: C0APPROVE
`,
  'p.yaml',
);

describe('approval rules: parsing', () => {
  it('without an approvals section nothing is required, and the defaults are one approval within 4 hours', () => {
    const plain = parsePolicy(ROLES, 'p.yaml');
    expect(plain.approvals).toBeUndefined();
    expect(approvalRequirementFor(plain, { action: 'restore', instanceIds: ['acp-prod1a'] })).toBeUndefined();
    const defaults = parsePolicy(
      `${ROLES}\napprovals:\n  - name: r\n    actions: [delete]\n    instances: ["acp-*"]\n    approvers: [U0LEAD1]\n`,
      'p.yaml',
    );
    expect(defaults.approvals?.[0]).toMatchObject({ required: 1, expires: 4 * 3_600_000 });
  });

  it('reads durations in minutes, hours and days', () => {
    expect(policy.approvals?.[0]?.expires).toBe(30 * 60_000);
    const days = parsePolicy(
      `${ROLES}\napprovals:\n  - name: r\n    actions: [delete]\n    instances: ["acp-*"]\n    approvers: [U0LEAD1]\n    expires: 2d\n`,
      'p.yaml',
    );
    expect(days.approvals?.[0]?.expires).toBe(2 * 86_400_000);
  });

  it('names each mistake with its place and the fix', () => {
    const problems = problemsOf(`${ROLES}
approvals:
  - name: bad
    actions: [backup]
    instances: ["acp-*"]
    approvers: ["@leads"]
    required: 3
    expires: 4 hours
    aprovers: [U0X1]
`);
    const text = problems.join('\n');
    expect(text).toMatch(/approvals\[0\] "bad"\.actions\[0\]: must be one of restore, delete, schedule \(schedule: /);
    expect(text).toMatch(/approvals\[0\] "bad"\.required: must be 1 or 2/);
    expect(text).toMatch(/approvals\[0\] "bad"\.expires: must be a duration such as 30m, 4h or 2d/);
    expect(text).toMatch(/unknown key "aprovers"; did you mean "approvers"\?/);
    expect(problems.every((line) => /^p\.yaml:\d+:\d+: /.test(line))).toBe(true);
  });

  it('refuses a group of approvers without a channel, two approvals from one person, and a wait too short', () => {
    const text = problemsOf(`${ROLES}
approvals:
  - name: groups
    actions: [restore]
    instances: ["acp-*"]
    approvers: ["@leads"]
  - name: lonely
    actions: [delete]
    instances: ["acp-*"]
    approvers: [U0LEAD1]
    required: 2
    expires: 1m
`).join('\n');
    expect(text).toMatch(/"groups"\.approvers: names user groups \(@leads\) but the rule has no channel/);
    expect(text).toMatch(/"lonely"\.required: asks for 2 approvals but lists only 1 approver/);
    expect(text).toMatch(/"lonely"\.expires: must be between 5m and 7d/);
  });
});

describe('approval rules: which request waits', () => {
  it('applies a rule when any instance of the request is covered, by glob or by instance group', () => {
    expect(
      approvalRequirementFor(policy, { action: 'restore', instanceIds: ['acp-other1', 'acp-prod1x'] }),
    ).toMatchObject({ rule: 'prod-restores', required: 1, approvers: ['U0LEAD1', 'U0LEAD2'], expiresMs: 1_800_000 });
    expect(approvalRequirementFor(policy, { action: 'restore', instanceIds: ['acp-other1'] })).toBeUndefined();
    expect(approvalRequirementFor(policy, { action: 'delete', instanceIds: ['acp-prod1x'] })).toBeUndefined();
  });

  it('takes the strictest rule when several apply', () => {
    const requirement = approvalRequirementFor(policy, {
      action: 'restore',
      instanceIds: ['acp-zz1'],
      instanceGroups: { 'acp-zz1': 'ag-prod01' },
    });
    expect(requirement).toMatchObject({ rule: 'prod-everything', required: 2, channel: 'C0APPROVE' });
  });

  it('waits when the instance groups could not be looked up (fail closed)', () => {
    expect(
      approvalRequirementFor(policy, { action: 'delete', instanceIds: ['acp-zz1'], groupsUnknown: true }),
    ).toMatchObject({ rule: 'prod-everything' });
    expect(
      approvalRequirementFor(policy, { action: 'delete', instanceIds: ['acp-zz1'], instanceGroups: {} }),
    ).toBeUndefined();
    // A backup whose source instance nobody knows: every rule for the action applies.
    expect(approvalRequirementFor(policy, { action: 'delete', instanceIds: [], instancesUnknown: true })).toMatchObject(
      { rule: 'prod-everything' },
    );
  });
});

describe('approval rules: schedules with retention', () => {
  const schedules = parsePolicy(
    `${ROLES}
approvals:
  - name: prod-schedules
    actions: [schedule]
    instances: ["ag-prod01"]
    approvers: [U0LEAD1]
    expires: 1d
  - name: prod-deletes
    actions: [delete]
    instances: ["acp-prod*"]
    approvers: [U0LEAD2]
`,
    'p.yaml',
  );

  it('accepts schedule as an action, and covers a schedule change on the rule instances only', () => {
    expect(schedules.approvals?.[0]?.actions).toEqual(['schedule']);
    expect(
      approvalRequirementFor(schedules, {
        action: 'schedule',
        instanceIds: ['acp-qa1', 'acp-zz1'],
        instanceGroups: { 'acp-zz1': 'ag-prod01' },
      }),
    ).toMatchObject({ rule: 'prod-schedules', action: 'schedule', approvers: ['U0LEAD1'], expiresMs: 86_400_000 });
    expect(
      approvalRequirementFor(schedules, { action: 'schedule', instanceIds: ['acp-qa1'], instanceGroups: {} }),
    ).toBeUndefined();
    // A delete rule does not hold a schedule, nor a schedule rule a deletion.
    expect(approvalRequirementFor(schedules, { action: 'schedule', instanceIds: ['acp-prod1'] })).toBeUndefined();
    expect(
      approvalRequirementFor(schedules, {
        action: 'delete',
        instanceIds: ['acp-zz1'],
        instanceGroups: { 'acp-zz1': 'ag-prod01' },
      }),
    ).toBeUndefined();
    expect(
      approvalRequirementFor(schedules, { action: 'schedule', instanceIds: ['acp-zz1'], groupsUnknown: true }),
    ).toMatchObject({ rule: 'prod-schedules' });
  });

  it('without a schedule rule no schedule waits', () => {
    expect(approvalRequirementFor(policy, { action: 'schedule', instanceIds: ['acp-prod1x'] })).toBeUndefined();
  });

  it("asks the approver for delete rights on a schedule's instances (its runs delete backups), else the action", () => {
    expect(approverAction('schedule')).toBe('delete');
    expect(approverAction('restore')).toBe('restore');
    expect(approverAction('delete')).toBe('delete');
  });

  it('names the allowed actions when one is unknown', () => {
    const text = problemsOf(
      `${ROLES}\napprovals:\n  - name: s\n    actions: [schedules]\n    instances: ["acp-*"]\n    approvers: [U0LEAD1]\n`,
    ).join('\n');
    expect(text).toMatch(/"s"\.actions\[0\]: must be one of restore, delete, schedule/);
  });
});

describe('approval rules: who may approve', () => {
  const requirement = { rule: 'prod-everything', approvers: ['U0LEAD1', '@leads', 'S0SRE'] };

  it('never the requester, even when listed', () => {
    const verdict = approverVerdict(requirement, { approverId: 'U0LEAD1', requesterId: 'U0LEAD1', groups: new Set() });
    expect(verdict).toMatchObject({ ok: false, reason: 'own-request' });
  });

  it('a listed person, or a member of a listed group at the time they click', () => {
    expect(approverVerdict(requirement, { approverId: 'U0LEAD1', requesterId: 'U0AAA1', groups: new Set() })).toEqual({
      ok: true,
    });
    expect(
      approverVerdict(requirement, { approverId: 'U0BOB', requesterId: 'U0AAA1', groups: new Set(['@leads']) }),
    ).toEqual({ ok: true });
    const outsider = approverVerdict(requirement, { approverId: 'U0BOB', requesterId: 'U0AAA1', groups: new Set() });
    expect(outsider).toMatchObject({ ok: false, reason: 'not-an-approver' });
    expect(outsider.ok ? '' : outsider.message).toContain('prod-everything');
  });

  it('direct messages go to the listed people, not to group references', () => {
    expect(approverUserIds(requirement)).toEqual(['U0LEAD1']);
  });
});
