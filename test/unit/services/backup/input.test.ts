import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BACKUP_FIELDS,
  BACKUP_LIMITS,
  BackupFileName,
  BackupForm,
  type BackupRawInput,
  Description,
  InstanceId,
  OssBackupPath,
  PackageName,
  splitList,
  UploadEndpoint,
  validateBackupInput,
} from '../../../../src/services/backup/input.js';
import type { BackupSpec } from '../../../../src/services/backup/model.js';

const valid: BackupRawInput = {
  instanceIds: 'acp-2ze3abc01\nacp-2ze3abc02',
  apps: 'com.example.app, com.example.chat',
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
  backupPath: 'oss://cloudphone-saved-bucket-demo/backups/',
};

function errorsOf(raw: unknown) {
  const result = validateBackupInput(raw);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.spec)}`);
  return result.errors;
}

function specOf(raw: unknown): BackupSpec {
  const result = validateBackupInput(raw);
  if (!result.ok) throw new Error(`expected a spec, got ${JSON.stringify(result.errors)}`);
  return result.spec;
}

describe('splitList', () => {
  it('splits on commas, spaces, newlines and semicolons, trims and dedupes in order', () => {
    expect(splitList(' acp-a, acp-b\nacp-c;acp-a\t acp-d ,, ')).toEqual(['acp-a', 'acp-b', 'acp-c', 'acp-d']);
  });
  it('splits on full-width commas and non-breaking spaces', () => {
    expect(splitList('acp-a，acp-b\u00a0acp-c、acp-d')).toEqual(['acp-a', 'acp-b', 'acp-c', 'acp-d']);
  });
  it('returns nothing for blank text and non-text', () => {
    expect(splitList('  \n , ')).toEqual([]);
    expect(splitList(null as unknown as string)).toEqual([]);
  });
});

describe('validateBackupInput: a valid request', () => {
  it('produces the BackupSpec with defaults for the options', () => {
    expect(specOf(valid)).toEqual({
      instanceIds: ['acp-2ze3abc01', 'acp-2ze3abc02'],
      apps: ['com.example.app', 'com.example.chat'],
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      backupPath: 'oss://cloudphone-saved-bucket-demo/backups/',
      stopBeforeBackup: true,
      startAfterBackup: true,
    });
  });

  it('keeps optional fields, flags and arrays, and omits blank optional fields', () => {
    const spec = specOf({
      ...valid,
      instanceIds: ['acp-a acp-b', 'acp-a'],
      apps: ['com.a.b'],
      backupFileName: '  MyBackup ',
      description: ' before the upgrade\nsecond line ',
      stopBeforeBackup: false,
      startAfterBackup: false,
    });
    expect(spec.instanceIds).toEqual(['acp-a', 'acp-b']);
    expect(spec.backupFileName).toBe('MyBackup');
    expect(spec.description).toBe('before the upgrade\nsecond line');
    expect(spec.stopBeforeBackup).toBe(false);
    expect(spec.startAfterBackup).toBe(false);
    const blank = specOf({ ...valid, backupFileName: '   ', description: '' });
    expect('backupFileName' in blank).toBe(false);
    expect('description' in blank).toBe(false);
  });

  it('normalises the path (trailing slash, scheme case) and the endpoint (case)', () => {
    const spec = specOf({
      ...valid,
      backupPath: 'OSS://cloudphone-saved-bucket-demo/a/b',
      uploadEndpoint: ' OSS-cn-Hangzhou.aliyuncs.com ',
    });
    expect(spec.backupPath).toBe('oss://cloudphone-saved-bucket-demo/a/b/');
    expect(spec.uploadEndpoint).toBe('oss-cn-hangzhou.aliyuncs.com');
  });

  it('BackupForm.parse yields the same spec (for listeners that use the schema directly)', () => {
    expect(BackupForm.parse(valid)).toEqual(specOf(valid));
  });
});

describe('validateBackupInput: field messages', () => {
  it('names a bad instance id and shows what ids look like', () => {
    expect(errorsOf({ ...valid, instanceIds: 'acp_123' }).instanceIds).toBe(
      '`acp_123` is not an instance id: ids look like `acp-2ze3abc…`.',
    );
  });
  it('suggests the lowercase id', () => {
    expect(errorsOf({ ...valid, instanceIds: 'ACP-2ZE' }).instanceIds).toContain('ids are lowercase, like `acp-2ze`');
  });
  it('rejects odd characters after acp- and over-long ids', () => {
    expect(errorsOf({ ...valid, instanceIds: 'acp-ab_c' }).instanceIds).toContain('only lowercase letters and digits');
    expect(errorsOf({ ...valid, instanceIds: `acp-${'a'.repeat(65)}` }).instanceIds).toContain('too long');
  });
  it('lists up to three bad ids and counts the rest', () => {
    const message = errorsOf({ ...valid, instanceIds: 'x1 x2 x3 x4 x5 acp-ok' }).instanceIds ?? '';
    expect(message).toContain('`x1`');
    expect(message).toContain('`x3`');
    expect(message).not.toContain('`x4`');
    expect(message).toContain('and 2 more not valid');
  });
  it('asks for at least one instance and at most 500', () => {
    expect(errorsOf({ ...valid, instanceIds: ' , ' }).instanceIds).toContain('Enter at least one');
    const ids = Array.from({ length: 501 }, (_, i) => `acp-${i}`).join(',');
    expect(errorsOf({ ...valid, instanceIds: ids }).instanceIds).toBe(
      'You listed 501 instances; one request takes at most 500. Split them into several requests.',
    );
    const exactly = Array.from({ length: 500 }, (_, i) => `acp-${i}`);
    expect(specOf({ ...valid, instanceIds: [...exactly, ...exactly] }).instanceIds).toHaveLength(500);
  });
  it('checks package names', () => {
    expect(errorsOf({ ...valid, apps: 'com' }).apps).toContain('at least two parts separated by dots');
    expect(errorsOf({ ...valid, apps: 'com.1abc' }).apps).toContain('must start with a letter, and `1abc` does not');
    expect(errorsOf({ ...valid, apps: 'com..a' }).apps).toContain('empty part');
    expect(errorsOf({ ...valid, apps: 'com.ex-ample' }).apps).toContain('letters, digits and `_`');
    expect(errorsOf({ ...valid, apps: `com.${'a'.repeat(252)}` }).apps).toContain('too long');
    expect(specOf({ ...valid, apps: `com.${'a'.repeat(251)}` }).apps[0]).toHaveLength(255);
    expect(specOf({ ...valid, apps: 'Com.Example_1.App2' }).apps).toEqual(['Com.Example_1.App2']);
  });
  it('caps apps at 50', () => {
    const apps = Array.from({ length: 51 }, (_, i) => `com.example.a${i}`);
    expect(errorsOf({ ...valid, apps }).apps).toContain('You listed 51 apps; one request takes at most 50');
  });
  it('explains the bucket prefix rule', () => {
    const message = errorsOf({ ...valid, backupPath: 'oss://my-bucket/backups/' }).backupPath;
    expect(message).toContain('`my-bucket`');
    expect(message).toContain('only writes backups to buckets whose names start with `cloudphone-saved-bucket-`');
  });
  it('checks the path shape', () => {
    const cases: [string, string][] = [
      ['', 'Enter the OSS folder'],
      ['s3://cloudphone-saved-bucket-x/a/', 'must start with `oss://`'],
      ['oss://Cloudphone-saved-bucket-x/a/', 'not a valid bucket name'],
      ['oss://cloudphone-saved-bucket-x-/a/', 'not a valid bucket name'],
      [`oss://cloudphone-saved-bucket-${'x'.repeat(40)}/a/`, 'not a valid bucket name'],
      ['oss://cloudphone-saved-bucket-/a/', 'not a valid bucket name'],
      ['oss://cloudphone-saved-bucketx/a/', 'whose names start with'],
      ['oss://cloudphone-saved-bucket-x', 'Add a folder after the bucket'],
      ['oss://cloudphone-saved-bucket-x/', 'Add a folder after the bucket'],
      ['oss://cloudphone-saved-bucket-x/a//b/', 'empty folder name'],
      ['oss://cloudphone-saved-bucket-x/a/../b/', '`..`'],
      ['oss://cloudphone-saved-bucket-x/a\nb/', 'control characters'],
      ['oss://cloudphone-saved-bucket-x/a\\b/', 'backslash'],
      [`oss://cloudphone-saved-bucket-x/${'a/'.repeat(600)}`, 'too long'],
    ];
    for (const [path, expected] of cases) {
      expect(errorsOf({ ...valid, backupPath: path }).backupPath, path).toContain(expected);
    }
  });
  it('checks the endpoint', () => {
    expect(errorsOf({ ...valid, uploadEndpoint: 'https://oss-cn-shanghai.aliyuncs.com' }).uploadEndpoint).toContain(
      'give the host only',
    );
    expect(errorsOf({ ...valid, uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com/x' }).uploadEndpoint).toContain(
      'includes a path',
    );
    expect(errorsOf({ ...valid, uploadEndpoint: 'evil.example.com' }).uploadEndpoint).toContain(
      'is not an OSS endpoint',
    );
    expect(errorsOf({ ...valid, uploadEndpoint: '' }).uploadEndpoint).toContain('Choose the OSS endpoint');
    expect(specOf({ ...valid, uploadEndpoint: 'oss-ap-southeast-1.aliyuncs.com' }).uploadEndpoint).toBe(
      'oss-ap-southeast-1.aliyuncs.com',
    );
  });
  it('checks the file name', () => {
    expect(errorsOf({ ...valid, backupFileName: 'a/b' }).backupFileName).toContain("can't contain slashes");
    expect(errorsOf({ ...valid, backupFileName: 'x'.repeat(101) }).backupFileName).toContain('at most 100');
    expect(errorsOf({ ...valid, backupFileName: 'a\u0007b' }).backupFileName).toContain('control characters');
    expect(specOf({ ...valid, backupFileName: 'nightly-2025.06.01_a' }).backupFileName).toBe('nightly-2025.06.01_a');
    expect(specOf({ ...valid, backupFileName: 'x'.repeat(100) }).backupFileName).toBe('x'.repeat(100));
  });
  it('refuses file names that could walk out of the folder or be read as another name', () => {
    for (const name of ['.', '..']) {
      expect(errorsOf({ ...valid, backupFileName: name }).backupFileName).toContain('is not a file name');
    }
    for (const name of ['%2e%2e', '..%2Fhr-payroll', 'a%2fb', '%2E']) {
      expect(errorsOf({ ...valid, backupFileName: name }).backupFileName, name).toContain('percent-encoding');
    }
    expect(errorsOf({ ...valid, backupFileName: 'two words' }).backupFileName).toContain(
      'contains space: a backup file name may use only letters, digits',
    );
    expect(errorsOf({ ...valid, backupFileName: '📱'.repeat(3) }).backupFileName).toContain('may use only letters');
    expect(errorsOf({ ...valid, backupFileName: 'a:b?c' }).backupFileName).toContain('`:`, `?`');
  });
  it('checks the description', () => {
    expect(errorsOf({ ...valid, description: 'x'.repeat(257) }).description).toContain('at most 256');
    expect(errorsOf({ ...valid, description: 'a\u202eb' }).description).toContain('control characters');
    expect(specOf({ ...valid, description: 'x'.repeat(256) }).description).toHaveLength(256);
  });
  it('escapes and truncates the offending value for Slack', () => {
    const message = errorsOf({ ...valid, instanceIds: '<!channel>' }).instanceIds ?? '';
    expect(message).toContain('`&lt;!channel&gt;`');
    expect(message).not.toContain('<!channel>');
    const long = errorsOf({ ...valid, instanceIds: `x${'y'.repeat(5000)}` }).instanceIds ?? '';
    expect(long.length).toBeLessThan(300);
    expect(long).toContain('…');
    expect(errorsOf({ ...valid, instanceIds: 'a`b' }).instanceIds).toContain('`aˋb`');
  });
  it('reports every bad field at once', () => {
    const errors = errorsOf({});
    expect(Object.keys(errors).sort()).toEqual(['apps', 'backupPath', 'instanceIds', 'uploadEndpoint']);
  });
});

