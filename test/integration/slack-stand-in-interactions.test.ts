import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type AppOptions, LogLevel } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSlackDriver,
  type SlackDriver,
  type SlackStandIn,
  type SlackStandInOptions,
  startSlackStandIn,
} from '../../src/sandbox/slack/index.js';

const SECRET = 'sandbox-signing-secret';
const plain = (text: string) => ({ type: 'plain_text' as const, text });

interface Harness {
  standIn: SlackStandIn;
  app: App;
  driver: SlackDriver;
  errors: unknown[];
  /** Resolves with the first error that reaches app.error. */
  firstError: Promise<unknown>;
}

const harnesses: Harness[] = [];

/** A real Bolt app on loopback wired to a fresh stand-in; `register` adds the listeners under test before start. */
async function harness(
  register: (app: App, standIn: SlackStandIn) => void,
  opts: { standIn?: SlackStandInOptions; app?: Partial<AppOptions> } = {},
): Promise<Harness> {
  const standIn = await startSlackStandIn(opts.standIn);
  const app = new App({
    token: standIn.botToken,
    signingSecret: SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } },
    ...opts.app,
  });
  const errors: unknown[] = [];
  let reportError: (err: unknown) => void = () => undefined;
  const firstError = new Promise<unknown>((resolve) => {
    reportError = resolve;
  });
  app.error(async (err) => {
    errors.push(err);
    reportError(err);
  });
  register(app, standIn);
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const { port } = server.address() as AddressInfo;
  const driver = createSlackDriver({ appUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, standIn });
  const h = { standIn, app, driver, errors, firstError };
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.app.stop();
    await h.standIn.close();
  }
});

