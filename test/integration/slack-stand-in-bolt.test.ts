import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSlackDriver,
  type SlackDriver,
  type SlackStandIn,
  startSlackStandIn,
} from '../../src/sandbox/slack/index.js';

/**
 * The real Bolt App (HTTPReceiver on loopback) against the stand-in, driven by signed requests, as the project's
 * end-to-end tests will run it (doc §5.2).
 */
const SECRET = 'sandbox-signing-secret';

const backupModal = (privateMetadata: string) => ({
  type: 'modal' as const,
  callback_id: 'backup_modal',
  private_metadata: privateMetadata,
  title: { type: 'plain_text' as const, text: 'Back up an app' },
  submit: { type: 'plain_text' as const, text: 'Back up' },
  blocks: [
    {
      type: 'input' as const,
      block_id: 'instance',
      label: { type: 'plain_text' as const, text: 'Instance' },
      element: {
        type: 'static_select' as const,
        action_id: 'pick',
        options: [
          { text: { type: 'plain_text' as const, text: 'phone-1' }, value: 'acp-1' },
          { text: { type: 'plain_text' as const, text: 'phone-2' }, value: 'acp-2' },
        ],
      },
    },
    {
      type: 'input' as const,
      block_id: 'package',
      label: { type: 'plain_text' as const, text: 'App package' },
      element: { type: 'plain_text_input' as const, action_id: 'name' },
    },
  ],
});

describe('driver against a real Bolt app', () => {
  let standIn: SlackStandIn;
  let app: App;
  let driver: SlackDriver;
  let handled: string[];
  let submitted: unknown;

  beforeEach(async () => {
    handled = [];
    submitted = undefined;
    standIn = await startSlackStandIn();
    app = new App({
      token: standIn.botToken,
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/cloudphone', async ({ ack, body, client }) => {
      handled.push(`command:${body.text}`);
      await ack();
      await client.views.open({ trigger_id: body.trigger_id, view: backupModal(body.channel_id) });
    });
    app.view('backup_modal', async ({ ack, view }) => {
      handled.push('view');
      submitted = view.state.values;
      const name = view.state.values.package?.name?.value ?? '';
      if (!name.includes('.')) {
        await ack({ response_action: 'errors', errors: { package: 'Use a package name like com.example.app' } });
        return;
      }
      await ack();
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    const { port } = server.address() as AddressInfo;
    driver = createSlackDriver({ appUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, standIn });
  });

  afterEach(async () => {
    await app.stop();
    await standIn.close();
  });

  it('a signed slash command is acked within budget and opens a modal with a live trigger', async () => {
    const res = await driver.slashCommand({
      command: '/cloudphone',
      text: 'backup',
      userId: 'U0ALICE',
      channelId: 'C0BACKUPS',
    });
    expect(res.status).toBe(200);
    expect(res.withinAckBudget).toBe(true);
    expect(res.outcome).toEqual({ kind: 'silent' });
    const [view] = await standIn.waitFor((s) => s.openViews('U0ALICE').length > 0 && s.openViews('U0ALICE'));
    expect(view?.callback_id).toBe('backup_modal');
    const open = standIn.callsTo('views.open');
    expect(open).toHaveLength(1);
    expect(open[0]?.args.trigger_id).toBe(res.triggerId);
    expect(open[0]?.response).toMatchObject({ ok: true });
  });

  it('a forged signature gets 401 and no listener runs', async () => {
    const res = await driver.slashCommand({
      command: '/cloudphone',
      text: 'backup',
      userId: 'U0ALICE',
      channelId: 'C0BACKUPS',
      forge: { signingSecret: 'not-the-secret' },
    });
    expect(res.status).toBe(401);
    expect(handled).toEqual([]);
    expect(standIn.callsTo('views.open')).toHaveLength(0);
  });

  it('a timestamp older than five minutes gets 401', async () => {
    const res = await driver.slashCommand({
      command: '/cloudphone',
      userId: 'U0ALICE',
      channelId: 'C0BACKUPS',
      forge: { timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 },
    });
    expect(res.status).toBe(401);
    expect(handled).toEqual([]);
  });

  it('missing signature headers and a tampered body get 401', async () => {
    for (const forge of [{ omitSignature: true }, { omitTimestamp: true }, { tamperBody: true }]) {
      const res = await driver.slashCommand({
        command: '/cloudphone',
        userId: 'U0ALICE',
        channelId: 'C0BACKUPS',
        forge,
      });
      expect(res.status).toBe(401);
    }
    expect(handled).toEqual([]);
  });

  it('a charset on the content type makes Bolt parse the form as JSON and answer 400 (doc §1.13)', async () => {
    const res = await driver.slashCommand({
      command: '/cloudphone',
      userId: 'U0ALICE',
      channelId: 'C0BACKUPS',
      forge: { contentType: 'application/x-www-form-urlencoded;charset=UTF-8' },
    });
    expect(res.status).toBe(400);
    expect(handled).toEqual([]);
  });

  it('submitting the opened view reaches the view handler with the right state.values', async () => {
    await driver.slashCommand({ command: '/cloudphone', text: 'backup', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const [view] = await standIn.waitFor((s) => s.openViews('U0ALICE').length > 0 && s.openViews('U0ALICE'));
    if (!view) throw new Error('no view');
    const res = await driver.submitView({
      viewId: view.id,
      values: { instance: { pick: 'acp-2' }, package: { name: 'com.example.app' } },
    });
    expect(res.status).toBe(200);
    expect(res.outcome).toEqual({ kind: 'closed' });
    expect(submitted).toEqual({
      instance: {
        pick: {
          type: 'static_select',
          selected_option: { text: { type: 'plain_text', text: 'phone-2' }, value: 'acp-2' },
        },
      },
      package: { name: { type: 'plain_text_input', value: 'com.example.app' } },
    });
    expect(standIn.openViews('U0ALICE')).toEqual([]);
  });

  it('response_action errors keeps the view open and names the input block', async () => {
    await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const [view] = await standIn.waitFor((s) => s.openViews('U0ALICE').length > 0 && s.openViews('U0ALICE'));
    if (!view) throw new Error('no view');
    const res = await driver.submitView({
      viewId: view.id,
      values: { instance: { pick: 'acp-1' }, package: { name: 'x' } },
    });
    expect(res.outcome).toEqual({ kind: 'errors', errors: { package: 'Use a package name like com.example.app' } });
    expect(standIn.openViews('U0ALICE')).toHaveLength(1);
  });

  it('refuses to submit what a person could not: unknown block_id, unoffered option, empty required input', async () => {
    await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const [view] = await standIn.waitFor((s) => s.openViews('U0ALICE').length > 0 && s.openViews('U0ALICE'));
    if (!view) throw new Error('no view');
    await expect(
      driver.submitView({ viewId: view.id, values: { instance: { pick: 'acp-1' }, nope: { x: 'y' } } }),
    ).rejects.toThrow(/no such input/);
    await expect(
      driver.submitView({ viewId: view.id, values: { instance: { pick: 'acp-9' }, package: { name: 'a.b' } } }),
    ).rejects.toThrow(/not one of the offered options/);
    await expect(driver.submitView({ viewId: view.id, values: { instance: { pick: 'acp-1' } } })).rejects.toThrow(
      /required input block_id "package" is empty/,
    );
    expect(handled).toEqual(['command:']);
  });
});
