import type { IncomingMessage } from 'node:http';
import type { ApiArgs } from './api-common.js';

/** Fields Slack documents as "a JSON-based array/object … presented as a URL-encoded string" on form posts. */
const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata', 'files', 'unfurls']);

export async function readRawBody(req: IncomingMessage, maxBytes = 5_000_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > maxBytes) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** A JSON field left as its raw string when it does not parse, so validation reports it (`invalid_blocks_format`). */
function decodeField(key: string, value: string): unknown {
  if (!JSON_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export type ParsedArgs = { ok: true; args: ApiArgs } | { ok: false; error: string };

/**
 * Decode a Web API request body the ways Slack accepts: form-encoded (what @slack/web-api sends), JSON, or multipart
 * (what web-api switches to when an argument is a Buffer). Errors use Slack's codes for malformed posts.
 */
export async function parseApiBody(raw: Buffer, contentType: string | undefined): Promise<ParsedArgs> {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (raw.length === 0) return { ok: true, args: {} };
  if (type === undefined || type === '') return { ok: false, error: 'missing_post_type' };
  if (type === 'application/x-www-form-urlencoded') {
    const args: ApiArgs = {};
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) args[key] = decodeField(key, value);
    return { ok: true, args };
  }
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return { ok: false, error: 'invalid_json' };
      const args: ApiArgs = {};
      for (const [key, value] of Object.entries(parsed)) {
        args[key] = typeof value === 'string' ? decodeField(key, value) : value;
      }
      return { ok: true, args };
    } catch {
      return { ok: false, error: 'invalid_json' };
    }
  }
  if (type === 'multipart/form-data') {
    try {
      const form = await new Request('http://stand-in.invalid/', {
        method: 'POST',
        headers: { 'content-type': contentType ?? '' },
        body: raw,
      }).formData();
      const args: ApiArgs = {};
      for (const [key, value] of form.entries()) {
        args[key] = typeof value === 'string' ? decodeField(key, value) : Buffer.from(await value.arrayBuffer());
      }
      return { ok: true, args };
    } catch {
      return { ok: false, error: 'invalid_form_data' };
    }
  }
  return { ok: false, error: 'invalid_post_type' };
}

/** Bytes of an uploaded file: the file part of a multipart body (web-api posts `body=<file>`), else the raw body. */
export async function uploadedBytes(raw: Buffer, contentType: string | undefined): Promise<number> {
  if (!contentType?.toLowerCase().startsWith('multipart/form-data')) return raw.length;
  const parsed = await parseApiBody(raw, contentType);
  if (!parsed.ok) return raw.length;
  const file = Object.values(parsed.args).find((v): v is Buffer => Buffer.isBuffer(v));
  return file ? file.length : raw.length;
}
