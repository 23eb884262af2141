import { describe, expect, it } from 'vitest';
import { checkMessageBlocks, checkView, type Rejection } from '../../../../src/sandbox/slack/block-kit.js';
import { button, modal, option, plain, section } from './support.js';

const s = (n: number) => 'x'.repeat(n);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const options = (n: number) => range(n).map((i) => option(`o${i}`, `v${i}`));
const input = (element: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'input',
  label: plain('Label'),
  element,
  ...extra,
});

type Subject = { message: unknown[] } | { view: unknown; home?: boolean };

interface LimitCase {
  name: string;
  /** The largest size Slack accepts. */
  fits: number;
  build: (n: number) => Subject;
  error: string;
  /** Expected json-pointer in `response_metadata.messages`. */
  pointer?: string;
}

function check(subject: Subject): Rejection | undefined {
  if ('message' in subject) return checkMessageBlocks(subject.message);
  return checkView(subject.view, subject.home ? 'home' : 'modal');
}

const CASES: LimitCase[] = [
  {
    name: 'blocks per message',
    fits: 50,
    build: (n) => ({ message: range(n).map(() => ({ type: 'divider' })) }),
    error: 'invalid_blocks',
    pointer: '/blocks]',
  },
  {
    name: 'blocks per modal',
    fits: 100,
    build: (n) => ({ view: modal(range(n).map(() => ({ type: 'divider' }))) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks]',
  },
  {
    name: 'blocks per home tab',
    fits: 100,
    build: (n) => ({ view: { type: 'home', blocks: range(n).map(() => ({ type: 'divider' })) }, home: true }),
    error: 'invalid_arguments',
    pointer: '/view/blocks]',
  },
  {
    name: 'section text length',
    fits: 3000,
    build: (n) => ({ message: [section(s(n))] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/text/text',
  },
  {
    name: 'section fields count',
    fits: 10,
    build: (n) => ({ message: [{ type: 'section', fields: range(n).map(() => plain('f')) }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/fields]',
  },
  {
    name: 'section field text length',
    fits: 2000,
    build: (n) => ({ message: [{ type: 'section', fields: [plain(s(n))] }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/fields/0/text',
  },
  {
    name: 'header text length',
    fits: 150,
    build: (n) => ({ message: [{ type: 'header', text: plain(s(n)) }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/text/text',
  },
  {
    name: 'markdown block text length',
    fits: 12_000,
    build: (n) => ({ message: [{ type: 'markdown', text: s(n) }] }),
    // A 12,001-character markdown block also trips the aggregate limit; the block limit is reported first.
    error: 'invalid_blocks',
    pointer: '/blocks/0/text',
  },
  {
    name: 'context elements',
    fits: 10,
    build: (n) => ({ message: [{ type: 'context', elements: range(n).map(() => plain('c')) }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements]',
  },
  {
    name: 'actions elements',
    fits: 25,
    build: (n) => ({
      message: [{ type: 'actions', elements: range(n).map((i) => button('b', { action_id: `a${i}` })) }],
    }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements]',
  },
  {
    name: 'button text length',
    fits: 75,
    build: (n) => ({ message: [{ type: 'actions', elements: [button(s(n))] }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/text/text',
  },
  {
    name: 'button value length',
    fits: 2000,
    build: (n) => ({ message: [{ type: 'actions', elements: [button('b', { value: s(n) })] }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/value',
  },
  {
    name: 'option text length',
    fits: 75,
    build: (n) => ({
      message: [{ type: 'actions', elements: [{ type: 'static_select', options: [option(s(n), 'v')] }] }],
    }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/options/0/text/text',
  },
  {
    name: 'option value length',
    fits: 150,
    build: (n) => ({
      message: [{ type: 'actions', elements: [{ type: 'static_select', options: [option('t', s(n))] }] }],
    }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/options/0/value',
  },
  {
    name: 'static select options',
    fits: 100,
    build: (n) => ({ message: [{ type: 'actions', elements: [{ type: 'static_select', options: options(n) }] }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/options]',
  },
  {
    name: 'static select option groups',
    fits: 100,
    build: (n) => ({
      message: [
        {
          type: 'actions',
          elements: [
            {
              type: 'static_select',
              option_groups: range(n).map((i) => ({ label: plain('g'), options: [option('o', `v${i}`)] })),
            },
          ],
        },
      ],
    }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/option_groups]',
  },
  {
    name: 'checkboxes options',
    fits: 10,
    build: (n) => ({ view: modal([input({ type: 'checkboxes', options: options(n) })]) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks/0/element/options]',
  },
  {
    name: 'radio button options',
    fits: 10,
    build: (n) => ({ view: modal([input({ type: 'radio_buttons', options: options(n) })]) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks/0/element/options]',
  },
  {
    name: 'overflow options (at most 5)',
    fits: 5,
    build: (n) => ({ message: [section('s', { accessory: { type: 'overflow', options: options(n) } })] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/accessory/options]',
  },
  {
    name: 'placeholder length',
    fits: 150,
    build: (n) => ({ view: modal([input({ type: 'plain_text_input', placeholder: plain(s(n)) })]) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks/0/element/placeholder/text',
  },
  {
    name: 'block_id length',
    fits: 255,
    build: (n) => ({ message: [{ type: 'divider', block_id: s(n) }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/block_id',
  },
  {
    name: 'action_id length',
    fits: 255,
    build: (n) => ({ message: [{ type: 'actions', elements: [button('b', { action_id: s(n) })] }] }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/action_id',
  },
  {
    name: 'input label length',
    fits: 2000,
    build: (n) => ({ view: modal([input({ type: 'plain_text_input' }, { label: plain(s(n)) })]) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks/0/label/text',
  },
  {
    name: 'input hint length',
    fits: 2000,
    build: (n) => ({ view: modal([input({ type: 'plain_text_input' }, { hint: plain(s(n)) })]) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks/0/hint/text',
  },
  {
    name: 'plain_text_input max_length',
    fits: 3000,
    build: (n) => ({ view: modal([input({ type: 'plain_text_input', max_length: n })]) }),
    error: 'invalid_arguments',
    pointer: '/view/blocks/0/element/max_length',
  },
  {
    name: 'modal title length',
    fits: 24,
    build: (n) => ({ view: modal([], { title: plain(s(n)) }) }),
    error: 'invalid_arguments',
    pointer: '/view/title/text',
  },
  {
    name: 'modal submit length',
    fits: 24,
    build: (n) => ({ view: modal([], { submit: plain(s(n)) }) }),
    error: 'invalid_arguments',
    pointer: '/view/submit/text',
  },
  {
    name: 'modal close length',
    fits: 24,
    build: (n) => ({ view: modal([], { close: plain(s(n)) }) }),
    error: 'invalid_arguments',
    pointer: '/view/close/text',
  },
  {
    name: 'private_metadata length',
    fits: 3000,
    build: (n) => ({ view: modal([], { private_metadata: s(n) }) }),
    error: 'invalid_arguments',
    pointer: '/view/private_metadata',
  },
  {
    name: 'callback_id length',
    fits: 255,
    build: (n) => ({ view: modal([], { callback_id: s(n) }) }),
    error: 'invalid_arguments',
    pointer: '/view/callback_id',
  },
  {
    name: 'external_id length',
    fits: 255,
    build: (n) => ({ view: modal([], { external_id: s(n) }) }),
    error: 'invalid_arguments',
    pointer: '/view/external_id',
  },
  {
    name: 'confirm dialog title length',
    fits: 100,
    build: (n) => ({
      message: [
        {
          type: 'actions',
          elements: [
            button('b', { confirm: { title: plain(s(n)), text: plain('t'), confirm: plain('y'), deny: plain('n') } }),
          ],
        },
      ],
    }),
    error: 'invalid_blocks',
    pointer: '/blocks/0/elements/0/confirm/title/text',
  },
  {
    name: 'aggregate block text (msg_blocks_too_long, ~13k)',
    fits: 13_000,
    // Five sections, each under its own 3000 limit; only the total varies.
    build: (n) => ({
      message: range(5).map((i) => section(s(Math.floor(n / 5) + (i < n % 5 ? 1 : 0)))),
    }),
    error: 'msg_blocks_too_long',
  },
];

describe('Block Kit limits: the largest accepted size passes, one more is refused with Slack’s error', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.fits} fits, ${c.fits + 1} is ${c.error}`, () => {
      expect(check(c.build(c.fits))).toBeUndefined();
      const rejection = check(c.build(c.fits + 1));
      expect(rejection?.error).toBe(c.error);
      if (c.pointer) expect(rejection?.messages?.join('\n')).toContain(`[json-pointer:${c.pointer}`);
    });
  }
});

describe('Block Kit structure', () => {
  it('rejects a non-array blocks field as invalid_blocks_format', () => {
    expect(checkMessageBlocks('[{"type":')?.error).toBe('invalid_blocks_format');
    expect(checkMessageBlocks({ type: 'divider' })?.error).toBe('invalid_blocks_format');
  });

  it('rejects unknown block types and blocks not allowed on the surface', () => {
    expect(checkMessageBlocks([{ type: 'bogus' }])?.error).toBe('invalid_blocks');
    expect(checkView(modal([{ type: 'markdown', text: 'hi' }]), 'modal')?.error).toBe('invalid_arguments');
    expect(checkMessageBlocks([{ type: 'markdown', text: 'hi' }])).toBeUndefined();
  });

  it('rejects missing required fields', () => {
    expect(checkMessageBlocks([{ type: 'section' }])?.messages?.[0]).toContain('at least one of text or fields');
    expect(checkMessageBlocks([{ type: 'header' }])?.messages?.[0]).toContain('missing required field: text');
    expect(checkMessageBlocks([{ type: 'actions', elements: [{ type: 'button' }] }])?.messages?.[0]).toContain(
      'missing required field: text',
    );
    expect(checkMessageBlocks([{ type: 'image', image_url: 'https://x/y.png' }])?.messages?.[0]).toContain('alt_text');
    expect(checkView(modal([input({ type: 'number_input' })]), 'modal')?.messages?.[0]).toContain('is_decimal_allowed');
  });

  it('rejects an empty section text and a mrkdwn header', () => {
    expect(checkMessageBlocks([section('')])?.error).toBe('invalid_blocks');
    expect(checkMessageBlocks([{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }])?.error).toBe('invalid_blocks');
  });

  it('requires unique block_ids within a message or view, and unique action_ids within a block', () => {
    const dupBlocks = [
      { type: 'divider', block_id: 'a' },
      { type: 'divider', block_id: 'a' },
    ];
    expect(checkMessageBlocks(dupBlocks)?.messages?.[0]).toContain(
      'duplicate block_id "a" [json-pointer:/blocks/1/block_id]',
    );
    expect(checkView(modal(dupBlocks), 'modal')?.error).toBe('invalid_arguments');
    const dupActions = [
      { type: 'actions', elements: [button('a', { action_id: 'x' }), button('b', { action_id: 'x' })] },
    ];
    expect(checkMessageBlocks(dupActions)?.messages?.[0]).toContain('duplicate action_id "x"');
  });

  it('only allows input elements in input blocks and interactive ones in actions', () => {
    expect(checkMessageBlocks([{ type: 'actions', elements: [{ type: 'plain_text_input' }] }])?.error).toBe(
      'invalid_blocks',
    );
    expect(checkView(modal([input(button('b'))]), 'modal')?.error).toBe('invalid_arguments');
  });

  it('requires initial_option to be one of the options', () => {
    const select = (initial: string) => ({
      type: 'static_select',
      options: options(2),
      initial_option: option(initial === 'v0' ? 'o0' : 'zz', initial),
    });
    expect(checkView(modal([input(select('v0'))]), 'modal')).toBeUndefined();
    expect(checkView(modal([input(select('nope'))]), 'modal')?.messages?.[0]).toContain('must match one of');
  });

  it('requires a submit button on a modal with an input block', () => {
    const view = modal([input({ type: 'plain_text_input' })]);
    expect(checkView(view, 'modal')).toBeUndefined();
    const { submit: _submit, ...noSubmit } = view;
    expect(checkView(noSubmit, 'modal')?.messages?.[0]).toContain('submit');
    expect(checkView({ ...noSubmit, blocks: [section('ok')] }, 'modal')).toBeUndefined();
  });

  it('requires a modal title and the expected view type', () => {
    const { title: _title, ...noTitle } = modal([]);
    expect(checkView(noTitle, 'modal')?.messages?.[0]).toContain('missing required field: title');
    expect(checkView(modal([]), 'home')?.messages?.[0]).toContain('/view/type');
  });

  it('answers view_too_large above 250 kB before anything else', () => {
    const big = modal(range(100).map(() => section(s(2600))));
    expect(checkView(big, 'modal')?.error).toBe('view_too_large');
  });

  it('accepts a realistic message and modal', () => {
    expect(
      checkMessageBlocks([
        { type: 'header', text: plain('Backup started') },
        section('*Instance* `acp-1`', {
          accessory: button('Cancel', { action_id: 'cancel', value: 'job-1', style: 'danger' }),
        }),
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'by <@U0ALICE>' }] },
        { type: 'divider' },
      ]),
    ).toBeUndefined();
    expect(
      checkView(
        modal(
          [
            input({ type: 'static_select', action_id: 'pick', options: options(3) }, { block_id: 'instance' }),
            input(
              { type: 'plain_text_input', action_id: 'name', max_length: 200 },
              { block_id: 'pkg', optional: true },
            ),
            input({ type: 'checkboxes', action_id: 'what', options: options(2) }, { block_id: 'what' }),
          ],
          { callback_id: 'backup', private_metadata: '{"channel":"C1"}' },
        ),
        'modal',
      ),
    ).toBeUndefined();
  });
});
