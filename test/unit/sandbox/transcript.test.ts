import { describe, expect, it } from 'vitest';
import { blocksToLines, indent, messageLines, mrkdwnToText, type Names } from '../../../src/sandbox/transcript.js';

const names: Names = {
  user: (id) => ({ U0ALICE: 'alice' })[id],
  channel: (id) => ({ C0BACKUPS: 'backups' })[id],
};

describe('mrkdwnToText', () => {
  it('shows mentions, channels, dates and links the way Slack renders them', () => {
    expect(mrkdwnToText('<@U0ALICE> in <#C0BACKUPS> and <#C0OTHER|ops>, <@U0NOBODY>', names)).toBe(
      '@alice in #backups and #ops, @U0NOBODY',
    );
    expect(mrkdwnToText('Requested <!date^1700000000^{date_short_pretty} at {time}|2023-11-14T22:13:20Z>', names)).toBe(
      'Requested 2023-11-14T22:13:20Z',
    );
    expect(mrkdwnToText('<!here> <!subteam^S1|@ops> <https://example.com|the docs> <https://a.b>', names)).toBe(
      '@here @ops the docs (https://example.com) https://a.b',
    );
  });

  it('drops formatting marks and decodes the escapes Slack requires', () => {
    expect(mrkdwnToText('*Finished:* all `2` backed up, _really_ ~not~ :white_check_mark:', names)).toBe(
      'Finished: all 2 backed up, really not ✅',
    );
    expect(mrkdwnToText('a &lt;b&gt; &amp; c*d*e 2*3', names)).toBe('a <b> & c*d*e 2*3');
    expect(mrkdwnToText('```\nline 1\nline 2\n```', names)).toBe('line 1\nline 2');
    expect(mrkdwnToText(':unknown_emoji:', names)).toBe(':unknown_emoji:');
  });
});

describe('blocksToLines', () => {
  it('renders sections, fields, context, headers, dividers and buttons', () => {
    const lines = blocksToLines(
      [
        { type: 'header', text: { type: 'plain_text', text: 'Audit log' } },
        { type: 'section', text: { type: 'mrkdwn', text: '*Hello* <@U0ALICE>' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Apps*\n`com.tencent.mm`' },
            { type: 'mrkdwn', text: '*OSS folder*\n`oss://b/d/`' },
          ],
        },
        { type: 'divider' },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: 'one' },
            { type: 'image', alt_text: 'logo' },
          ],
        },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Verify' } }] },
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_section',
              elements: [
                { type: 'text', text: 'hi ' },
                { type: 'user', user_id: 'U0ALICE' },
              ],
            },
          ],
        },
      ],
      names,
    );
    expect(lines).toEqual([
      'AUDIT LOG',
      'Hello @alice',
      'Apps: com.tencent.mm',
      'OSS folder: oss://b/d/',
      '────────────────────────────',
      'one  [logo]',
      '[ Verify ]',
      'hi @alice',
    ]);
  });

  it('shows an input with what was typed, else its initial value, else a dash', () => {
    const input = (blockId: string, element: Record<string, unknown>, optional = false) => ({
      type: 'input',
      block_id: blockId,
      optional,
      label: { type: 'plain_text', text: blockId },
      element: { action_id: 'a', ...element },
    });
    const lines = blocksToLines(
      [
        input('typed', { type: 'plain_text_input', initial_value: 'old' }),
        input('initial', { type: 'plain_text_input', initial_value: 'acp-1\nacp-2' }),
        input('empty', { type: 'plain_text_input' }, true),
        input('picked', {
          type: 'static_select',
          initial_option: { text: { type: 'plain_text', text: 'Shanghai' }, value: 'sh' },
        }),
        input('ticked', {
          type: 'checkboxes',
          initial_options: [{ text: { type: 'plain_text', text: 'Stop first' }, value: 's' }],
        }),
      ],
      names,
      { typed: { a: { type: 'plain_text_input', value: 'new' } } },
    );
    expect(lines).toEqual([
      'typed: new',
      'initial: acp-1, acp-2',
      'empty (optional): —',
      'picked: Shanghai',
      'ticked: ☑ Stop first',
    ]);
  });
});

describe('messageLines and indent', () => {
  it('prefers blocks to the fallback text, and indents a block of lines', () => {
    expect(
      messageLines({ text: 'fallback', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'shown' } }] }, names),
    ).toEqual(['shown']);
    expect(messageLines({ text: '<@U0ALICE> hi\nthere' }, names)).toEqual(['@alice hi', 'there']);
    expect(indent(['a', 'b', ''], '│ ')).toEqual(['│ a', '  b', '']);
    expect(indent(['a', 'b'], '> ', '> ')).toEqual(['> a', '> b']);
  });
});
