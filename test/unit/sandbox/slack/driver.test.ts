import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySlackRequest } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildViewState,
  createSlackDriver,
  type SlackDriver,
  type SlackStandIn,
  signSlackRequest,
  startSlackStandIn,
  type ViewObject,
} from '../../../../src/sandbox/slack/index.js';
import { button, callApi, fakeClock, modal, option, plain, section } from './support.js';

const SECRET = 'driver-test-secret';

interface Captured {
  headers: IncomingHttpHeaders;
  body: string;
}

/** Stands where the Bolt app would: records each request and answers with `reply`. */
let captured: Captured[];
let reply: { status: number; body: string; contentType?: string };
let server: Server;
let standIn: SlackStandIn;
let driver: SlackDriver;
let clock: ReturnType<typeof fakeClock>;

beforeEach(async () => {
  captured = [];
  reply = { status: 200, body: '' };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(reply.status, reply.contentType ? { 'content-type': reply.contentType } : {});
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  clock = fakeClock(Date.now());
  standIn = await startSlackStandIn({ now: clock.now, rateLimits: false });
  const { port } = server.address() as AddressInfo;
  driver = createSlackDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SECRET,
    standIn,
    now: clock.now,
  });
});

afterEach(async () => {
  await standIn.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const last = () => captured.at(-1) as Captured;
const payloadOf = (c: Captured) => JSON.parse(new URLSearchParams(c.body).get('payload') ?? '{}');

function verify(c: Captured, nowMs = clock.now()) {
  verifySlackRequest({
    signingSecret: SECRET,
    body: c.body,
    headers: {
      'x-slack-signature': String(c.headers['x-slack-signature']),
      'x-slack-request-timestamp': Number(c.headers['x-slack-request-timestamp']),
    },
    nowMilliseconds: nowMs,
  });
}

describe('signing', () => {
  it('signSlackRequest produces what Bolt’s verifier accepts, and nothing else', () => {
    const body = 'token=x&text=hello';
    const ts = 1_700_000_000;
    const headers = (signature: string) => ({ 'x-slack-signature': signature, 'x-slack-request-timestamp': ts });
    const opts = { signingSecret: SECRET, body, nowMilliseconds: ts * 1000 };
    expect(() => verifySlackRequest({ ...opts, headers: headers(signSlackRequest(SECRET, ts, body)) })).not.toThrow();
    expect(() => verifySlackRequest({ ...opts, headers: headers(signSlackRequest('other', ts, body)) })).toThrow();
    expect(() => verifySlackRequest({ ...opts, headers: headers(signSlackRequest(SECRET, ts, `${body}x`)) })).toThrow();
    expect(signSlackRequest(SECRET, ts, body)).toMatch(/^v0=[0-9a-f]{64}$/);
  });
});

describe('slash commands', () => {
  it('posts Slack’s exact form with a live trigger_id and a response_url from the stand-in', async () => {
    const res = await driver.slashCommand({
      command: '/cloudphone',
      text: 'backup acp-1',
      userId: 'U0ALICE',
      channelId: 'C0BACKUPS',
    });
    const c = last();
    expect(c.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(c.headers['x-slack-request-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    verify(c);
    const fields = Object.fromEntries(new URLSearchParams(c.body));
    expect(fields).toMatchObject({
      command: '/cloudphone',
      text: 'backup acp-1',
      user_id: 'U0ALICE',
      user_name: 'alice',
      channel_id: 'C0BACKUPS',
      channel_name: 'backups',
      team_id: 'T0SANDBOX',
      team_domain: 'sandbox',
      api_app_id: 'A0APP',
      is_enterprise_install: 'false',
      trigger_id: res.triggerId,
      response_url: res.responseUrl,
    });
    expect(res).toMatchObject({ status: 200, withinAckBudget: true, outcome: { kind: 'silent' } });
    expect((await callApi(standIn, 'views.open', { trigger_id: res.triggerId, view: modal([]) })).body.ok).toBe(true);
  });

  it('shows an acked text or JSON as an ephemeral reply, checked like a message', async () => {
    reply = { status: 200, body: 'Usage: /cloudphone backup <instance>' };
    const text = await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    expect(text.outcome).toEqual({ kind: 'ephemeral', text: 'Usage: /cloudphone backup <instance>' });
    reply = {
      status: 200,
      body: JSON.stringify({ blocks: [section('x'.repeat(3001))] }),
      contentType: 'application/json',
    };
    const bad = await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    expect(bad.outcome).toMatchObject({ kind: 'rejected', reason: 'invalid_blocks' });
    expect(bad.body).toEqual({ blocks: [section('x'.repeat(3001))] });
    expect(standIn.ephemerals('U0ALICE')).toHaveLength(1);
  });

  it('only lets a member of the conversation type there', async () => {
    await expect(driver.slashCommand({ command: '/c', userId: 'U0CAROL', channelId: 'C0BACKUPS' })).rejects.toThrow(
      /not in C0BACKUPS/,
    );
    await expect(driver.slashCommand({ command: '/c', userId: 'U0ALICE', channelId: 'C0NOPE' })).rejects.toThrow();
    await driver.slashCommand({ command: '/c', userId: 'U0ALICE', channelId: 'D0ALICE' });
    expect(new URLSearchParams(last().body).get('channel_name')).toBe('directmessage');
  });

  it('forges: wrong secret, stale timestamp, missing headers, tampered body, other content type', async () => {
    const forged = async (forge: Parameters<SlackDriver['slashCommand']>[0]['forge']) => {
      await driver.slashCommand({ command: '/c', userId: 'U0ALICE', channelId: 'C0BACKUPS', forge });
      return last();
    };
    const wrong = await forged({ signingSecret: 'nope' });
    expect(() => verify(wrong)).toThrow(/signature mismatch/);
    const stale = await forged({ timestampSec: Math.floor(clock.now() / 1000) - 301 });
    expect(() => verify(stale)).toThrow(/stale/);
    expect((await forged({ omitSignature: true })).headers['x-slack-signature']).toBeUndefined();
    expect((await forged({ omitTimestamp: true })).headers['x-slack-request-timestamp']).toBeUndefined();
    const tampered = await forged({ tamperBody: true });
    expect(() => verify(tampered)).toThrow(/signature mismatch/);
    expect((await forged({ contentType: 'application/json' })).headers['content-type']).toBe('application/json');
  });
});

describe('view submissions', () => {
  async function openModal(view: unknown, user = 'U0ALICE'): Promise<ViewObject> {
    const res = await callApi(standIn, 'views.open', { trigger_id: standIn.issueTriggerId(user), view });
    return res.body.view as ViewObject;
  }

  it('builds view_submission from the opened view with state.values and a fresh trigger', async () => {
    const view = await openModal(
      modal(
        [
          {
            type: 'input',
            block_id: 'apps',
            label: plain('Apps'),
            element: {
              type: 'checkboxes',
              action_id: 'pick',
              options: [option('Chat', 'com.chat'), option('Maps', 'com.maps')],
            },
          },
          {
            type: 'input',
            block_id: 'when',
            optional: true,
            label: plain('When'),
            element: { type: 'datepicker', action_id: 'date' },
          },
          {
            type: 'input',
            block_id: 'note',
            label: plain('Note'),
            element: { type: 'plain_text_input', action_id: 'text', initial_value: 'nightly' },
          },
        ],
        { callback_id: 'backup', private_metadata: '{"c":"C0BACKUPS"}' },
      ),
    );
    const res = await driver.submitView({ viewId: view.id, values: { apps: { pick: ['com.maps'] } } });
    const c = last();
    expect(c.headers['content-type']).toBe('application/x-www-form-urlencoded');
    verify(c);
    const payload = payloadOf(c);
    expect(payload).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0ALICE', username: 'alice', team_id: 'T0SANDBOX' },
      team: { id: 'T0SANDBOX', domain: 'sandbox' },
      api_app_id: 'A0APP',
      trigger_id: res.triggerId,
      view: { id: view.id, callback_id: 'backup', private_metadata: '{"c":"C0BACKUPS"}', hash: view.hash },
      response_urls: [],
    });
    expect(payload.view.state.values).toEqual({
      apps: { pick: { type: 'checkboxes', selected_options: [option('Maps', 'com.maps')] } },
      when: { date: { type: 'datepicker', selected_date: null } },
      note: { text: { type: 'plain_text_input', value: 'nightly' } },
    });
    expect(res.outcome).toEqual({ kind: 'closed' });
  });

  it('only the person who has the view, and only the top view, can be submitted', async () => {
    const view = await openModal(modal([section('hi')]));
    await expect(driver.submitView({ viewId: view.id, userId: 'U0BOB' })).rejects.toThrow(/belongs to U0ALICE/);
    await callApi(standIn, 'views.push', {
      trigger_id: standIn.issueTriggerId('U0ALICE'),
      view: modal([section('2')]),
    });
    await expect(driver.submitView({ viewId: view.id })).rejects.toThrow(/not the top/);
    await expect(driver.submitView({ viewId: 'V0NOPE' })).rejects.toThrow(/not open/);
  });

  it('a view without a submit button cannot be submitted', async () => {
    const { submit: _s, ...noSubmit } = modal([section('read only')]);
    const view = await openModal(noSubmit);
    await expect(driver.submitView({ viewId: view.id })).rejects.toThrow(/no submit button/);
  });

  it('an answer after 3 s is not applied: Slack would have shown an error', async () => {
    const view = await openModal(modal([section('hi')]));
    const slowServer = server;
    slowServer.removeAllListeners('request');
    slowServer.on('request', (_req, res) => {
      setTimeout(() => res.end(), 3100);
    });
    const res = await driver.submitView({ viewId: view.id });
    expect(res.withinAckBudget).toBe(false);
    expect(res.outcome).toMatchObject({ kind: 'rejected' });
    expect(standIn.openViews('U0ALICE')).toHaveLength(1);
  });

  it('closeView sends view_closed only when the view asks for it', async () => {
    const quiet = await openModal(modal([section('hi')]));
    expect(await driver.closeView({ viewId: quiet.id })).toBeUndefined();
    expect(captured).toHaveLength(0);
    const loud = await openModal(modal([section('hi')], { notify_on_close: true }));
    await driver.closeView({ viewId: loud.id });
    expect(payloadOf(last())).toMatchObject({ type: 'view_closed', is_cleared: false, view: { id: loud.id } });
  });
});

describe('buildViewState', () => {
  const view = (blocks: unknown[]): ViewObject =>
    ({ id: 'V1', callback_id: 'cb', blocks, state: { values: {} } }) as unknown as ViewObject;
  const field = (block_id: string, element: Record<string, unknown>, optional = false) => ({
    type: 'input',
    block_id,
    optional,
    label: plain('l'),
    element: { action_id: 'a', ...element },
  });

  it('maps each element type to Slack’s state shape', () => {
    const values = buildViewState(
      view([
        field('sel', { type: 'static_select', options: [option('One', '1')] }),
        field('ms', { type: 'multi_static_select', options: [option('One', '1'), option('Two', '2')] }),
        field('usr', { type: 'users_select' }),
        field('ch', { type: 'conversations_select' }),
        field('num', { type: 'number_input', is_decimal_allowed: false }),
        field('ext', { type: 'external_select' }),
        field('time', { type: 'timepicker' }),
      ]),
      {
        sel: { a: '1' },
        ms: { a: ['1', '2'] },
        usr: { a: 'U0BOB' },
        ch: { a: 'C0BACKUPS' },
        num: { a: '42' },
        ext: { a: 'acp-77' },
        time: { a: '09:30' },
      },
    );
    expect(values).toEqual({
      sel: { a: { type: 'static_select', selected_option: option('One', '1') } },
      ms: { a: { type: 'multi_static_select', selected_options: [option('One', '1'), option('Two', '2')] } },
      usr: { a: { type: 'users_select', selected_user: 'U0BOB' } },
      ch: { a: { type: 'conversations_select', selected_conversation: 'C0BACKUPS' } },
      num: { a: { type: 'number_input', value: '42' } },
      ext: {
        a: {
          type: 'external_select',
          selected_option: { text: { type: 'plain_text', text: 'acp-77', emoji: true }, value: 'acp-77' },
        },
      },
      time: { a: { type: 'timepicker', selected_time: '09:30' } },
    });
  });

  it('applies the checks Slack’s client makes before submitting', () => {
    const v = view([
      field('t', { type: 'plain_text_input', max_length: 5, min_length: 2 }, true),
      field('n', { type: 'number_input', is_decimal_allowed: false, min_value: '1', max_value: '10' }, true),
      field('e', { type: 'email_text_input' }, true),
    ]);
    expect(() => buildViewState(v, { t: { a: 'toolong' } })).toThrow(/max_length/);
    expect(() => buildViewState(v, { t: { a: 'x' } })).toThrow(/min_length/);
    expect(() => buildViewState(v, { n: { a: '1.5' } })).toThrow(/decimals/);
    expect(() => buildViewState(v, { n: { a: '11' } })).toThrow(/max_value/);
    expect(() => buildViewState(v, { e: { a: 'not-an-email' } })).toThrow(/email/);
    expect(() => buildViewState(v, { t: { b: 'x' } })).toThrow(/no such input/);
    expect(buildViewState(v, {})).toMatchObject({ t: { a: { value: null } }, n: { a: { value: null } } });
  });
});

describe('block actions', () => {
  async function postWithButton(extra: Record<string, unknown> = {}) {
    const res = await callApi(standIn, 'chat.postMessage', {
      channel: 'C0BACKUPS',
      text: 'Backup running',
      blocks: [
        section('Backup running', {
          block_id: 'job',
          accessory: button('Cancel', { action_id: 'cancel', value: 'job-1', ...extra }),
        }),
      ],
    });
    return String(res.body.ts);
  }

  it('clicks a button the bot posted: block_actions with container, message, response_url', async () => {
    const ts = await postWithButton({ style: 'danger' });
    const res = await driver.clickButton({ channel: 'C0BACKUPS', messageTs: ts, actionId: 'cancel', userId: 'U0BOB' });
    const c = last();
    expect(c.headers['content-type']).toBe('application/x-www-form-urlencoded');
    verify(c);
    const payload = payloadOf(c);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      trigger_id: res.triggerId,
      container: { type: 'message', message_ts: ts, channel_id: 'C0BACKUPS', is_ephemeral: false },
      channel: { id: 'C0BACKUPS', name: 'backups' },
      message: { ts, text: 'Backup running', bot_id: 'B0BOT' },
      response_url: res.responseUrl,
      actions: [{ action_id: 'cancel', block_id: 'job', type: 'button', value: 'job-1', style: 'danger' }],
    });
    expect(payload.actions[0].action_ts).toMatch(/^\d+\.\d{6}$/);
  });

  it('cannot click what is not there, send another value, or see a channel one is not in', async () => {
    const ts = await postWithButton();
    await expect(
      driver.clickButton({ channel: 'C0BACKUPS', messageTs: ts, actionId: 'nope', userId: 'U0BOB' }),
    ).rejects.toThrow(/No element with action_id "nope".*job\/cancel/);
    await expect(
      driver.clickButton({ channel: 'C0BACKUPS', messageTs: ts, actionId: 'cancel', value: 'job-2', userId: 'U0BOB' }),
    ).rejects.toThrow(/cannot send job-2/);
    await expect(
      driver.clickButton({ channel: 'C0BACKUPS', messageTs: ts, actionId: 'cancel', userId: 'U0CAROL' }),
    ).rejects.toThrow(/not in C0BACKUPS/);
    await expect(
      driver.clickButton({
        channel: 'C0BACKUPS',
        messageTs: ts,
        actionId: 'cancel',
        blockId: 'other',
        userId: 'U0BOB',
      }),
    ).rejects.toThrow();
  });

  it('clicks a button in an ephemeral message shown to that person', async () => {
    const eph = await callApi(standIn, 'chat.postEphemeral', {
      channel: 'C0BACKUPS',
      user: 'U0BOB',
      text: 'Sure?',
      blocks: [{ type: 'actions', elements: [button('Yes', { action_id: 'yes', value: 'y' })] }],
    });
    const ts = String(eph.body.message_ts);
    await driver.clickButton({ channel: 'C0BACKUPS', messageTs: ts, actionId: 'yes', userId: 'U0BOB' });
    const payload = payloadOf(last());
    expect(payload.container).toMatchObject({ is_ephemeral: true, message_ts: ts });
    expect(payload.message).toBeUndefined();
    await expect(
      driver.clickButton({ channel: 'C0BACKUPS', messageTs: ts, actionId: 'yes', userId: 'U0ALICE' }),
    ).rejects.toThrow(/visible to U0ALICE/);
  });

  it('selects an option in a message: the choice is in actions and in state.values', async () => {
    const res = await callApi(standIn, 'chat.postMessage', {
      channel: 'D0ALICE',
      text: 'Pick an instance',
      blocks: [
        section('Instance', {
          block_id: 'inst',
          accessory: { type: 'static_select', action_id: 'pick', options: [option('phone-1', 'acp-1')] },
        }),
      ],
    });
    const ts = String(res.body.ts);
    await driver.selectOption({
      channel: 'D0ALICE',
      messageTs: ts,
      actionId: 'pick',
      value: 'acp-1',
      userId: 'U0ALICE',
    });
    expect(payloadOf(last())).toMatchObject({
      channel: { id: 'D0ALICE', name: 'directmessage' },
      actions: [{ selected_option: { value: 'acp-1' } }],
      state: { values: { inst: { pick: { type: 'static_select', selected_option: { value: 'acp-1' } } } } },
    });
    // Only the person in the DM sees it.
    await expect(
      driver.selectOption({ channel: 'D0ALICE', messageTs: ts, actionId: 'pick', value: 'acp-1', userId: 'U0BOB' }),
    ).rejects.toThrow(/not in D0ALICE/);
  });

  it('selects an offered option in a modal and keeps it in view.state', async () => {
    const res = await callApi(standIn, 'views.open', {
      trigger_id: standIn.issueTriggerId('U0ALICE'),
      view: modal([
        section('Instance', {
          block_id: 'inst',
          accessory: { type: 'static_select', action_id: 'pick', options: [option('phone-1', 'acp-1')] },
        }),
      ]),
    });
    const viewId = (res.body.view as ViewObject).id;
    await driver.selectOption({ viewId, actionId: 'pick', value: 'acp-1', userId: 'U0ALICE' });
    const payload = payloadOf(last());
    expect(payload).toMatchObject({
      container: { type: 'view', view_id: viewId },
      actions: [{ action_id: 'pick', block_id: 'inst', selected_option: { value: 'acp-1' } }],
      view: { state: { values: { inst: { pick: { selected_option: { value: 'acp-1' } } } } } },
    });
    expect(payload.response_url).toBeUndefined();
    await expect(driver.selectOption({ viewId, actionId: 'pick', value: 'acp-9', userId: 'U0ALICE' })).rejects.toThrow(
      /not one of the offered options/,
    );
  });
});

describe('block suggestions and events', () => {
  it('asks an external select for options and checks the answer', async () => {
    const res = await callApi(standIn, 'views.open', {
      trigger_id: standIn.issueTriggerId('U0ALICE'),
      view: modal([
        {
          type: 'input',
          block_id: 'inst',
          label: plain('Instance'),
          element: { type: 'external_select', action_id: 'search', min_query_length: 2 },
        },
      ]),
    });
    const viewId = (res.body.view as ViewObject).id;
    await expect(driver.blockSuggestion({ viewId, actionId: 'search', value: 'a' })).rejects.toThrow(/2 characters/);
    reply = {
      status: 200,
      body: JSON.stringify({ options: [option('phone-1', 'acp-1')] }),
      contentType: 'application/json',
    };
    const ok = await driver.blockSuggestion({ viewId, actionId: 'search', value: 'ph' });
    expect(payloadOf(last())).toMatchObject({
      type: 'block_suggestion',
      action_id: 'search',
      block_id: 'inst',
      value: 'ph',
    });
    expect(ok.outcome).toEqual({ options: [option('phone-1', 'acp-1')] });
    reply = {
      status: 200,
      body: JSON.stringify({ options: [option('x'.repeat(76), 'v')] }),
      contentType: 'application/json',
    };
    expect((await driver.blockSuggestion({ viewId, actionId: 'search', value: 'ph' })).outcome).toEqual({
      error: 'option text must be 1–75',
    });
  });

  it('sends Events API deliveries as signed JSON event_callbacks', async () => {
    await driver.sendEvent(
      { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' },
      { retryNum: 1, retryReason: 'http_timeout' },
    );
    const c = last();
    expect(c.headers['content-type']).toBe('application/json');
    expect(c.headers['x-slack-retry-num']).toBe('1');
    expect(c.headers['x-slack-retry-reason']).toBe('http_timeout');
    verify(c);
    expect(JSON.parse(c.body)).toMatchObject({
      type: 'event_callback',
      team_id: 'T0SANDBOX',
      api_app_id: 'A0APP',
      event_id: expect.stringMatching(/^Ev/),
      event: { type: 'app_home_opened', user: 'U0ALICE', tab: 'home' },
      authorizations: [{ user_id: 'U0BOT', is_bot: true }],
    });
  });
});
