/**
 * Making person-provided text safe to put in Slack mrkdwn. Slack gives `<`, `>` and `&` control meaning (`<!channel>`,
 * `<@U…>`, `<http://x|label>`); escaping those three is what Slack documents and all it needs. Every builder passes
 * text a person typed (and text a cloud API returned) through here.
 */

/** Escapes `&`, `<` and `>` so mentions, broadcasts and links typed by a person render as inert text. */
export function escapeMrkdwn(text: string): string {
  if (typeof text !== 'string') return '';
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Reverses {@link escapeMrkdwn}. */
export function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Bot-written mrkdwn for surfaces that show plain text (modal field errors): code-span backticks go, channel and
 * user links become `#C…` / `@U…`, and entities are undone, so nothing shows as literal markup. (Stars stay: they
 * are also glob wildcards in instance patterns.)
 */
export function mrkdwnToPlain(text: string): string {
  const links = text.replace(/<([#@])([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, sigil: string, id: string, label?: string) =>
    label ? `${sigil}${label}` : `${sigil}${id}`,
  );
  return unescapeMrkdwn(links.replace(/`/g, ''));
}

/**
 * Shortens `text` to at most `max` code points, ending with `…` when anything was cut. Counts code points, not UTF-16
 * units, so an emoji is never split into a lone surrogate.
 */
export function truncate(text: string, max: number): string {
  if (typeof text !== 'string') return '';
  if (max === Number.POSITIVE_INFINITY) return text;
  const limit = Number.isFinite(max) ? Math.max(0, Math.floor(max)) : 0;
  // A UTF-16 length within the limit means the code-point count is too: no need to walk the string.
  if (text.length <= limit) return text;
  const kept: string[] = [];
  for (const ch of text) {
    if (kept.length === limit) return limit === 0 ? '' : `${kept.slice(0, limit - 1).join('')}…`;
    kept.push(ch);
  }
  return text;
}

/** Code points in `text` (what a person counts as characters, near enough). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

// Control characters, format characters (bidi overrides, zero-width) and line/paragraph separators: they can hide or
// reorder what a person sees, so inline renderings show a visible replacement instead.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/** Collapses all whitespace runs (including newlines) to one space and makes invisible characters visible. */
export function oneLine(text: string): string {
  if (typeof text !== 'string') return '';
  return text.replace(/\s+/g, ' ').replace(INVISIBLE, '\uFFFD').trim();
}

/** Person text for a single line of mrkdwn: one line, truncated, escaped. */
export function inlineText(text: string, max: number): string {
  return escapeMrkdwn(truncate(oneLine(text), max));
}

/**
 * Person text inside a code span: one line, truncated, escaped, and with backticks swapped for a look-alike so the
 * span cannot be closed early.
 */
export function inlineCode(text: string, max = 80): string {
  const shown = inlineText(text, max).replace(/`/g, 'ˋ');
  return shown.length === 0 ? '`(empty)`' : `\`${shown}\``;
}

/** Person text that may span lines (a description): truncated and escaped, newlines kept, other controls shown. */
export function blockText(text: string, max: number): string {
  if (typeof text !== 'string') return '';
  const cleaned = text.replace(/\r\n?/g, '\n').replace(/[^\S\n]+/g, ' ');
  return escapeMrkdwn(truncate(cleaned.replace(/(?!\n)[\p{Cc}\p{Cf}\u2028\u2029]/gu, '\uFFFD').trim(), max));
}
