import type { SlackStandIn } from '../../../../src/sandbox/slack/index.js';

/** A clock tests move by hand. Starts at a fixed instant so ts values are predictable. */
export function fakeClock(startMs = 1_700_000_000_000) {
  let now = startMs;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * Call the stand-in the way @slack/web-api does: form-encoded, objects JSON-stringified into fields, bearer token.
 * Used where a test needs the raw HTTP answer (status, Retry-After) rather than WebClient's thrown errors.
 */
export async function callApi(
  standIn: SlackStandIn,
  method: string,
  args: Record<string, unknown> = {},
  opts: { token?: string | null; json?: boolean } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? standIn.botToken : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string;
  if (opts.json) {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(args);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(args)) {
      if (value === undefined) continue;
      form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    body = form.toString();
  }
  const res = await fetch(`${standIn.apiUrl}${method}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export const section = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
  ...extra,
});

export const plain = (text: string) => ({ type: 'plain_text', text });

export const option = (text: string, value: string) => ({ text: plain(text), value });

export const button = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: plain(text),
  ...extra,
});

export const modal = (blocks: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: plain('Title'),
  submit: plain('Submit'),
  blocks,
  ...extra,
});
