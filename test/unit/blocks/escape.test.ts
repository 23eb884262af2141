import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockText,
  escapeMrkdwn,
  inlineCode,
  inlineText,
  oneLine,
  truncate,
  unescapeMrkdwn,
} from '../../../src/blocks/escape.js';

describe('escapeMrkdwn', () => {
  it('makes broadcasts, mentions and links inert', () => {
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;');
    expect(escapeMrkdwn('<!here|here>')).toBe('&lt;!here|here&gt;');
    expect(escapeMrkdwn('<@U1>')).toBe('&lt;@U1&gt;');
    expect(escapeMrkdwn('<http://evil|link>')).toBe('&lt;http://evil|link&gt;');
    expect(escapeMrkdwn('<!subteam^S1>')).toBe('&lt;!subteam^S1&gt;');
  });
  it('escapes & first, so existing entities show literally', () => {
    expect(escapeMrkdwn('a &lt; b & c')).toBe('a &amp;lt; b &amp; c');
    expect(unescapeMrkdwn(escapeMrkdwn('a &lt; <b> & c'))).toBe('a &lt; <b> & c');
  });
  it('never leaves a raw angle bracket (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const escaped = escapeMrkdwn(text);
        expect(escaped).not.toMatch(/[<>]/);
        expect(unescapeMrkdwn(escaped)).toBe(text);
      }),
    );
  });
  it('returns empty text for non-text', () => {
    expect(escapeMrkdwn(undefined as unknown as string)).toBe('');
  });
});

const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('truncate', () => {
  it('keeps short text and cuts long text with an ellipsis', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('hello!', 5)).toBe('hell…');
    expect(truncate('hello', 1)).toBe('…');
    expect(truncate('hello', 0)).toBe('');
    expect(truncate('hello', Number.POSITIVE_INFINITY)).toBe('hello');
    expect(truncate('hello', Number.NaN)).toBe('');
  });
  it('counts code points, never splitting a surrogate pair', () => {
    expect(truncate('📱📱📱', 3)).toBe('📱📱📱');
    expect(truncate('📱📱📱📱', 3)).toBe('📱📱…');
  });
  it('never exceeds max code points (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 50 }), (text, max) => {
        const cut = truncate(text, max);
        expect(Array.from(cut).length).toBeLessThanOrEqual(max);
        if (Array.from(text).length <= max) expect(cut).toBe(text);
        // No lone surrogate introduced: the kept part is a prefix of whole code points.
        if (cut !== text && cut !== '') expect(text.startsWith(cut.slice(0, -1))).toBe(true);
        expect(wellFormed(cut) || !wellFormed(text)).toBe(true);
      }),
    );
  });
});

describe('inline helpers', () => {
  it('oneLine collapses whitespace and shows invisible characters', () => {
    expect(oneLine(' a\n\tb  c ')).toBe('a b c');
    expect(oneLine('a\u202eb\u0000c')).toBe('a\uFFFDb\uFFFDc');
  });
  it('inlineText escapes after cutting, so an entity is never cut in half', () => {
    expect(inlineText('<<<<', 3)).toBe('&lt;&lt;…');
  });
  it('inlineCode cannot be closed early and shows empty values', () => {
    expect(inlineCode('a`b')).toBe('`aˋb`');
    expect(inlineCode('<@U1>')).toBe('`&lt;@U1&gt;`');
    expect(inlineCode('')).toBe('`(empty)`');
  });
  it('blockText keeps newlines and escapes', () => {
    expect(blockText('line <1>\r\nline 2\u0007', 100)).toBe('line &lt;1&gt;\nline 2\uFFFD');
  });
});
