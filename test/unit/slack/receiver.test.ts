import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { parse as querystringParse } from 'node:querystring';
import { App, verifySlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { signSlackRequest, slackSignatureHeaders } from '../../../src/sandbox/slack/signing.js';
import {
  checkSlackSignature,
  DEFAULT_BODY_LIMIT_BYTES,
  parseForm,
  type ServerLimits,
  SlackReceiver,
} from '../../../src/slack/receiver.js';

const SECRET = 'receiver-test-secret';

describe('parseForm', () => {
  const same = (text: string): void => {
    expect({ ...parseForm(text) }).toEqual({ ...querystringParse(text) });
  };

  it('reads every well-formed form as node:querystring does (which Bolt uses), repeated keys included', () => {
    const pairs = fc.array(fc.tuple(fc.constantFrom('a', 'payload', 'text', ''), fc.string({ unit: 'grapheme' })), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(pairs, (entries) => same(new URLSearchParams(entries).toString())),
      { numRuns: 1_000 },
    );
  });

  it('reads malformed ASCII (stray %, broken escapes, bare keys) as node:querystring does', () => {
    const garbage = fc
      .array(
        fc.oneof(
          fc.constantFrom('&', '=', '+', '%', '%2', '%41', '%zz', '%C3', '%2B', '%26', '%E2%82'),
          fc.string({ maxLength: 3 }),
        ),
        {
          maxLength: 30,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(fc.property(garbage, same), { numRuns: 2_000 });
  });

  it('never throws on any text, and yields only strings and lists of strings', () => {
    // Where querystring itself mangles (non-ASCII next to a broken escape), this keeps the text as it came.
    expect(parseForm('=€%2+0')).toEqual({ '': '€%2 0' });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        for (const value of Object.values(parseForm(text))) {
          for (const item of [value].flat()) expect(typeof item).toBe('string');
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps __proto__ as a field, not a prototype', () => {
    const fields = parseForm('__proto__=x&a=1');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toBe('x');
  });
});

// The stand-in driver's signer: Slack's scheme, written once in the project.
const sign = (body: string, timestamp: number, secret = SECRET): string => signSlackRequest(secret, timestamp, body);

describe('checkSlackSignature', () => {
  const nowMs = 1_800_000_000_000;
  const nowSec = nowMs / 1000;

  it('agrees with Bolt for signed, tampered and stale requests in the past', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.integer({ min: 0, max: 900 }),
        fc.boolean(),
        (body, ageSec, tamper) => {
          const timestamp = nowSec - ageSec;
          const signature = sign(body, timestamp);
          const sent = tamper ? `${body}x` : body;
          let boltAccepts = true;
          try {
            verifySlackRequest({
              signingSecret: SECRET,
              body: sent,
              headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
              nowMilliseconds: nowMs,
            });
          } catch {
            boltAccepts = false;
          }
          const ours = checkSlackSignature({
            signingSecret: SECRET,
            rawBody: Buffer.from(sent),
            signature,
            timestamp: String(timestamp),
            nowMs,
          });
          expect(ours.ok).toBe(boltAccepts);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a timestamp more than five minutes ahead (Bolt would take it), a wrong secret and junk headers', () => {
    const body = 'command=%2Fcloudphone';
    const check = (signature: string | undefined, timestamp: string | undefined) =>
      checkSlackSignature({ signingSecret: SECRET, rawBody: Buffer.from(body), signature, timestamp, nowMs });
    expect(check(sign(body, nowSec + 301), String(nowSec + 301))).toMatchObject({ ok: false });
    expect(check(sign(body, nowSec + 299), String(nowSec + 299))).toEqual({ ok: true });
    expect(check(sign(body, nowSec, 'other'), String(nowSec))).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check(undefined, String(nowSec))).toMatchObject({ ok: false });
    expect(check(sign(body, nowSec), undefined)).toMatchObject({ ok: false });
    expect(check(sign(body, nowSec), '12abc')).toMatchObject({ ok: false });
    expect(check(sign(body, nowSec).replace('v0=', 'v1='), String(nowSec))).toMatchObject({ ok: false });
    expect(check('v0=abc', String(nowSec))).toMatchObject({ ok: false });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The receiver under a real Bolt App, over HTTP on loopback

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

interface Harness {
  url: string;
  app: App;
  seen: { retryNum?: number; retryReason?: string }[];
  logs: Record<string, unknown>[];
}

async function startApp(
  options: { unhandledRequestTimeoutMs?: number; bodyLimitBytes?: number; serverLimits?: Partial<ServerLimits> } = {},
) {
  const logs: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const receiver = new SlackReceiver({
    signingSecret: SECRET,
    logger,
    routes: [{ path: '/healthz', method: 'GET', handler: (_req, res) => res.end('fine') }],
    ...options,
  });
  // botId and botUserId: Bolt then needs no auth.test call to Slack.
  const app = new App({ token: 'xoxb-test', botId: 'B1', botUserId: 'U0BOT', receiver, convoStore: false });
  const seen: Harness['seen'] = [];
  app.use(async ({ context, next }) => {
    seen.push({ retryNum: context.retryNum, retryReason: context.retryReason });
    await next();
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, app, seen, logs } satisfies Harness;
}

async function post(
  url: string,
  body: string,
  options: { contentType?: string; headers?: Record<string, string>; signed?: boolean } = {},
) {
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(`${url}/slack/events`, {
    method: 'POST',
    body,
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      ...(options.signed === false ? {} : slackSignatureHeaders(SECRET, timestamp, body)),
      ...options.headers,
    },
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** What the server sent on a raw socket before it closed it. */
function everythingUntilClose(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

const command = (text: string) =>
  new URLSearchParams({
    command: '/cloudphone',
    text,
    user_id: 'U1',
    team_id: 'T1',
    channel_id: 'C1',
    trigger_id: 't.1',
    response_url: 'http://127.0.0.1:9/response',
  }).toString();

describe('SlackReceiver', () => {
  it('answers with what the listener acks: JSON for objects, text for strings, empty for nothing', async () => {
    const h = await startApp();
    h.app.command('/cloudphone', async ({ command: c, ack }) => {
      if (c.text === 'json') await ack({ response_type: 'ephemeral', text: 'hi' });
      else if (c.text === 'text') await ack('plain');
      else await ack();
    });
    expect(await post(h.url, command('json'))).toEqual({
      status: 200,
      type: 'application/json',
      text: '{"response_type":"ephemeral","text":"hi"}',
    });
    expect(await post(h.url, command('text'))).toMatchObject({ status: 200, text: 'plain' });
    expect(await post(h.url, command(''))).toMatchObject({ status: 200, text: '' });
  });

  it('reads interactivity payloads and passes Slack retry headers to the context', async () => {
    const h = await startApp();
    const submitted: string[] = [];
    h.app.view('modal', async ({ view, ack }) => {
      submitted.push(view.state.values.b?.a?.value ?? '');
      await ack({ response_action: 'errors', errors: { b: 'no' } });
    });
    const payload = JSON.stringify({
      type: 'view_submission',
      user: { id: 'U1', team_id: 'T1' },
      team: { id: 'T1' },
      view: {
        id: 'V1',
        callback_id: 'modal',
        state: { values: { b: { a: { type: 'plain_text_input', value: 'a+b & €' } } } },
      },
    });
    const res = await post(h.url, new URLSearchParams({ payload }).toString(), {
      headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(res).toMatchObject({ status: 200, text: '{"response_action":"errors","errors":{"b":"no"}}' });
    expect(submitted).toEqual(['a+b & €']);
    expect(h.seen).toEqual([{ retryNum: 2, retryReason: 'http_timeout' }]);
  });

  it('refuses unsigned and forged requests with an empty 401 before any listener runs', async () => {
    const h = await startApp();
    h.app.command('/cloudphone', async ({ ack }) => ack());
    expect(await post(h.url, command('x'), { signed: false })).toEqual({ status: 401, type: null, text: '' });
    expect(
      await post(h.url, command('x'), { headers: { 'x-slack-signature': sign('other body', Date.now() / 1000) } }),
    ).toMatchObject({ status: 401 });
    expect(h.seen).toEqual([]);
    expect(h.logs.some((l) => l.msg === 'refused a request that is not from Slack')).toBe(true);
  });

  it('answers an unsigned ssl_check with 200 and nothing else, and a url_verification with its challenge', async () => {
    const h = await startApp();
    expect(await post(h.url, 'ssl_check=1&token=x', { signed: false })).toEqual({ status: 200, type: null, text: '' });
    const verification = JSON.stringify({ type: 'url_verification', challenge: 'c-123' });
    expect(await post(h.url, verification, { contentType: 'application/json' })).toEqual({
      status: 200,
      type: 'application/json',
      text: '{"challenge":"c-123"}',
    });
    expect(await post(h.url, verification, { contentType: 'application/json', signed: false })).toMatchObject({
      status: 401,
    });
    expect(h.seen).toEqual([]);
  });

  it('reads an unsigned body only to find a tiny ssl_check: a larger one is refused like any unsigned request', async () => {
    const h = await startApp();
    h.app.command('/cloudphone', async ({ ack }) => ack());
    const padded = `ssl_check=1&token=x&${'k=v&'.repeat(500)}`;
    expect(await post(h.url, padded, { signed: false })).toEqual({ status: 401, type: null, text: '' });
    // Unsigned bodies with many keys are refused before they are read as a form.
    expect(await post(h.url, `${command('x')}&${'a=1&'.repeat(10_000)}`, { signed: false })).toMatchObject({
      status: 401,
    });
    expect(h.seen).toEqual([]);
  });

  it('answers 400 to a signed body that does not parse, including a form sent with a charset (as Bolt does)', async () => {
    const h = await startApp();
    expect(await post(h.url, '{not json', { contentType: 'application/json' })).toMatchObject({ status: 400 });
    expect(
      await post(h.url, command('x'), { contentType: 'application/x-www-form-urlencoded;charset=UTF-8' }),
    ).toMatchObject({ status: 400 });
    expect(await post(h.url, 'payload=%7Bbroken', {})).toMatchObject({ status: 400 });
    expect(h.seen).toEqual([]);
  });

  it('answers 413 over the body limit without reading the rest', async () => {
    const h = await startApp({ bodyLimitBytes: 1_000 });
    h.app.command('/cloudphone', async ({ ack }) => ack());
    expect(await post(h.url, command('x'.repeat(2_000)))).toMatchObject({ status: 413 });
    expect(await post(h.url, command('small'))).toMatchObject({ status: 200 });
  });

  it('caps bodies at 512 KiB by default (Slack sends well under that), signed or not', async () => {
    const h = await startApp();
    h.app.command('/cloudphone', async ({ ack }) => ack());
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(512 * 1024);
    expect(await post(h.url, command('x'.repeat(600_000)))).toMatchObject({ status: 413 });
    expect(await post(h.url, command('x'.repeat(600_000)), { signed: false })).toMatchObject({ status: 413 });
    // A modal's worth (a view near Slack's 250 kB cap) still goes through.
    expect(await post(h.url, command('x'.repeat(300_000)))).toMatchObject({ status: 200 });
  });

  it('drops a sender that trickles its headers, and connections past the cap', async () => {
    const h = await startApp({ serverLimits: { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 50 } });
    const { port } = new URL(h.url);
    // Half a request line, then nothing: the server answers 408 and closes the socket.
    const slow = connect(Number(port), '127.0.0.1');
    slow.write('POST /slack/events HTTP/1.1\r\nHost: x\r\n');
    expect(await everythingUntilClose(slow)).toMatch(/^HTTP\/1\.1 408/);

    const capped = await startApp({ serverLimits: { maxConnections: 2 } });
    const cappedPort = Number(new URL(capped.url).port);
    const open = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect(cappedPort, '127.0.0.1', () => resolve(socket));
          }),
      ),
    );
    const third = connect(cappedPort, '127.0.0.1');
    third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await everythingUntilClose(third)).toBe('');
    for (const socket of open) socket.destroy();
  });

  it('answers 404 when no listener acks in time, 500 when a listener throws before its ack', async () => {
    const h = await startApp({ unhandledRequestTimeoutMs: 200 });
    h.app.command('/cloudphone', async ({ command: c, ack }) => {
      if (c.text === 'throw') throw new Error('boom');
      if (c.text === 'twice') {
        await ack();
        await expect(ack()).rejects.toThrow(/multiple|ack/i);
      }
    });
    expect(await post(h.url, command('never'))).toMatchObject({ status: 404 });
    expect(h.logs.some((l) => String(l.msg).includes('not acknowledged within 3 seconds'))).toBe(true);
    expect(await post(h.url, command('twice'))).toMatchObject({ status: 200 });
    const failed = await post(h.url, command('throw'));
    expect(failed.status).toBe(500);
  });

  it('rejects start() on a port in use, and stop() afterwards has nothing to close', async () => {
    const h = await startApp();
    const port = Number(new URL(h.url).port);
    const second = new SlackReceiver({ signingSecret: SECRET, logger: pino({ level: 'silent' }) });
    await expect(second.start({ port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/);
    await expect(second.stop()).resolves.toBeUndefined();
  });

  it('serves its other routes and 404 elsewhere', async () => {
    const h = await startApp();
    expect(await (await fetch(`${h.url}/healthz`)).text()).toBe('fine');
    expect((await fetch(`${h.url}/healthz`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${h.url}/slack/events`)).status).toBe(404);
    expect((await fetch(`${h.url}/elsewhere`)).status).toBe(404);
  });
});
