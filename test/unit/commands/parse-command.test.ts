import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ParsedCommand, parseCommand, tokenize, unescapeSlackText } from '../../../src/commands/parse-command.js';
import { validateBackupInput } from '../../../src/services/backup/input.js';

function unknownReason(text: string): string {
  const parsed = parseCommand(text);
  if (parsed.kind !== 'unknown') throw new Error(`expected unknown, got ${JSON.stringify(parsed)}`);
  expect(parsed.input.length).toBeGreaterThan(0);
  return parsed.reason;
}

function inline(text: string) {
  const parsed = parseCommand(text);
  if (parsed.kind !== 'backup' || parsed.mode !== 'inline') throw new Error(`not inline: ${JSON.stringify(parsed)}`);
  return parsed.raw;
}

describe('parseCommand: help', () => {
  it.each(['', '   ', 'help', 'HELP', '-h', '--help', '?'])('%j is help', (text) => {
    expect(parseCommand(text)).toEqual({ kind: 'help' });
  });
  it('takes a topic', () => {
    expect(parseCommand('help backup')).toEqual({ kind: 'help', topic: 'backup' });
    expect(parseCommand('help nonsense')).toEqual({ kind: 'help' });
    expect(parseCommand('backup --help')).toEqual({ kind: 'help', topic: 'backup' });
    expect(parseCommand('delete -h')).toEqual({ kind: 'help', topic: 'delete' });
  });
});

describe('parseCommand: backup', () => {
  it('opens the modal when no options follow, prefilling ids', () => {
    expect(parseCommand('backup')).toEqual({ kind: 'backup', mode: 'modal', instanceIds: [] });
    expect(parseCommand('backup acp-a acp-b')).toEqual({
      kind: 'backup',
      mode: 'modal',
      instanceIds: ['acp-a', 'acp-b'],
    });
    expect(parseCommand('Backup acp-a,acp-b, acp-a\nacp-c')).toEqual({
      kind: 'backup',
      mode: 'modal',
      instanceIds: ['acp-a', 'acp-b', 'acp-c'],
    });
  });

  it('reads an inline request with every option', () => {
    const raw = inline(
      'backup acp-a acp-b --apps com.a,com.b --path oss://cloudphone-saved-bucket-x/d/ --endpoint oss-cn-shanghai.aliyuncs.com --name MyBackup --description "before the upgrade" --no-stop --no-start',
    );
    expect(raw).toEqual({
      instanceIds: ['acp-a', 'acp-b'],
      apps: ['com.a', 'com.b'],
      backupPath: 'oss://cloudphone-saved-bucket-x/d/',
      uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com',
      backupFileName: 'MyBackup',
      description: 'before the upgrade',
      stopBeforeBackup: false,
      startAfterBackup: false,
    });
    const result = validateBackupInput(raw);
    expect(result.ok).toBe(true);
  });

  it('leaves out options not given (so the default path applies) and passes missing --apps on empty', () => {
    expect(inline('backup acp-a --apps com.a')).toEqual({ instanceIds: ['acp-a'], apps: ['com.a'] });
    const result = validateBackupInput(inline('backup acp-a --no-stop'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors)).toEqual(expect.arrayContaining(['apps', 'backupPath']));
  });

  it('accepts --opt=value, aliases, repeated list options and lists split by ", "', () => {
    const raw = inline(
      'backup --instances=acp-a --instance acp-b --app com.a, com.b --apps ,com.c --apps com.d --desc x',
    );
    expect(raw.instanceIds).toEqual(['acp-a', 'acp-b']);
    expect(raw.apps).toEqual(['com.a', 'com.b', 'com.c', 'com.d']);
    expect(raw.description).toBe('x');
  });

  it('keeps positional ids after options as instance ids', () => {
    expect(inline('backup --apps com.a acp-a --path oss://cloudphone-saved-bucket-x/d acp-b').instanceIds).toEqual([
      'acp-a',
      'acp-b',
    ]);
  });

  it('handles straight, curly and single quotes, keeping apostrophes', () => {
    expect(inline('backup acp-a --description “before the upgrade”').description).toBe('before the upgrade');
    expect(inline('backup acp-a --description ”mixed quotes"').description).toBe('mixed quotes');
    expect(inline("backup acp-a --description 'single quoted'").description).toBe('single quoted');
    expect(inline('backup acp-a --description ‘it’s fine’').description).toBe('it’s fine');
    expect(inline("backup acp-a --name don't").backupFileName).toBe("don't");
    expect(inline('backup acp-a --description "say \'hi\' now"').description).toBe("say 'hi' now");
    expect(inline('backup acp-a --name="two words"').backupFileName).toBe('two words');
    expect(inline('backup acp-a --description "--not-an-option"').description).toBe('--not-an-option');
  });

  it('reads em/en dashes (autocorrected --) as options', () => {
    const raw = inline('backup acp-a —apps com.a –path oss://cloudphone-saved-bucket-x/d —no-stop');
    expect(raw.apps).toEqual(['com.a']);
    expect(raw.backupPath).toBe('oss://cloudphone-saved-bucket-x/d');
    expect(raw.stopBeforeBackup).toBe(false);
  });

  it('undoes Slack escaping and link wrapping', () => {
    const raw = inline(
      'backup acp-a --apps com.a --endpoint <http://oss-cn-shanghai.aliyuncs.com|oss-cn-shanghai.aliyuncs.com> --description "a &lt;b&gt; &amp; c" --name <mailto:me@example.com|me@example.com> --path <https://example.com/x>',
    );
    expect(raw.uploadEndpoint).toBe('oss-cn-shanghai.aliyuncs.com');
    expect(raw.description).toBe('a <b> & c');
    expect(raw.backupFileName).toBe('me@example.com');
    expect(raw.backupPath).toBe('https://example.com/x');
  });

  it('reports option errors', () => {
    expect(unknownReason('backup acp-a --apps')).toBe(
      '`--apps` needs a value, like `--apps com.example.app,com.example.chat`.',
    );
    expect(unknownReason('backup acp-a --apps --path x')).toContain('`--apps` needs a value');
    expect(unknownReason('backup acp-a --name ""')).toContain('`--name` needs a value');
    expect(unknownReason('backup --frobnicate')).toContain('`--frobnicate` is not an option of `backup`');
    expect(unknownReason('backup --path a --path b')).toBe('`--path` is given twice: give it once.');
    expect(unknownReason('backup --no-stop=yes')).toBe('`--no-stop` takes no value.');
  });

  it('reports unbalanced quotes, naming where the quote starts', () => {
    expect(unknownReason('backup acp-a --description "never closed')).toBe(
      'The quote that starts at `"never closed` is never closed: add the closing quote, or remove the opening one.',
    );
    expect(unknownReason('backup acp-a --description “smart open')).toContain('never closed');
    expect(unknownReason("backup acp-a --description 'open")).toContain('never closed');
  });
});