describe('validateBackupInput: hostile input', () => {
  it('handles non-objects and wrong types with messages', () => {
    for (const raw of [null, undefined, 0, 'text', [], true, () => 1, Symbol('x')]) {
      expect(errorsOf(raw).instanceIds).toMatch(/\S/);
    }
    const errors = errorsOf({ instanceIds: { a: 1 }, apps: [1], uploadEndpoint: 5, backupPath: [], description: {} });
    expect(errors.instanceIds).toBe('Instance ids must be text, not an object.');
    expect(errors.apps).toBe('App package names must be text, not a number.');
    expect(errors.uploadEndpoint).toBe('The OSS endpoint must be text, not a number.');
    expect(errors.backupPath).toBe('The OSS folder must be text, not a list.');
    expect(errors.description).toBe('The description must be text, not an object.');
  });
  it('handles a throwing getter and huge text', () => {
    const raw = {
      get instanceIds(): string {
        throw new Error('boom');
      },
    };
    expect(errorsOf(raw).instanceIds).toMatch(/could not be read/);
    expect(errorsOf({ ...valid, apps: 'a'.repeat(2_000_000) }).apps).toContain('too much text');
    expect(errorsOf({ ...valid, instanceIds: new Array(200_000).fill('acp-a') }).instanceIds).toContain('too many');
  });
  it('reads flags leniently: booleans, and text such as "false"', () => {
    expect(specOf({ ...valid, stopBeforeBackup: 'false', startAfterBackup: 'no' }).stopBeforeBackup).toBe(false);
    expect(specOf({ ...valid, stopBeforeBackup: null }).stopBeforeBackup).toBe(true);
  });
  it('never throws and always returns a spec or at least one non-empty message (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('acp-a', 'com.a.b', 'oss://cloudphone-saved-bucket-x/d/', 'oss-cn-shanghai.aliyuncs.com'),
    );
    const anyValue = fc.oneof(text, fc.array(text, { maxLength: 5 }), fc.anything());
    const raw = fc.oneof(
      fc.anything(),
      fc.record(
        {
          instanceIds: anyValue,
          apps: anyValue,
          uploadEndpoint: anyValue,
          backupPath: anyValue,
          backupFileName: anyValue,
          description: anyValue,
          stopBeforeBackup: anyValue,
          startAfterBackup: anyValue,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(raw, (input) => {
        const result = validateBackupInput(input);
        if (result.ok) {
          expect(result.spec.instanceIds.length).toBeGreaterThan(0);
          expect(result.spec.instanceIds.length).toBeLessThanOrEqual(BACKUP_LIMITS.maxInstances);
          expect(new Set(result.spec.apps).size).toBe(result.spec.apps.length);
        } else {
          const messages = Object.entries(result.errors);
          expect(messages.length).toBeGreaterThan(0);
          for (const [field, message] of messages) {
            expect(BACKUP_FIELDS).toContain(field);
            expect(typeof message).toBe('string');
            expect(message.trim().length).toBeGreaterThan(0);
            expect(message.length).toBeLessThan(1000);
            // A person's text never reaches Slack unescaped.
            expect(message).not.toMatch(/<[!@#]/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
  it('accepts every generated valid request (property)', () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
    const app = fc
      .tuple(segment, segment, fc.option(segment, { nil: undefined }))
      .map((parts) => parts.filter((p) => p !== undefined).join('.'));
    const id = fc.stringMatching(/^acp-[a-z0-9]{1,20}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 20 }),
        fc.uniqueArray(app, { minLength: 1, maxLength: 10 }),
        fc.stringMatching(/^[a-z0-9]{1,20}$/),
        (ids, apps, dir) => {
          const spec = specOf({
            ...valid,
            instanceIds: ids.join('\n'),
            apps: apps.join(','),
            backupPath: `oss://cloudphone-saved-bucket-q/${dir}`,
          });
          expect(spec.instanceIds).toEqual(ids);
          expect(spec.apps).toEqual(apps);
          expect(spec.backupPath).toBe(`oss://cloudphone-saved-bucket-q/${dir}/`);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('single-value schemas', () => {
  it('parse their own values', () => {
    expect(InstanceId.safeParse('acp-abc').success).toBe(true);
    expect(InstanceId.safeParse('acp_abc').success).toBe(false);
    expect(PackageName.safeParse('com.a').success).toBe(true);
    expect(PackageName.safeParse('com').success).toBe(false);
    expect(OssBackupPath.parse('oss://cloudphone-saved-bucket-a/b')).toBe('oss://cloudphone-saved-bucket-a/b/');
    expect(UploadEndpoint.safeParse('oss-cn-beijing-internal.aliyuncs.com').success).toBe(true);
    expect(BackupFileName.parse(undefined)).toBeUndefined();
    expect(BackupFileName.parse('  ')).toBeUndefined();
    expect(Description.parse('hi')).toBe('hi');
    const failed = InstanceId.safeParse(42);
    expect(failed.success).toBe(false);
    expect(failed.error?.issues[0]?.message).toBe('An instance id must be text, not a number.');
  });
});
