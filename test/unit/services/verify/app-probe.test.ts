import { describe, expect, it } from 'vitest';
import {
  buildProbeCommand,
  parseAppSection,
  parseProbeOutput,
  UnsafePackageNameError,
} from '../../../../src/services/verify/app-probe.js';
import { checkTarget } from '../../../../src/services/verify/compare.js';

/** What `pm path`, `dumpsys package | grep` and `du -sk` print on an Android 12 phone for an installed app. */
const INSTALLED = [
  'package:/data/app/~~Qm9vYmFy0123456789abcd==/com.tencent.mm-Xy1aB2cD3eF4gH5iJ6kL7w==/base.apk',
  '    versionCode=2460 minSdk=23 targetSdk=31',
  '    versionName=8.0.50',
  '43544\t/data/data/com.tencent.mm',
];

describe('the app probe: command', () => {
  it('puts only checked package names in the shell command, and starts apps only when asked', () => {
    const plain = buildProbeCommand(['com.a', 'com.b_2.x'], { launch: false });
    expect(plain).toContain('for p in com.a com.b_2.x; do');
    expect(plain).not.toContain('monkey');
    const launch = buildProbeCommand(['com.a'], { launch: true });
    expect(launch).toMatch(/monkey -p "\$p" -c android\.intent\.category\.LAUNCHER 1/);
    expect(launch).toContain('pidof');
  });

  it.each([
    'com.a; reboot',
    'com.a $(id)',
    'com.a`id`',
    '"com.a"',
    'noDots',
    '1com.a',
    'com..a',
    'com.a\nreboot',
    'com.a b',
  ])('refuses %j before it reaches a command', (name) => {
    expect(() => buildProbeCommand(['com.ok', name], { launch: true })).toThrow(UnsafePackageNameError);
  });
});

describe('the app probe: output', () => {
  it('reads an installed app: version name and code, data size in bytes', () => {
    expect(parseAppSection('com.tencent.mm', INSTALLED)).toEqual({
      packageName: 'com.tencent.mm',
      installed: true,
      versionName: '8.0.50',
      versionCode: 2460,
      dataBytes: 43544 * 1024,
    });
  });

  it('reads a missing package: no pm path line, no version lines, du says No such file', () => {
    expect(parseAppSection('com.gone', ['du: /data/data/com.gone: No such file or directory'])).toEqual({
      packageName: 'com.gone',
      installed: false,
      dataError: 'No such file or directory',
    });
  });

  it('takes the active package when dumpsys lists an updated system app twice (hidden system package after it)', () => {
    const facts = parseAppSection('com.android.chrome', [
      'package:/data/app/~~abc==/com.android.chrome-1/base.apk',
      '    versionCode=609912033 minSdk=29 targetSdk=33',
      '    versionName=120.0.6099.120',
      '    versionCode=443009134 minSdk=29 targetSdk=30',
      '    versionName=83.0.4103.106',
      '152388\t/data/data/com.android.chrome',
    ]);
    expect(facts).toMatchObject({ versionName: '120.0.6099.120', versionCode: 609912033 });
  });

  it('keeps the size du printed despite permission errors on some files, and says why when it printed none', () => {
    const partial = parseAppSection('com.a', [
      'package:/data/app/com.a-1/base.apk',
      '    versionCode=3 targetSdk=28',
      '    versionName=1.2',
      'du: /data/data/com.a/files/locked: Permission denied',
      '880\t/data/data/com.a',
    ]);
    expect(partial).toMatchObject({ installed: true, dataBytes: 880 * 1024 });
    expect(partial.dataError).toBeUndefined();
    const none = parseAppSection('com.a', [
      'package:/data/app/com.a-1/base.apk',
      'du: /data/data/com.a: Permission denied',
    ]);
    expect(none).toMatchObject({ installed: true, dataError: 'Permission denied' });
    expect(none.dataBytes).toBeUndefined();
    expect(parseAppSection('com.a', ['package:/data/app/com.a-1/base.apk']).dataError).toBe('du printed no size');
  });

  it('does not take a size line of another directory, or a version from a line that only mentions one', () => {
    const facts = parseAppSection('com.a', [
      'package:/data/app/com.a-1/base.apk',
      '    sharedUser=SharedUserSetting{ versionName=bogus }',
      '12\t/data/data/com.a.other',
    ]);
    expect(facts.versionName).toBeUndefined();
    expect(facts.dataBytes).toBeUndefined();
  });

  it('splits a batch output per app, reads pid lines, and leaves out apps the output never reached', () => {
    const output = [
      '@@app com.a',
      ...INSTALLED.map((line) => line.replaceAll('com.tencent.mm', 'com.a')),
      '@@pid 4242',
      '@@app com.b',
      'du: /data/data/com.b: No such file or directory',
      '@@pid ',
      '',
    ].join('\r\n');
    const facts = parseProbeOutput(output, ['com.a', 'com.b', 'com.c']);
    expect(facts.get('com.a')).toMatchObject({ installed: true, versionName: '8.0.50', started: true });
    expect(facts.get('com.b')).toMatchObject({ installed: false, started: false });
    expect(facts.has('com.c')).toBe(false);
  });
});

describe('comparing a restored target with the backup', () => {
  const atBackup = {
    packageName: 'com.a',
    installed: true,
    versionName: '8.0.50',
    versionCode: 2460,
    dataBytes: 43 * 1024 * 1024,
  };
  const restored = { ...atBackup, dataBytes: 41 * 1024 * 1024, started: true };
  const compare = (found: object, source = { recorded: true as const, apps: [atBackup] }) =>
    checkTarget({
      instanceId: 'acp-t',
      packages: ['com.a'],
      probe: { ok: true, apps: [{ ...restored, ...found }], missing: [] },
      source,
      tolerance: 0.2,
    });

  it('passes the same version with data within the tolerance, started', () => {
    expect(compare({}).outcome).toBe('passed');
  });

  it('names each mismatch', () => {
    const check = compare({ versionName: '8.0.49', versionCode: 2459, dataBytes: 12 * 1024, started: false });
    expect(check.outcome).toBe('failed');
    expect(check.outcome !== 'impossible' && check.apps[0]?.problems.map((p) => p.kind)).toEqual([
      'wrong-version',
      'data-empty',
      'not-started',
    ]);
    const small = compare({ dataBytes: 30 * 1024 * 1024 });
    expect(small.outcome !== 'impossible' && small.apps[0]?.problems).toEqual([
      { kind: 'data-size', foundBytes: 30 * 1024 * 1024, expectedBytes: 43 * 1024 * 1024, tolerance: 0.2 },
    ]);
  });

  it('without facts from backup time checks what it can and names what it could not compare', () => {
    const check = compare({}, { recorded: false } as never);
    expect(check.outcome).toBe('passed');
    expect(check.outcome !== 'impossible' && check.apps[0]?.notCompared).toEqual(['version', 'data-size']);
    expect(compare({ installed: false }, { recorded: false } as never).outcome).toBe('failed');
  });

  it('never passes a target it could not look at', () => {
    const check = checkTarget({
      instanceId: 'acp-t',
      packages: ['com.a'],
      probe: { ok: false, miss: 'not-running' },
      source: { recorded: false },
      tolerance: 0.2,
      status: 'STOPPED',
    });
    expect(check).toEqual({ instanceId: 'acp-t', outcome: 'impossible', miss: 'not-running', detail: 'STOPPED' });
  });
});
