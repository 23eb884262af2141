import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors.js';
import { loadPolicyFile, parsePolicy } from '../../../../src/services/access/policy.js';

function problemsOf(text: string, source = 'policy.yaml'): string[] {
  try {
    parsePolicy(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the policy to be rejected');
}

const GOOD = `# the example from docs/policy.md
admins: [U0ADMIN1]                 # may do everything, everywhere
roles:
  - name: support
    members: [U0AAA1, "@Phone-Oncall", S0GROUP1] # Slack user ids, or user groups by handle or id
    channels: [C0OPS1]
    actions: [backup, status, list]
    instances: ["acp-prod-*", "ag-123"]
    locations: ["oss://cloudphone-saved-bucket-prod/backups"]
    endpoints: ["OSS-cn-shanghai-internal.aliyuncs.com"]
`;

describe('parsePolicy: a good file', () => {
  it('parses and normalises handles, locations and endpoints', () => {
    expect(parsePolicy(GOOD, 'policy.yaml')).toEqual({
      admins: ['U0ADMIN1'],
      roles: [
        {
          name: 'support',
          members: ['U0AAA1', '@phone-oncall', 'S0GROUP1'],
          channels: ['C0OPS1'],
          actions: ['backup', 'status', 'list'],
          instances: ['acp-prod-*', 'ag-123'],
          locations: ['oss://cloudphone-saved-bucket-prod/backups/'],
          endpoints: ['oss-cn-shanghai-internal.aliyuncs.com'],
        },
      ],
    });
  });

  it('accepts a file with admins only', () => {
    expect(parsePolicy('admins: [U0ADMIN1, W0ENTERPRISE]', 'p.yaml')).toEqual({
      admins: ['U0ADMIN1', 'W0ENTERPRISE'],
      roles: [],
    });
  });
});

describe('parsePolicy: bad files name file:line:col, the key and the fix', () => {
  it('reports bad YAML with its line', () => {
    const problems = problemsOf('admins: [U0ADMIN1\nroles: []\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^policy\.yaml:2:\d+: YAML syntax error: /);
  });

  it('reports a duplicate key as a YAML error', () => {
    expect(problemsOf('admins: []\nroles: []\nadmins: [U0ADMIN1]\n')[0]).toMatch(
      /^policy\.yaml:3:1: YAML syntax error: Map keys must be unique/,
    );
  });

  it('reports an unknown key (a typo) at its own line, with a suggestion', () => {
    const text = GOOD.replace('    instances: ["acp-prod-*", "ag-123"]', '    instance: ["acp-prod-*", "ag-123"]');
    const problems = problemsOf(text);
    expect(problems).toContain(
      'policy.yaml:8:5: roles[0] "support".instance: unknown key "instance"; did you mean "instances"? (allowed: name, members, channels, actions, instances, regions, locations, endpoints)',
    );
    // …and, as the key is now missing, that too, at the role.
    expect(problems).toContainEqual(
      expect.stringMatching(/^policy\.yaml:4:5: roles\[0\] "support"\.instances: required;/),
    );
  });

  it('reports an unknown top-level key', () => {
    expect(problemsOf('admins: []\nrole: []\n')).toEqual([
      'policy.yaml:2:1: role: unknown key "role"; did you mean "roles"? (allowed: admins, roles, approvals)',
    ]);
  });

  it('reports a wrong type at its line', () => {
    expect(problemsOf('admins: U0ADMIN1\n')).toEqual([
      'policy.yaml:1:9: admins: must be a list of Slack user ids, e.g. [U0123ABCD]',
    ]);
    expect(problemsOf('roles:\n  support: {}\n')).toEqual([
      'policy.yaml:2:3: roles: must be a list of roles (each starting with "- name: …")',
    ]);
  });

  it('reports a bad action with its line and column, listing the valid ones', () => {
    const problems = problemsOf(GOOD.replace('[backup, status, list]', '[backup, restor, list]'));
    expect(problems).toEqual([
      'policy.yaml:7:23: roles[0] "support".actions[1]: must be one of backup, restore, delete, status, list',
    ]);
  });

  it('reports a bad member (an unquoted-looking name or a #channel)', () => {
    const problems = problemsOf(GOOD.replace('[U0AAA1, "@Phone-Oncall", S0GROUP1]', '[U0AAA1, phone-oncall]'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^policy\.yaml:5:23: roles\[0\] "support"\.members\[1\]: must be a Slack user id/);
  });

  it('reports bad instance patterns, locations, endpoints and channels', () => {
    const text = `roles:
  - name: r
    members: [U0AAA1]
    channels: ["#ops"]
    actions: [backup]
    instances: ["i-123", "acp-[a-z]*"]
    locations: ["oss://Bucket/x/", "oss://bucket-ok/a/../b/"]
    endpoints: ["https://oss-cn-shanghai.aliyuncs.com/"]
`;
    const problems = problemsOf(text);
    expect(problems.map((p) => p.split(': ')[0])).toEqual([
      'policy.yaml:4:16',
      'policy.yaml:6:17',
      'policy.yaml:6:26',
      'policy.yaml:7:17',
      'policy.yaml:7:36',
      'policy.yaml:8:17',
    ]);
    expect(problems[0]).toContain('channels[0]: must be a Slack channel id');
    expect(problems[1]).toContain('instances[0]: must be an instance group id (ag-…) or an instance id glob');
    expect(problems[3]).toContain('locations[0]: must be an OSS directory');
    expect(problems[5]).toContain('endpoints[0]: must be an OSS endpoint host name');
  });

  it('wants locations on roles that grant delete or list too (each touches or shows files at a path)', () => {
    const text =
      'roles:\n  - name: d\n    members: [U0AAA1]\n    actions: [delete, list, status]\n    instances: [acp-1]\n';
    expect(problemsOf(text)).toEqual([
      'policy.yaml:4:14: roles[0] "d".actions: grants delete, list but the role has no locations: add "locations:" with the oss:// directories whose backups it may use',
    ]);
    expect(() => parsePolicy(text.replace('delete, list, status', 'status'), 'p.yaml')).not.toThrow();
  });

  it('wants locations on roles that grant backup or restore', () => {
    const text = 'roles:\n  - name: r\n    members: [U0AAA1]\n    actions: [restore]\n    instances: [acp-1]\n';
    expect(problemsOf(text)).toEqual([
      'policy.yaml:4:14: roles[0] "r".actions: grants restore but the role has no locations: add "locations:" with the oss:// directories whose backups it may use',
    ]);
  });

  it('wants role names unique', () => {
    const role = '  - { name: r, members: [U0AAA1], actions: [status], instances: [acp-1] }\n';
    expect(problemsOf(`roles:\n${role}${role}`)).toEqual([
      'policy.yaml:3:13: roles[1] "r".name: duplicate role name "r" (also roles[0]); denials name roles, so names must be unique',
    ]);
  });

  it('reports an empty file and a file that is not a mapping', () => {
    expect(problemsOf('# nothing\n')[0]).toContain('policy.yaml: the policy file is empty');
    expect(problemsOf('- U0ADMIN1\n')).toEqual([
      'policy.yaml:1:1: (top level): must be a mapping with "admins:" and "roles:"',
    ]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      'admins: [bob]\nroles:\n  - name: x\n    members: [nobody]\n    actions: [fly]\n    instances: [acp-1]\n',
    );
    expect(problems).toHaveLength(3);
  });
});

describe('docs/policy.md', () => {
  it('has an example that parses', () => {
    const doc = readFileSync(new URL('../../../../docs/policy.md', import.meta.url), 'utf8');
    const example = /```yaml\n# policy\.yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const policy = parsePolicy(example ?? '', 'docs/policy.md');
    expect(policy.roles.map((role) => role.name)).toEqual(['support', 'qa', 'restore-desk']);
  });
});

describe('loadPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in problems', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, GOOD);
    expect(loadPolicyFile(good).roles[0]?.name).toBe('support');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'admins: [U0ADMIN1]\nroles: []\nextra: 1\n');
    expect(() => loadPolicyFile(bad)).toThrow(`${bad}:3:1: extra: unknown key "extra"`);
  });

  it('says when the file cannot be read', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadPolicyFile(missing)).toThrow(ConfigError);
    expect(() => loadPolicyFile(missing)).toThrow(
      `${missing}: cannot read the policy file (ENOENT); check CLOUDPHONE_POLICY`,
    );
  });
});
