import { describe, expect, it } from 'vitest';
import { collectTexts, messageLimitProblems } from '../../../src/blocks/limits.js';
import {
  formDenialText,
  inlineErrorsMessage,
  notInChannelMessage,
  permissionDeniedMessage,
  requestAcceptedMessage,
  unexpectedErrorMessage,
  unknownCommandMessage,
  usageMessage,
} from '../../../src/blocks/messages.js';
import { parseCommand, SUBCOMMANDS } from '../../../src/commands/parse-command.js';
import { validateBackupInput } from '../../../src/services/backup/input.js';

const allText = (message: { text: string; blocks: unknown[] }) =>
  `${message.text}\n${collectTexts(message.blocks).join('\n')}`;

describe('usageMessage', () => {
  it('covers every subcommand with an example, within limits', () => {
    const message = usageMessage();
    expect(messageLimitProblems(message)).toEqual([]);
    const text = allText(message);
    for (const sub of SUBCOMMANDS) expect(text).toContain(`/cloudphone ${sub}`);
    for (const option of [
      '--apps',
      '--path',
      '--endpoint',
      '--name',
      '--description',
      '--no-stop',
      '--no-start',
      '--since',
    ]) {
      expect(text).toContain(option);
    }
    expect(text).toContain('cloudphone-saved-bucket-');
  });

  it('every example in the help parses as the command it documents', () => {
    const text = collectTexts(usageMessage().blocks).join('\n');
    const examples = [...text.matchAll(/`\/cloudphone ([^`]+)`/g)].map((m) => m[1] ?? '');
    expect(examples.length).toBeGreaterThan(8);
    for (const example of examples) {
      if (example.includes('<')) continue; // placeholders such as <request id>
      const parsed = parseCommand(example.replace(/…/g, 'abc'));
      expect(parsed.kind, example).not.toBe('unknown');
    }
    // The inline example is a complete request once the configured default endpoint is added.
    const inline = parseCommand(examples.find((e) => e.includes('--apps')) ?? '');
    if (inline.kind !== 'backup' || inline.mode !== 'inline') throw new Error('the inline example is not inline');
    expect(validateBackupInput({ ...inline.raw, uploadEndpoint: 'oss-cn-shanghai.aliyuncs.com' }).ok).toBe(true);
  });

  it('shows one topic', () => {
    const text = allText(usageMessage('delete'));
    expect(text).toContain('/cloudphone delete');
    expect(text).not.toContain('/cloudphone backup acp');
    expect(usageMessage('help').blocks.length).toBe(usageMessage().blocks.length);
  });
});

describe('unknownCommandMessage', () => {
  it('shows what was typed, escaped, with the reason and where to find help', () => {
    const parsed = parseCommand('frobnicate <!channel>');
    if (parsed.kind !== 'unknown') throw new Error('expected unknown');
    const message = unknownCommandMessage(parsed.input, parsed.reason);
    expect(messageLimitProblems(message)).toEqual([]);
    const text = allText(message);
    expect(text).toContain('`/cloudphone frobnicate &lt;!channel&gt;`');
    expect(text).toContain('`frobnicate` is not a `/cloudphone` command');
    expect(text).toContain('/cloudphone help');
    expect(text).not.toContain('<!channel>');
  });
  it('keeps stray markup in a reason inert without double-escaping', () => {
    const text = allText(unknownCommandMessage('x', 'bad <@U1> &amp; good'));
    expect(text).toContain('bad &lt;@U1&gt; &amp; good');
    expect(allText(unknownCommandMessage('x'.repeat(10_000), ''))).toContain('…');
  });
});

describe('inlineErrorsMessage', () => {
  it('lists each bad field with the option to fix', () => {
    const result = validateBackupInput({
      instanceIds: 'acp_1',
      apps: '',
      backupPath: 'oss://x/y',
      uploadEndpoint: 'nope',
    });
    if (result.ok) throw new Error('expected errors');
    const message = inlineErrorsMessage(result.errors);
    expect(messageLimitProblems(message)).toEqual([]);
    const text = allText(message);
    expect(text).toContain('The backup was not started: fix these 4 things');
    expect(text).toContain('*Instance ids (after `backup`):* `acp_1` is not an instance id');
    expect(text).toContain('*`--apps`:* Enter at least one');
    expect(text).toContain('*`--path`:*');
    expect(text).toContain('*`--endpoint`:*');
    expect(text.indexOf('--apps')).toBeLessThan(text.indexOf('--path'));
  });
  it('stays inert and bounded', () => {
    const message = inlineErrorsMessage({ description: `<!channel> ${'x'.repeat(10_000)}` });
    expect(allText(message)).not.toContain('<!channel>');
    expect(messageLimitProblems(message)).toEqual([]);
    expect(allText(inlineErrorsMessage({}))).toContain('could not be read');
  });
});

describe('other error messages', () => {
  it('permissionDeniedMessage keeps channel links in the rule working and makes other markup inert', () => {
    const message = permissionDeniedMessage('only <!subteam^S1|@admins> may back up in <#C1ABC> &lt;x&gt;');
    const text = allText(message);
    expect(text).toContain(
      "You can't do that here: only &lt;!subteam^S1|@admins&gt; may back up in <#C1ABC> &lt;x&gt;",
    );
    expect(text).not.toContain('&lt;#C1ABC&gt;');
    expect(messageLimitProblems(message)).toEqual([]);
  });
  it('permissionDeniedMessage names whom to ask: the admins, and people who already may', () => {
    const text = allText(
      permissionDeniedMessage({
        reason: 'your roles do not include restore',
        admins: ['U0ADMIN1', 'U0ADMIN2'],
        members: ['U0SUE', 'S0OPS', '@support'],
      }),
    );
    expect(text).toContain('ask an admin of this bot: <@U0ADMIN1>, <@U0ADMIN2>');
    expect(text).toContain('People who may do this: <@U0SUE>, <!subteam^S0OPS>, @support');
    expect(text).not.toContain('CLOUDPHONE_ADMINS');
    expect(allText(permissionDeniedMessage({ reason: 'nobody may start backups yet', admins: [] }))).toContain(
      'no admins yet',
    );
  });
  it('permissionDeniedMessage mentions a group given by handle when its id is known, else shows the handle', () => {
    const text = allText(
      permissionDeniedMessage({
        reason: 'your roles do not include restore',
        admins: ['U0ADMIN1'],
        members: ['@ops', '@support'],
        groupIds: { '@ops': 'S0OPS' },
      }),
    );
    expect(text).toContain('People who may do this: <!subteam^S0OPS>, @support.');
  });
  it('notInChannelMessage says how to invite the bot and that the outcome comes by DM', () => {
    const text = allText(notInChannelMessage('C0123ABC'));
    expect(text).toContain('<#C0123ABC>');
    expect(text).toContain('`/invite @Cloud Phone Backup`');
    expect(text).toContain('direct message');
    expect(allText(notInChannelMessage('<!channel>'))).not.toContain('<!channel>');
  });
  it('requestAcceptedMessage does not promise the channel when the answer may come by direct message', () => {
    const text = allText(requestAcceptedMessage('req-1'));
    expect(text).toContain('`req-1` accepted');
    expect(text).toContain('direct message if it cannot post here');
  });
  it('unexpectedErrorMessage gives the reference id', () => {
    const message = unexpectedErrorMessage('err-7f3a');
    expect(allText(message)).toContain('`err-7f3a`');
    expect(messageLimitProblems(message)).toEqual([]);
    expect(allText(unexpectedErrorMessage('<@U1>'))).not.toContain('<@U1>');
  });
});

describe('formDenialText', () => {
  const channelDenial = {
    reason: 'you may not start backups from this channel (allowed: <#C0OPS>, <#C0LAB>, <#C0QA>)',
    admins: ['U0ADMIN1', 'U0ADMIN2'],
    members: ['U0SUE', 'S0OPS', '@support'],
  };

  it('says whom to ask in plain text: "a bot admin" and the handles, never a raw id', () => {
    const text = formDenialText({ ...channelDenial, reason: 'your roles do not include restore' }, 'C0HERE');
    expect(text).toBe(
      'Not allowed: your roles do not include restore. To get access, ask a bot admin. People who may do this: @support.',
    );
    expect(text).not.toMatch(/<|U0|S0/);
  });

  it('names the people and groups when the denial carries their names', () => {
    const text = formDenialText(
      {
        ...channelDenial,
        reason: 'your roles do not include restore',
        names: { U0ADMIN1: 'Alice', U0SUE: 'Sue', S0OPS: '@ops' },
      },
      'C0HERE',
    );
    expect(text).toContain('To get access, ask a bot admin: Alice. People who may do this: Sue, @ops, @support.');
  });

  it('shows channels by name when known, the form\'s own as "this channel", and counts the rest', () => {
    expect(formDenialText({ ...channelDenial, names: { C0OPS: 'ops' } }, 'C0HERE')).toMatch(
      /^Not allowed: you may not start backups from this channel \(allowed: #ops, 2 other channels\)\. To get access/,
    );
    expect(
      formDenialText({ ...channelDenial, reason: 'nothing is allowed in <#C0HERE> or <#C0LAB|lab>' }, 'C0HERE'),
    ).toMatch(/^Not allowed: nothing is allowed in this channel or #lab\. /);
    expect(formDenialText({ ...channelDenial, reason: 'only in <#C0OPS>' }, 'C0HERE')).toContain(
      'only in another channel.',
    );
  });

  it('says how to get admins when there are none, and turns code spans and entities into text', () => {
    expect(formDenialText({ reason: 'backup path `oss://b/&lt;x&gt;/` is outside your locations', admins: [] })).toBe(
      'Not allowed: backup path oss://b/<x>/ is outside your locations. This bot has no admins yet: ask whoever runs it to name some.',
    );
  });
});
