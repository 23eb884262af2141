import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../../../src/sandbox/slack/index.js';
import { callApi, fakeClock, section } from './support.js';

let standIn: SlackStandIn;
let clock: ReturnType<typeof fakeClock>;

beforeEach(async () => {
  clock = fakeClock();
  standIn = await startSlackStandIn({ now: clock.now, rateLimits: false });
});

afterEach(async () => {
  await standIn.close();
});

/** What Bolt 5's respond() sends: a JSON POST. */
async function respond(url: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('response_url', () => {
  it('posts an ephemeral reply by default and an in-channel one on request', async () => {
    const url = standIn.issueResponseUrl('C0BACKUPS', 'U0ALICE');
    expect(url).toMatch(new RegExp(`^${standIn.origin}/response/[0-9a-f]+$`));
    expect(await respond(url, { text: 'Only you can see this' })).toEqual({ status: 200, text: '{"ok":true}' });
    await respond(url, { text: 'Everyone sees this', response_type: 'in_channel' });
    expect(standIn.ephemerals('U0ALICE')).toMatchObject([{ text: 'Only you can see this', source: 'response_url' }]);
    expect(standIn.messages('C0BACKUPS')).toMatchObject([{ text: 'Everyone sees this', bot_id: 'B0BOT' }]);
    expect(standIn.responsePosts().map((p) => p.outcome)).toEqual(['posted_ephemeral', 'posted_in_channel']);
  });

  it('works 5 times, then answers 404 used_url', async () => {
    const url = standIn.issueResponseUrl('C0BACKUPS', 'U0ALICE');
    for (let i = 1; i <= 5; i += 1) expect((await respond(url, { text: `update ${i}` })).status).toBe(200);
    expect(await respond(url, { text: 'sixth' })).toEqual({ status: 404, text: 'used_url' });
    expect(standIn.ephemerals('U0ALICE')).toHaveLength(5);
  });

  it('expires 30 minutes after it was issued (404 expired_url)', async () => {
    const url = standIn.issueResponseUrl('C0BACKUPS', 'U0ALICE');
    clock.advance(30 * 60 * 1000);
    expect((await respond(url, { text: 'just in time' })).status).toBe(200);
    clock.advance(1);
    expect(await respond(url, { text: 'too late' })).toEqual({ status: 404, text: 'expired_url' });
  });

  it('refuses what Slack refuses: unknown token, non-JSON, empty or invalid content', async () => {
    const url = standIn.issueResponseUrl('C0BACKUPS', 'U0ALICE');
    expect((await respond(`${standIn.origin}/response/abc123`, { text: 'x' })).status).toBe(404);
    expect(await respond(url, { text: 'x' }, 'application/x-www-form-urlencoded')).toEqual({
      status: 400,
      text: 'invalid_payload',
    });
    expect(await respond(url, {})).toEqual({ status: 400, text: 'no_text' });
    expect(await respond(url, { blocks: [section('x'.repeat(3001))] })).toEqual({
      status: 400,
      text: 'invalid_blocks',
    });
    // Failed posts do not use up the URL.
    for (let i = 0; i < 5; i += 1) expect((await respond(url, { text: 'ok' })).status).toBe(200);
  });

  it('replace_original and delete_original act on the message whose button was clicked', async () => {
    const posted = await callApi(standIn, 'chat.postMessage', { channel: 'C0BACKUPS', text: 'Restore? [Yes] [No]' });
    const ts = String(posted.body.ts);
    const url = standIn.issueResponseUrl('C0BACKUPS', 'U0ALICE', { messageTs: ts });
    await respond(url, { replace_original: true, text: 'Restoring…' });
    expect(standIn.message('C0BACKUPS', ts)?.text).toBe('Restoring…');
    await respond(url, { delete_original: true });
    expect(standIn.message('C0BACKUPS', ts)).toBeUndefined();
  });

  it('replace_original on an ephemeral original replaces it for that person', async () => {
    const eph = await callApi(standIn, 'chat.postEphemeral', { channel: 'C0BACKUPS', user: 'U0BOB', text: 'Sure?' });
    const url = standIn.issueResponseUrl('C0BACKUPS', 'U0BOB', {
      messageTs: String(eph.body.message_ts),
      ephemeral: true,
    });
    await respond(url, { replace_original: true, text: 'Done' });
    expect(standIn.ephemerals('U0BOB').map((e) => e.text)).toEqual(['Done']);
    await respond(url, { delete_original: true });
    expect(standIn.ephemerals('U0BOB')).toEqual([]);
  });
});
