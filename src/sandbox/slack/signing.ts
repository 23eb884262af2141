import { createHmac } from 'node:crypto';

/**
 * Slack's request signature (`X-Slack-Signature`): `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed with
 * the app's signing secret. Bolt recomputes exactly this over the raw bytes it receives, so the body passed here must
 * be the exact string that goes on the wire.
 */
export function signSlackRequest(signingSecret: string, timestampSec: number, rawBody: string): string {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex');
  return `v0=${digest}`;
}

/** Headers Slack sends with every request to an app's Request URL. */
export function slackSignatureHeaders(
  signingSecret: string,
  timestampSec: number,
  rawBody: string,
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  return {
    'x-slack-signature': signSlackRequest(signingSecret, timestampSec, rawBody),
    'x-slack-request-timestamp': String(timestampSec),
  };
}
