/**
 * Renders Slack messages and views as plain text, roughly as a person sees them in the Slack client: mentions by
 * name, dates by their fallback, links as their label, no mrkdwn markers. Used by `npm run demo` to print the
 * conversation; pure functions, no I/O.
 */

/** Names for the ids that mrkdwn refers to. */
export interface Names {
  user(id: string): string | undefined;
  channel(id: string): string | undefined;
}

const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  warning: '⚠️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  arrows_counterclockwise: '🔄',
  test_tube: '🧪',
  information_source: 'ℹ️',
  lock: '🔒',
  package: '📦',
};

/** Slack's mrkdwn to plain text. */
export function mrkdwnToText(text: string, names: Names): string {
  const special = text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const [target = '', label] = splitLabel(inner);
    if (target.startsWith('@')) return `@${label ?? names.user(target.slice(1)) ?? target.slice(1)}`;
    if (target.startsWith('#')) return `#${label ?? names.channel(target.slice(1)) ?? target.slice(1)}`;
    if (target.startsWith('!date^')) return label ?? target;
    if (target.startsWith('!subteam^')) return label ?? `@${target.slice('!subteam^'.length)}`;
    if (target.startsWith('!')) return `@${target.slice(1)}`;
    return label ? `${label} (${target})` : target;
  });
  return decodeEntities(
    special
      .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
      .replace(/```\n?([\s\S]*?)\n?```/g, '$1')
      .replace(/`([^`\n]+)`/g, '$1')
      .replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?])/gm, '$1$2')
      .replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?])/gm, '$1$2')
      .replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?])/gm, '$1$2'),
  );
}

function splitLabel(inner: string): [string, string | undefined] {
  const bar = inner.indexOf('|');
  return bar === -1 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1)];
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** A text object (`plain_text` or `mrkdwn`) as plain text. */
export function textObject(value: unknown, names: Names): string {
  if (!isObject(value) || typeof value.text !== 'string') return '';
  return value.type === 'mrkdwn' ? mrkdwnToText(value.text, names) : decodeEntities(value.text);
}

function elementText(element: unknown, names: Names): string {
  if (!isObject(element)) return '';
  switch (element.type) {
    case 'mrkdwn':
    case 'plain_text':
      return textObject(element, names);
    case 'image':
      return typeof element.alt_text === 'string' ? `[${element.alt_text}]` : '';
    case 'button':
      return `[ ${textObject(element.text, names)} ]`;
    default:
      return isObject(element.placeholder) ? `[${textObject(element.placeholder, names)} ▾]` : '';
  }
}

function richText(element: unknown, names: Names): string {
  if (!isObject(element)) return '';
  if (Array.isArray(element.elements)) return element.elements.map((inner) => richText(inner, names)).join('');
  switch (element.type) {
    case 'text':
      return typeof element.text === 'string' ? element.text : '';
    case 'user':
      return `@${names.user(String(element.user_id)) ?? String(element.user_id)}`;
    case 'channel':
      return `#${names.channel(String(element.channel_id)) ?? String(element.channel_id)}`;
    case 'link':
      return typeof element.text === 'string' ? element.text : String(element.url ?? '');
    case 'emoji':
      return EMOJI[String(element.name)] ?? `:${String(element.name)}:`;
    default:
      return '';
  }
}

/** The value a person sees in an input: what they typed or picked, else the initial value. */
function inputValue(block: Json, state: Json | undefined, names: Names): string {
  const element = isObject(block.element) ? block.element : {};
  const actionId = typeof element.action_id === 'string' ? element.action_id : '';
  const entry = isObject(state) && typeof block.block_id === 'string' ? state[block.block_id] : undefined;
  const current = isObject(entry) && isObject(entry[actionId]) ? (entry[actionId] as Json) : undefined;
  const option = (value: unknown) => (isObject(value) ? textObject(value.text, names) : '');
  if (current) {
    if (typeof current.value === 'string') return current.value;
    if (isObject(current.selected_option)) return option(current.selected_option);
    if (Array.isArray(current.selected_options)) return current.selected_options.map(option).join(', ');
  }
  if (typeof element.initial_value === 'string') return element.initial_value;
  if (isObject(element.initial_option)) return option(element.initial_option);
  if (Array.isArray(element.initial_options)) {
    return element.initial_options.map((o) => `☑ ${option(o)}`).join('  ');
  }
  return '';
}

/** Blocks as lines of plain text. `state` is a view's `state.values`, for inputs. */
export function blocksToLines(blocks: readonly unknown[], names: Names, state?: Json): string[] {
  const lines: string[] = [];
  const push = (text: string) => {
    for (const line of text.split('\n')) lines.push(line);
  };
  for (const block of blocks) {
    if (!isObject(block)) continue;
    switch (block.type) {
      case 'header':
        push(textObject(block.text, names).toUpperCase());
        break;
      case 'section': {
        const text = textObject(block.text, names);
        const accessory = elementText(block.accessory, names);
        if (text) push(accessory ? `${text}  ${accessory}` : text);
        if (Array.isArray(block.fields)) {
          for (const field of block.fields) push(textObject(field, names).replace('\n', ': '));
        }
        break;
      }
      case 'context':
        if (Array.isArray(block.elements)) {
          push(
            block.elements
              .map((element) => elementText(element, names))
              .filter(Boolean)
              .join('  '),
          );
        }
        break;
      case 'divider':
        push('────────────────────────────');
        break;
      case 'actions':
        if (Array.isArray(block.elements)) push(block.elements.map((element) => elementText(element, names)).join(' '));
        break;
      case 'input': {
        const optional = block.optional === true ? ' (optional)' : '';
        // A multi-line input shows its lines; one line here keeps the label beside them.
        const value = inputValue(block, state, names).split('\n').filter(Boolean).join(', ');
        push(`${textObject(block.label, names)}${optional}: ${value || '—'}`);
        break;
      }
      case 'rich_text':
        push(richText(block, names));
        break;
      case 'image':
        push(`[image: ${typeof block.alt_text === 'string' ? block.alt_text : ''}]`);
        break;
      default:
        break;
    }
  }
  return lines;
}

/** A message: its blocks when it has any (that is what Slack shows), else its text. */
export function messageLines(message: { text?: string; blocks?: readonly unknown[] }, names: Names): string[] {
  if (message.blocks && message.blocks.length > 0) return blocksToLines(message.blocks, names);
  return mrkdwnToText(message.text ?? '', names).split('\n');
}

/** Indents every line, with a different prefix for the first. */
export function indent(lines: readonly string[], first: string, rest: string = ' '.repeat(first.length)): string[] {
  return lines.map((line, i) => `${i === 0 ? first : rest}${line}`.trimEnd());
}
