/**
 * ACS3-HMAC-SHA256 request signing (Alibaba Cloud "V3" signature), pure functions only.
 * Follows the reference in shared/docs/cloud-phone-api.md §7.2; the known-answer vector there is a unit test.
 */
import { createHash, createHmac } from 'node:crypto';

export const SIGNATURE_ALGORITHM = 'ACS3-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A parameter value as callers write it; arrays and objects are flattened the way the API's repeatList style wants. */
export type ParamValue = string | number | boolean | null | undefined | ParamValue[] | { [key: string]: ParamValue };

/**
 * Flattens `{List: ['a','b'], Tag: [{Key:'k'}]}` into `{'List.1':'a','List.2':'b','Tag.1.Key':'k'}`.
 * Null and undefined are dropped; booleans and numbers become their string forms (as the official SDK does).
 */
export function flattenParams(params: Record<string, ParamValue>): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (prefix: string, value: ParamValue): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) visit(`${prefix}.${index + 1}`, item);
    } else if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(`${prefix}.${key}`, item);
    } else {
      out[prefix] = String(value);
    }
  };
  for (const [key, value] of Object.entries(params)) visit(key, value);
  return out;
}

/** RFC 3986 percent-encoding: encodeURIComponent plus the five characters it leaves alone (`! ' ( ) *`). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Keys sorted by code unit (so `X.1 < X.10 < X.2`), values encoded, joined with `&`. Flatten before calling. */
export function canonicalQueryString(query: Record<string, string>): string {
  return Object.keys(query)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${percentEncode(key)}=${percentEncode(query[key] ?? '')}`)
    .join('&');
}

/** Which headers are signed: every `x-acs-*`, plus `host` and `content-type` when present. */
export function isSignedHeader(lowerName: string): boolean {
  return lowerName.startsWith('x-acs-') || lowerName === 'host' || lowerName === 'content-type';
}

export function canonicalHeaders(headers: Record<string, string | string[]>): { canonical: string; signed: string } {
  const byName = new Map<string, string>();
  for (const [name, raw] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!isSignedHeader(lower)) continue;
    const value = (Array.isArray(raw) ? raw : [raw]).map((v) => v.trim()).join(',');
    byName.set(lower, byName.has(lower) ? `${byName.get(lower)},${value}` : value);
  }
  const names = [...byName.keys()].sort();
  return {
    canonical: names.map((name) => `${name}:${byName.get(name)}\n`).join(''),
    signed: names.join(';'),
  };
}

export interface SignInput {
  method: string;
  pathname: string;
  /**
   * Already flattened query parameters, or their canonical query string when the caller has built it anyway (the
   * client sends that same string as the URL's query, so it is built once per call, not once for each use).
   */
  query: Record<string, string> | string;
  /** Every header that will be sent; the unsigned ones are ignored here. */
  headers: Record<string, string | string[]>;
  payloadSha256Hex: string;
}

export function canonicalRequest(input: SignInput): { request: string; signedHeaders: string } {
  const { canonical, signed } = canonicalHeaders(input.headers);
  const request = [
    input.method.toUpperCase(),
    input.pathname || '/',
    typeof input.query === 'string' ? input.query : canonicalQueryString(input.query),
    canonical,
    signed,
    input.payloadSha256Hex,
  ].join('\n');
  return { request, signedHeaders: signed };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The signature hex for a request, as the gateway recomputes it. */
export function computeSignature(
  input: SignInput,
  accessKeySecret: string,
): { signature: string; signedHeaders: string } {
  const { request, signedHeaders } = canonicalRequest(input);
  const stringToSign = `${SIGNATURE_ALGORITHM}\n${sha256Hex(request)}`;
  const signature = createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex');
  return { signature, signedHeaders };
}

/** The full `Authorization` header value. */
export function authorizationHeader(input: SignInput, accessKeyId: string, accessKeySecret: string): string {
  const { signature, signedHeaders } = computeSignature(input, accessKeySecret);
  return `${SIGNATURE_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

/** Parses an `Authorization` header; returns undefined when it is not a well-formed ACS3 header. */
export function parseAuthorization(
  value: string,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | undefined {
  const match = /^ACS3-HMAC-SHA256\s+Credential=([^,]+),\s*SignedHeaders=([^,]*),\s*Signature=([0-9a-fA-F]+)$/.exec(
    value.trim(),
  );
  if (!match) return undefined;
  const [, accessKeyId, signed, signature] = match;
  if (!accessKeyId || signed === undefined || !signature) return undefined;
  return { accessKeyId, signedHeaders: signed.split(';').filter(Boolean), signature: signature.toLowerCase() };
}

/** `YYYY-MM-DDTHH:mm:ssZ`, the only date format the gateway takes in `x-acs-date`. */
export function acsDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