describe('Bolt app against the stand-in: interactions', () => {
  it('a button on a bot message reaches app.action; respond() replaces the original through response_url', async () => {
    const { standIn, driver } = await harness((app) => {
      app.command('/cloudphone', async ({ ack, client, command }) => {
        await ack();
        await client.chat.postMessage({
          channel: command.channel_id,
          text: 'Backup running',
          blocks: [
            {
              type: 'section',
              block_id: 'job',
              text: { type: 'mrkdwn', text: 'Backup of `com.example` running' },
              accessory: { type: 'button', action_id: 'cancel', value: 'job-42', text: plain('Cancel') },
            },
          ],
        });
      });
      app.action('cancel', async ({ ack, respond, body, action, client }) => {
        await ack();
        const value = 'value' in action ? action.value : undefined;
        await respond({ replace_original: true, text: `Cancelled ${value}` });
        if (body.type === 'block_actions' && body.message && body.channel) {
          await client.chat.postMessage({
            channel: body.channel.id,
            thread_ts: body.message.ts,
            text: 'Stopped by request',
          });
        }
      });
    });
    await driver.slashCommand({ command: '/cloudphone', text: 'backup', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const posted = await standIn.waitFor((s) => s.messages('C0BACKUPS')[0]);
    const click = await driver.clickButton({
      channel: 'C0BACKUPS',
      messageTs: posted.ts,
      actionId: 'cancel',
      userId: 'U0BOB',
    });
    expect(click).toMatchObject({ status: 200, withinAckBudget: true });
    const reply = await standIn.waitFor((s) => s.threadReplies('C0BACKUPS', posted.ts)[0]);
    expect(reply.text).toBe('Stopped by request');
    expect(standIn.message('C0BACKUPS', posted.ts)?.text).toBe('Cancelled job-42');
    expect(standIn.responsePosts()).toMatchObject([{ status: 200, outcome: 'replaced_original', user: 'U0BOB' }]);
  });

  it('app_home_opened (Events API) leads to views.publish for that user', async () => {
    const { standIn, driver } = await harness((app) => {
      app.event('app_home_opened', async ({ event, client }) => {
        await client.views.publish({
          user_id: event.user,
          view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Your backups' } }] },
        });
      });
    });
    const res = await driver.sendEvent({ type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' });
    expect(res.status).toBe(200);
    const home = await standIn.waitFor((s) => s.homeView('U0ALICE'));
    expect(JSON.stringify(home.blocks)).toContain('Your backups');
  });

  it('a command nobody acks gets Bolt’s 404 after about 3 s, and Slack shows the person an error', async () => {
    const { driver } = await harness((app) => {
      app.command('/cloudphone', async () => {
        // Never acks: the classic bug the 3-second budget exists to catch.
      });
    });
    const res = await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    expect(res.status).toBe(404);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(2900);
    expect(res.outcome.kind).toBe('rejected');
  });

  it('a command acked with text shows that text to the person only', async () => {
    const { standIn, driver } = await harness((app) => {
      app.command('/cloudphone', async ({ ack }) => {
        await ack('Usage: /cloudphone backup <instance>');
      });
    });
    const res = await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    expect(res.outcome).toEqual({ kind: 'ephemeral', text: 'Usage: /cloudphone backup <instance>' });
    expect(standIn.ephemerals('U0ALICE').map((e) => e.source)).toEqual(['command_ack']);
  });

  it('response_action update replaces the modal with a validated view', async () => {
    const { standIn, driver } = await harness((app) => {
      app.command('/cloudphone', async ({ ack, client, body }) => {
        await ack();
        await client.views.open({
          trigger_id: body.trigger_id,
          view: { type: 'modal', callback_id: 'step1', title: plain('Step 1'), submit: plain('Next'), blocks: [] },
        });
      });
      app.view('step1', async ({ ack }) => {
        await ack({
          response_action: 'update',
          view: {
            type: 'modal',
            callback_id: 'step2',
            title: plain('Step 2'),
            blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Confirm' } }],
          },
        });
      });
    });
    await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const [view] = await standIn.waitFor((s) => s.openViews('U0ALICE').length > 0 && s.openViews('U0ALICE'));
    const res = await driver.submitView({ viewId: view?.id as string });
    expect(res.outcome.kind).toBe('updated');
    expect(standIn.openViews('U0ALICE').map((v) => v.callback_id)).toEqual(['step2']);
  });

  it('app.options answers a block_suggestion with options the driver checks', async () => {
    const { standIn, driver } = await harness((app) => {
      app.command('/cloudphone', async ({ ack, client, body }) => {
        await ack();
        await client.views.open({
          trigger_id: body.trigger_id,
          view: {
            type: 'modal',
            callback_id: 'pick',
            title: plain('Pick'),
            submit: plain('Go'),
            blocks: [
              {
                type: 'input',
                block_id: 'inst',
                label: plain('Instance'),
                element: { type: 'external_select', action_id: 'instance_search', min_query_length: 1 },
              },
            ],
          },
        });
      });
      app.options('instance_search', async ({ ack, payload }) => {
        await ack({ options: [{ text: plain(`phone matching ${payload.value}`), value: 'acp-1' }] });
      });
    });
    await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const [view] = await standIn.waitFor((s) => s.openViews('U0ALICE').length > 0 && s.openViews('U0ALICE'));
    const res = await driver.blockSuggestion({ viewId: view?.id as string, actionId: 'instance_search', value: 'ph' });
    expect(res.outcome).toEqual({ options: [{ text: plain('phone matching ph'), value: 'acp-1' }] });
  });

  it('a view Slack would refuse reaches the app as a platform error naming the field', async () => {
    const { standIn, driver, errors, firstError } = await harness((app) => {
      app.command('/cloudphone', async ({ ack, client, body }) => {
        await ack();
        await client.views.open({
          trigger_id: body.trigger_id,
          view: { type: 'modal', title: plain('A title that is far too long for Slack'), blocks: [] },
        });
      });
    });
    await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    expect(await firstError).toMatchObject({
      code: 'slack_webapi_platform_error',
      data: {
        error: 'invalid_arguments',
        response_metadata: { messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'] },
      },
    });
    expect(errors).toHaveLength(1);
    expect(standIn.openViews('U0ALICE')).toEqual([]);
  });

  it('slow work before views.open makes the trigger expire (expired_trigger_id)', async () => {
    let offset = 0;
    const { standIn, driver } = await harness(
      (app) => {
        app.command('/cloudphone', async ({ ack, client, body }) => {
          await ack();
          offset = 3500; // stands in for a cloud API call awaited before opening the modal
          await client.views
            .open({ trigger_id: body.trigger_id, view: { type: 'modal', title: plain('Late'), blocks: [] } })
            .catch(() => undefined);
        });
      },
      { standIn: { now: () => Date.now() + offset } },
    );
    await driver.slashCommand({ command: '/cloudphone', userId: 'U0ALICE', channelId: 'C0BACKUPS' });
    const [call] = await standIn.waitFor((s) => s.callsTo('views.open').length > 0 && s.callsTo('views.open'));
    expect(call?.response).toEqual({ ok: false, error: 'expired_trigger_id' });
  });
});
