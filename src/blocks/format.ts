/**
 * Small formatting helpers shared by the message builders: sizes, progress bars, Slack dates, mentions and lists.
 */
import { inlineCode, inlineText } from './escape.js';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;

/** `10227168` → `9.8 MB` (powers of 1024, as the OSS console and Android show sizes). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return 'unknown size';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const shown = value < 10 ? value.toFixed(1) : String(Math.round(value));
  // Rounding can reach 1024 (1023.6 KB): show the next unit instead.
  if (shown === '1024' && unit < BYTE_UNITS.length - 1) return `1.0 ${BYTE_UNITS[unit + 1]}`;
  return `${shown} ${BYTE_UNITS[unit]}`;
}

function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * A text progress bar, `▰▰▰▰▱▱▱▱▱▱ 40%`: the share of instances finished, whether they succeeded or failed (the
 * counts beside the bar tell the two apart). Full and 100% only when everything is finished.
 */
export function progressBar(done: number, failed: number, total: number, width = 10): string {
  const cells = Math.min(50, Math.max(1, count(width)));
  const finished = count(done) + count(failed);
  const all = Math.max(count(total), finished);
  if (all === 0) return `${'▱'.repeat(cells)} 0%`;
  const share = finished / all;
  const filled = finished === all ? cells : Math.min(cells - 1, Math.floor(share * cells));
  const percent = finished === all ? 100 : Math.min(99, Math.floor(share * 100));
  return `${'▰'.repeat(filled)}${'▱'.repeat(cells - filled)} ${percent}%`;
}

/** The default `slackDate` format: "Jan 31st at 14:05" in each reader's own time zone and clock style. */
export const SLACK_DATE_DEFAULT = '{date_short_pretty} at {time}';

/**
 * A Slack date token, `<!date^UNIX^FORMAT|FALLBACK>`: every reader sees the time in their own time zone; clients
 * that cannot render it show the ISO fallback.
 */
export function slackDate(date: Date, format: string = SLACK_DATE_DEFAULT): string {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) return 'an unknown time';
  const fallback = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // The format is ours, but `|` or `>` in it would end the token early.
  const safeFormat = format.replace(/[|<>]/g, '');
  return `<!date^${Math.floor(ms / 1000)}^${safeFormat}|${fallback}>`;
}

/** "12 min", "1 h 5 min", "40 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'an unknown time';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

const USER_ID = /^[UW][A-Z0-9]{2,40}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,40}$/;

/** `<@U123>` for a real Slack user id; anything else is shown as inert text. */
export function mention(userId: string): string {
  return typeof userId === 'string' && USER_ID.test(userId) ? `<@${userId}>` : inlineText(String(userId ?? ''), 40);
}

/** `<#C123>` for a real Slack channel id; anything else as inert code. */
export function channelLink(channelId: string): string {
  return typeof channelId === 'string' && CHANNEL_ID.test(channelId)
    ? `<#${channelId}>`
    : inlineCode(String(channelId ?? ''), 40);
}

/** `1 app`, `3 apps`, `1,000 instances`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * `item, item, item and 12 more`: as many rendered items as fit in `maxChars`, then a count of the rest.
 * Always shows at least one item when there is one.
 */
export function summariseList(items: readonly string[], render: (item: string) => string, maxChars: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    const text = render(item);
    const cost = text.length + 2;
    if (shown.length > 0 && used + cost > maxChars) break;
    shown.push(text);
    used += cost;
  }
  const rest = items.length - shown.length;
  if (rest === 0) return shown.join(', ');
  return `${shown.join(', ')} and ${rest.toLocaleString('en-US')} more`;
}