describe('parseCommand: other subcommands', () => {
  it('status', () => {
    expect(parseCommand('status')).toEqual({ kind: 'status' });
    expect(parseCommand('status acp-a')).toEqual({ kind: 'status', target: 'acp-a' });
    expect(unknownReason('status a b')).toContain('takes one request id or instance id');
    expect(unknownReason('status --x')).toContain('It takes no options.');
  });
  it('backups', () => {
    expect(parseCommand('backups')).toEqual({ kind: 'backups' });
    expect(parseCommand('backups acp-a')).toEqual({ kind: 'backups', instanceId: 'acp-a' });
    expect(parseCommand('backups com.a.b acp-a')).toEqual({ kind: 'backups', instanceId: 'acp-a', app: 'com.a.b' });
    expect(parseCommand('backups --instance acp-a --app com.a')).toEqual({
      kind: 'backups',
      instanceId: 'acp-a',
      app: 'com.a',
    });
    expect(unknownReason('backups whatever')).toContain('neither an instance id');
    expect(unknownReason('backups acp-a acp-b')).toContain('at most one of each');
  });
  it('restore', () => {
    expect(parseCommand('restore')).toEqual({ kind: 'restore' });
    expect(parseCommand('restore bf-2ze3abc')).toEqual({ kind: 'restore', backupFileId: 'bf-2ze3abc' });
    expect(parseCommand('recover bf-1')).toEqual({ kind: 'restore', backupFileId: 'bf-1' });
    expect(unknownReason('restore acp-a')).toBe('`acp-a` is not a backup file id: ids look like `bf-2ze3abc…`.');
    expect(unknownReason('restore bf-1 bf-2')).toContain('takes one backup file id');
  });
  it('delete', () => {
    expect(parseCommand('delete bf-1 bf-2,bf-3 bf-1')).toEqual({
      kind: 'delete',
      backupFileIds: ['bf-1', 'bf-2', 'bf-3'],
    });
    expect(unknownReason('delete')).toContain('needs the backup file ids');
    expect(unknownReason('delete bf-1 x')).toBe('`x` is not a backup file id: ids look like `bf-2ze3abc…`.');
    expect(unknownReason('delete a b c d e')).toContain('`a`, `b`, `c` (and 2 more) are not backup file ids');
    const many = Array.from({ length: 101 }, (_, i) => `bf-${i}`).join(' ');
    expect(unknownReason(`delete ${many}`)).toContain('at most 100');
  });
  it('audit', () => {
    expect(parseCommand('audit')).toEqual({ kind: 'audit', all: false, page: 1 });
    // With should_escape: true Slack sends a picked person as an escaped mention.
    expect(parseCommand('audit <@U123ABC|alice> --since 7D')).toEqual({
      kind: 'audit',
      person: { userId: 'U123ABC' },
      since: { agoMs: 7 * 86_400_000 },
      all: false,
      page: 1,
    });
    // A handle Slack did not recognise stays plain text; the command looks it up.
    expect(parseCommand('audit @Alex --since 7d')).toMatchObject({ person: { handle: 'alex' } });
    expect(parseCommand('audit U0AAA1')).toMatchObject({ person: { userId: 'U0AAA1' } });
    expect(parseCommand('audit acp-a --since 2026-01-31')).toEqual({
      kind: 'audit',
      subject: 'acp-a',
      since: { at: Date.UTC(2026, 0, 31) },
      all: false,
      page: 1,
    });
    expect(parseCommand('audit req-abc123 --since=12h --action Restore --all --page 3')).toEqual({
      kind: 'audit',
      subject: 'req-abc123',
      since: { agoMs: 12 * 3_600_000 },
      action: 'restore',
      all: true,
      page: 3,
    });
    expect(unknownReason('audit --since 2026-02-30')).toContain('is not a time for `--since`');
    expect(unknownReason('audit --since 7')).toContain('is not a time for `--since`');
    expect(unknownReason('audit --since')).toContain('`--since` needs a value');
    expect(unknownReason('audit bob')).toContain('`bob` is not a person (`@name`)');
    expect(unknownReason('audit @a @b')).toContain('at most one person');
    expect(unknownReason('audit acp-a bf-b')).toContain('at most one id');
    expect(unknownReason('audit --action frob')).toContain('`frob` is not an action');
    expect(unknownReason('audit --page 0')).toContain('is not a page number');
  });
});

