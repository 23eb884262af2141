/**
 * ACS3-HMAC-SHA256 verification as the POP gateway does it (cloud-phone-api.md §7.2, errors §5.2): the signature is
 * recomputed from the request as received (decoded query, the headers the client listed in SignedHeaders, the
 * claimed payload hash), so any correct V3 signer passes, not only ours. V2 (HMAC-SHA1 in the query) is not
 * simulated; whether eds-aic still takes it is UNCONFIRMED (§7.3).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalQueryString, parseAuthorization, SIGNATURE_ALGORITHM, sha256Hex } from '../../cloud-phone/sign.js';
import { ApiError, missingParameter } from './api-error.js';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** Both the allowed clock skew and how long a nonce is remembered. */
export const REPLAY_WINDOW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  pathname: string;
  /** Decoded query parameters, as received. */
  query: Record<string, string>;
  /** Lower-case header names; repeated headers as several values. */
  headers: Record<string, string[] | undefined>;
  body: Buffer;
}

/** Remembers nonces per AccessKeyId for the replay window. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** True if the nonce is fresh (and records it); false if it was used within the window. */
  claim(accessKeyId: string, nonce: string, now: number): boolean {
    // Insertion order is arrival order, so expired entries are at the front.
    for (const [key, at] of this.seen) {
      if (now - at <= REPLAY_WINDOW_MS) break;
      this.seen.delete(key);
    }
    const key = `${accessKeyId}\n${nonce}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }
}

const incomplete = (why: string) =>
  new ApiError(400, 'IncompleteSignature', `The request signature does not conform to Aliyun standards. ${why}`);

function header(request: SignedRequest, name: string): string | undefined {
  const values = request.headers[name];
  return values === undefined || values.length === 0 ? undefined : values.map((v) => v.trim()).join(',');
}

/** Canonical headers for exactly the names the client signed, in its order (it must have sorted them to sign). */
function canonicalSignedHeaders(request: SignedRequest, names: string[]): string {
  return names.map((name) => `${name}:${header(request, name) ?? ''}\n`).join('');
}

function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface Verified {
  accessKeyId: string;
}

/**
 * Verifies one request. Throws the gateway's ApiError on the first problem, in this order: Authorization shape,
 * required headers, which headers are signed, timestamp, AccessKeyId, payload hash, signature, nonce replay.
 */
export function verifyRequest(
  request: SignedRequest,
  secrets: ReadonlyMap<string, string>,
  nonces: NonceCache,
  now: number,
): Verified {
  const authorization = header(request, 'authorization');
  if (!authorization) throw incomplete('The Authorization header is missing.');
  const algorithm = authorization.split(/\s/, 1)[0] ?? '';
  if (algorithm !== SIGNATURE_ALGORITHM && algorithm.startsWith('ACS3-')) {
    throw new ApiError(400, 'InvalidSignatureMethod', `The signature method ${algorithm} is not supported.`);
  }
  const parsed = parseAuthorization(authorization);
  if (!parsed) {
    throw incomplete(`Expected "${SIGNATURE_ALGORITHM} Credential=<AccessKeyId>,SignedHeaders=<a;b>,Signature=<hex>".`);
  }

  for (const name of ['x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']) {
    if (!header(request, name)) throw missingParameter(name);
  }
  const mustSign = [
    'host',
    ...Object.keys(request.headers).filter((name) => name.startsWith('x-acs-') && header(request, name)),
  ];
  const unsigned = mustSign.filter((name) => !parsed.signedHeaders.includes(name));
  if (unsigned.length > 0) throw incomplete(`SignedHeaders must include ${unsigned.join(', ')}.`);

  const date = header(request, 'x-acs-date')!;
  const dateMs = Date.parse(date);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(date) || Number.isNaN(dateMs)) {
    throw new ApiError(
      400,
      'InvalidTimeStamp.Format',
      `Specified time stamp or date value is not well formatted: ${date}. Use yyyy-MM-ddTHH:mm:ssZ (UTC).`,
    );
  }
  if (Math.abs(now - dateMs) > REPLAY_WINDOW_MS) {
    throw new ApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
  }

  const secret = secrets.get(parsed.accessKeyId);
  if (secret === undefined) {
    throw new ApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  }

  const claimedHash = header(request, 'x-acs-content-sha256')!;
  if (claimedHash.toLowerCase() !== sha256Hex(request.body)) {
    // The gateway hashes the body it received; a mismatch fails the signature (no separate code is documented).
    throw new ApiError(
      400,
      'SignatureDoesNotMatch',
      'Specified signature is not matched with our calculation. x-acs-content-sha256 is not the SHA-256 of the body.',
    );
  }

  const canonicalRequest = [
    request.method.toUpperCase(),
    request.pathname,
    canonicalQueryString(request.query),
    canonicalSignedHeaders(request, parsed.signedHeaders),
    parsed.signedHeaders.join(';'),
    claimedHash,
  ].join('\n');
  const stringToSign = `${SIGNATURE_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
  const expected = createHmac('sha256', secret).update(stringToSign).digest('hex');
  if (!safeEqualHex(expected, parsed.signature)) {
    throw new ApiError(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
    );
  }

  // Only a correctly signed request burns its nonce; otherwise anyone could burn nonces for others.
  if (!nonces.claim(parsed.accessKeyId, header(request, 'x-acs-signature-nonce')!, now)) {
    throw new ApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
  }
  return { accessKeyId: parsed.accessKeyId };
}