describe('parseCommand: unknown input', () => {
  it('names an unknown subcommand and suggests a close one', () => {
    expect(unknownReason('bakup acp-a')).toContain('`bakup` is not a `/cloudphone` command. Did you mean `backup`?');
    expect(unknownReason('xyzzy')).not.toContain('Did you mean');
  });
  it('escapes what the person typed in the reason', () => {
    const reason = unknownReason('&lt;!channel&gt;');
    expect(reason).toContain('`&lt;!channel&gt;`');
    expect(reason).not.toContain('<!channel>');
    expect(unknownReason('<!channel>')).not.toContain('<!channel>');
  });
  it('treats a quoted first word as text, not a subcommand', () => {
    expect(unknownReason('"backup"')).toContain('is not a `/cloudphone` command');
  });
  it('refuses very long text without working through it', () => {
    const parsed = parseCommand(`backup ${'acp-a '.repeat(10_000)}`);
    expect(parsed.kind).toBe('unknown');
    if (parsed.kind === 'unknown') expect(parsed.input.length).toBeLessThanOrEqual(200);
  });
  it('never throws on non-text', () => {
    expect(parseCommand(undefined as unknown as string).kind).toBe('unknown');
    expect(parseCommand({} as unknown as string).kind).toBe('unknown');
  });
  it('never throws and always returns a known kind; unknown always has a reason (property)', () => {
    const kinds = new Set(['help', 'backup', 'status', 'backups', 'restore', 'delete', 'audit', 'unknown']);
    const pieces = fc.constantFrom(
      'backup',
      'status',
      'delete',
      'audit',
      'backups',
      'restore',
      '--apps',
      '--path',
      '--no-stop',
      '--since',
      '"',
      '“',
      '’',
      "'",
      '<',
      '>',
      '|',
      '&lt;',
      '&amp;',
      '<http://x|y>',
      '—',
      '=',
      ',',
      ' ',
      'acp-a',
      'bf-1',
    );
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join(' ')),
      fc.array(pieces, { maxLength: 20 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (input) => {
        const parsed: ParsedCommand = parseCommand(input);
        expect(kinds.has(parsed.kind)).toBe(true);
        if (parsed.kind === 'unknown') {
          expect(parsed.reason.trim().length).toBeGreaterThan(0);
          expect(parsed.reason).not.toMatch(/<[!@#]/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('tokenize and unescapeSlackText', () => {
  it('keeps mentions canonical and decodes entities once', () => {
    expect(unescapeSlackText('<@U1|bob> <#C1|general> <!here> &amp;lt; <http://a|b>')).toBe(
      '<@U1> <#C1> <!here> &lt; b',
    );
  });
  it('marks quoted tokens literal', () => {
    const result = tokenize('a "--b c" d');
    expect(result).toEqual({
      ok: true,
      tokens: [
        { text: 'a', literal: false },
        { text: '--b c', literal: true },
        { text: 'd', literal: false },
      ],
    });
  });
});
