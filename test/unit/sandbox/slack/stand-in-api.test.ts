import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../../../src/sandbox/slack/index.js';
import { button, callApi, fakeClock, section } from './support.js';

let standIn: SlackStandIn;
let clock: ReturnType<typeof fakeClock>;

beforeEach(async () => {
  clock = fakeClock();
  // Rate limits have their own tests; here they would only couple unrelated assertions.
  standIn = await startSlackStandIn({ now: clock.now, rateLimits: false });
});

afterEach(async () => {
  await standIn.close();
});

const post = (args: Record<string, unknown>) => callApi(standIn, 'chat.postMessage', args);

describe('authentication and transport', () => {
  it('answers not_authed without a token and invalid_auth with a wrong one, HTTP 200 like Slack', async () => {
    const none = await callApi(standIn, 'auth.test', {}, { token: null });
    expect(none).toMatchObject({ status: 200, body: { ok: false, error: 'not_authed' } });
    const wrong = await callApi(standIn, 'auth.test', {}, { token: 'xoxb-wrong' });
    expect(wrong.body).toEqual({ ok: false, error: 'invalid_auth' });
  });

  it('accepts the token as a form field, as Slack does', async () => {
    const res = await callApi(standIn, 'auth.test', { token: standIn.botToken }, { token: null });
    expect(res.body).toMatchObject({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0SANDBOX' });
  });

  it('answers unknown_method for methods it does not implement', async () => {
    expect((await callApi(standIn, 'chat.scheduleMessage', {})).body).toMatchObject({ error: 'unknown_method' });
  });

  it('accepts JSON bodies with blocks as arrays', async () => {
    const res = await callApi(
      standIn,
      'chat.postMessage',
      { channel: 'C0BACKUPS', blocks: [section('hi')] },
      { json: true },
    );
    expect(res.body.ok).toBe(true);
  });

  it('logs every call with its arguments (token removed) and answer', async () => {
    // The Authorization header wins over a token field; the field is still kept out of the log.
    await post({ channel: 'C0BACKUPS', text: 'hello', token: 'not-logged' });
    const [call] = standIn.callsTo('chat.postMessage');
    expect(call?.args).toEqual({ channel: 'C0BACKUPS', text: 'hello' });
    expect(call?.at).toBe(clock.now());
    expect(call).toMatchObject({ status: 200, response: { ok: true, channel: 'C0BACKUPS' } });
  });
});

describe('chat.postMessage', () => {
  it('returns channel, ts and message; ts values are unique and increasing even with a frozen clock', async () => {
    const a = await post({ channel: 'C0BACKUPS', text: 'one' });
    const b = await post({ channel: 'C0BACKUPS', text: 'two' });
    expect(a.body).toMatchObject({ ok: true, channel: 'C0BACKUPS', ts: '1700000000.000000' });
    expect(b.body.ts).toBe('1700000000.000001');
    expect(a.body.message).toMatchObject({ text: 'one', bot_id: 'B0BOT', user: 'U0BOT', type: 'message' });
    expect(standIn.messages('C0BACKUPS').map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('refuses channels it cannot post to', async () => {
    expect((await post({ channel: 'C0NOPE', text: 'x' })).body.error).toBe('channel_not_found');
    expect((await post({ text: 'x' })).body.error).toBe('channel_not_found');
    expect((await post({ channel: 'C0RANDOM', text: 'x' })).body.error).toBe('not_in_channel');
    standIn.removeBotFromChannel('C0BACKUPS');
    expect((await post({ channel: 'C0BACKUPS', text: 'x' })).body.error).toBe('not_in_channel');
    standIn.addBotToChannel('C0BACKUPS');
    standIn.archiveChannel('C0BACKUPS');
    expect((await post({ channel: 'C0BACKUPS', text: 'x' })).body.error).toBe('is_archived');
    expect(standIn.messages('C0BACKUPS')).toEqual([]);
  });

  it('hides private channels the bot is not in (channel_not_found)', async () => {
    standIn.addChannel({ id: 'G0SECRET', name: 'secret', members: ['U0ALICE'], isPrivate: true, botIsMember: false });
    expect((await post({ channel: 'G0SECRET', text: 'x' })).body.error).toBe('channel_not_found');
  });

  it('resolves channel names and user ids (to the DM) like Slack', async () => {
    expect((await post({ channel: '#backups', text: 'x' })).body.channel).toBe('C0BACKUPS');
    expect((await post({ channel: 'U0ALICE', text: 'x' })).body.channel).toBe('D0ALICE');
    expect((await post({ channel: 'U0BOB', text: 'x' })).body.channel).toMatch(/^D/);
  });

  it('needs text, blocks or attachments (no_text)', async () => {
    expect((await post({ channel: 'C0BACKUPS' })).body.error).toBe('no_text');
    expect((await post({ channel: 'C0BACKUPS', blocks: [] })).body.error).toBe('no_text');
    expect((await post({ channel: 'C0BACKUPS', blocks: [section('b')] })).body.ok).toBe(true);
  });

  it('refuses text over 40,000 characters with msg_too_long', async () => {
    expect((await post({ channel: 'C0BACKUPS', text: 'x'.repeat(40_000) })).body.ok).toBe(true);
    expect((await post({ channel: 'C0BACKUPS', text: 'x'.repeat(40_001) })).body.error).toBe('msg_too_long');
  });

  it('refuses more than 100 attachments with too_many_attachments', async () => {
    const attachments = (n: number) => Array.from({ length: n }, () => ({ text: 'a' }));
    expect((await post({ channel: 'C0BACKUPS', attachments: attachments(100) })).body.ok).toBe(true);
    expect((await post({ channel: 'C0BACKUPS', attachments: attachments(101) })).body.error).toBe(
      'too_many_attachments',
    );
  });

  it('reports block problems with response_metadata.messages and JSON pointers', async () => {
    const res = await post({ channel: 'C0BACKUPS', text: 't', blocks: [section('x'.repeat(3001))] });
    expect(res.body).toEqual({
      ok: false,
      error: 'invalid_blocks',
      response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] },
    });
  });

  it('refuses a blocks field that is not valid JSON with invalid_blocks_format', async () => {
    const res = await post({ channel: 'C0BACKUPS', text: 't', blocks: '[{"type":"section"' });
    expect(res.body.error).toBe('invalid_blocks_format');
  });

  it('refuses the undocumented aggregate of ~13k block text with msg_blocks_too_long', async () => {
    const blocks = Array.from({ length: 5 }, () => section('x'.repeat(2700)));
    expect((await post({ channel: 'C0BACKUPS', text: 't', blocks })).body.error).toBe('msg_blocks_too_long');
    expect((await post({ channel: 'C0BACKUPS', text: 't', blocks: blocks.slice(0, 4) })).body.ok).toBe(true);
  });

  it('fills in missing block_id and action_id, as Slack does', async () => {
    await post({ channel: 'C0BACKUPS', text: 't', blocks: [{ type: 'actions', elements: [button('Go')] }] });
    const [message] = standIn.messages('C0BACKUPS');
    const block = message?.blocks?.[0] as { block_id: string; elements: { action_id: string }[] };
    expect(block.block_id).toMatch(/^\S{5}$/);
    expect(block.elements[0]?.action_id).toMatch(/^\S{5}$/);
  });
});

describe('threads', () => {
  it('posts replies under the parent and reads them back with conversations.replies', async () => {
    const parent = await post({ channel: 'C0BACKUPS', text: 'Backup started' });
    const parentTs = String(parent.body.ts);
    const reply = await post({ channel: 'C0BACKUPS', text: 'Done', thread_ts: parentTs });
    expect(reply.body.message).toMatchObject({ thread_ts: parentTs });
    expect(standIn.threadReplies('C0BACKUPS', parentTs).map((m) => m.text)).toEqual(['Done']);
    expect(standIn.messages('C0BACKUPS', { topLevelOnly: true }).map((m) => m.text)).toEqual(['Backup started']);

    const read = await callApi(standIn, 'conversations.replies', { channel: 'C0BACKUPS', ts: parentTs });
    const messages = read.body.messages as Record<string, unknown>[];
    expect(messages.map((m) => m.text)).toEqual(['Backup started', 'Done']);
    expect(messages[0]).toMatchObject({ reply_count: 1, latest_reply: reply.body.ts, thread_ts: parentTs });
  });

  it('refuses a thread_ts with no message behind it (thread_not_found) or a malformed one (invalid_thread_ts)', async () => {
    expect((await post({ channel: 'C0BACKUPS', text: 'x', thread_ts: '1700000000.999999' })).body.error).toBe(
      'thread_not_found',
    );
    const malformed = await post({ channel: 'C0BACKUPS', text: 'x', thread_ts: '0' });
    expect(malformed.body).toMatchObject({
      error: 'invalid_thread_ts',
      response_metadata: { messages: ['[ERROR] 0 is not a valid thread_ts'] },
    });
  });

  it('does not find a parent from another channel', async () => {
    const parent = await post({ channel: 'C0GENERAL', text: 'elsewhere' });
    const res = await post({ channel: 'C0BACKUPS', text: 'x', thread_ts: parent.body.ts });
    expect(res.body.error).toBe('thread_not_found');
  });

  it('files a reply to a reply in the parent thread', async () => {
    const parent = String((await post({ channel: 'C0BACKUPS', text: 'p' })).body.ts);
    const first = String((await post({ channel: 'C0BACKUPS', text: 'r1', thread_ts: parent })).body.ts);
    const second = await post({ channel: 'C0BACKUPS', text: 'r2', thread_ts: first });
    expect(second.body.message).toMatchObject({ thread_ts: parent });
    expect(standIn.threadReplies('C0BACKUPS', parent).map((m) => m.text)).toEqual(['r1', 'r2']);
  });

  it('marks reply_broadcast replies as thread_broadcast and shows them top level', async () => {
    const parent = String((await post({ channel: 'C0BACKUPS', text: 'p' })).body.ts);
    await post({ channel: 'C0BACKUPS', text: 'failed!', thread_ts: parent, reply_broadcast: true });
    expect(standIn.messages('C0BACKUPS', { topLevelOnly: true }).map((m) => m.text)).toEqual(['p', 'failed!']);
    expect(standIn.threadReplies('C0BACKUPS', parent)[0]?.subtype).toBe('thread_broadcast');
  });

  it('conversations.replies: thread_not_found for an unknown ts, pagination with cursors', async () => {
    expect((await callApi(standIn, 'conversations.replies', { channel: 'C0BACKUPS', ts: '1.000000' })).body.error).toBe(
      'thread_not_found',
    );
    const parent = String((await post({ channel: 'C0BACKUPS', text: 'p' })).body.ts);
    for (const t of ['a', 'b', 'c']) await post({ channel: 'C0BACKUPS', text: t, thread_ts: parent });
    const page1 = await callApi(standIn, 'conversations.replies', { channel: 'C0BACKUPS', ts: parent, limit: 2 });
    expect((page1.body.messages as { text: string }[]).map((m) => m.text)).toEqual(['p', 'a']);
    expect(page1.body.has_more).toBe(true);
    const cursor = (page1.body.response_metadata as { next_cursor: string }).next_cursor;
    const page2 = await callApi(standIn, 'conversations.replies', {
      channel: 'C0BACKUPS',
      ts: parent,
      limit: 2,
      cursor,
    });
    expect((page2.body.messages as { text: string }[]).map((m) => m.text)).toEqual(['b', 'c']);
  });
});

describe('chat.update', () => {
  it('edits the bot’s message in place; omitted fields are kept, an empty blocks array removes them', async () => {
    const ts = String((await post({ channel: 'C0BACKUPS', text: 'Backup started', blocks: [section('⏳')] })).body.ts);
    const res = await callApi(standIn, 'chat.update', { channel: 'C0BACKUPS', ts, text: 'Backup done' });
    expect(res.body).toMatchObject({ ok: true, channel: 'C0BACKUPS', ts, text: 'Backup done' });
    expect(standIn.message('C0BACKUPS', ts)).toMatchObject({ text: 'Backup done', blocks: [{ type: 'section' }] });
    expect(standIn.message('C0BACKUPS', ts)?.edited?.user).toBe('U0BOT');
    await callApi(standIn, 'chat.update', { channel: 'C0BACKUPS', ts, blocks: [] });
    expect(standIn.message('C0BACKUPS', ts)?.blocks).toBeUndefined();
    expect(standIn.messages('C0BACKUPS')).toHaveLength(1);
  });

  it('answers message_not_found, cant_update_message and channel_not_found', async () => {
    const update = (args: Record<string, unknown>) => callApi(standIn, 'chat.update', { text: 'x', ...args });
    expect((await update({ channel: 'C0BACKUPS', ts: '1700000000.123456' })).body.error).toBe('message_not_found');
    const human = standIn.postUserMessage('C0BACKUPS', 'U0ALICE', 'hello');
    expect((await update({ channel: 'C0BACKUPS', ts: human })).body.error).toBe('cant_update_message');
    expect((await update({ channel: 'C0NOPE', ts: human })).body.error).toBe('channel_not_found');
  });

  it('applies the same content limits as posting', async () => {
    const ts = String((await post({ channel: 'C0BACKUPS', text: 'x' })).body.ts);
    const res = await callApi(standIn, 'chat.update', { channel: 'C0BACKUPS', ts, text: 'x'.repeat(40_001) });
    expect(res.body.error).toBe('msg_too_long');
    const bad = await callApi(standIn, 'chat.update', { channel: 'C0BACKUPS', ts, blocks: [{ type: 'header' }] });
    expect(bad.body.error).toBe('invalid_blocks');
  });
});

describe('other methods', () => {
  it('chat.postEphemeral shows a message to one channel member only', async () => {
    const ok = await callApi(standIn, 'chat.postEphemeral', { channel: 'C0BACKUPS', user: 'U0BOB', text: 'only you' });
    expect(ok.body).toMatchObject({ ok: true, message_ts: expect.any(String) });
    expect(standIn.ephemerals('U0BOB').map((e) => e.text)).toEqual(['only you']);
    expect(standIn.messages('C0BACKUPS')).toEqual([]);
    const outsider = await callApi(standIn, 'chat.postEphemeral', { channel: 'C0BACKUPS', user: 'U0CAROL', text: 'x' });
    expect(outsider.body.error).toBe('user_not_in_channel');
    const nobody = await callApi(standIn, 'chat.postEphemeral', { channel: 'C0BACKUPS', user: 'U0NOBODY', text: 'x' });
    expect(nobody.body.error).toBe('user_not_found');
  });

  it('chat.getPermalink links top-level messages and replies', async () => {
    const parent = String((await post({ channel: 'C0BACKUPS', text: 'p' })).body.ts);
    const reply = String((await post({ channel: 'C0BACKUPS', text: 'r', thread_ts: parent })).body.ts);
    const link = await callApi(standIn, 'chat.getPermalink', { channel: 'C0BACKUPS', message_ts: parent });
    expect(link.body.permalink).toBe(`https://sandbox.slack.com/archives/C0BACKUPS/p${parent.replace('.', '')}`);
    const replyLink = await callApi(standIn, 'chat.getPermalink', { channel: 'C0BACKUPS', message_ts: reply });
    expect(replyLink.body.permalink).toContain(`?thread_ts=${parent}&cid=C0BACKUPS`);
    const missing = await callApi(standIn, 'chat.getPermalink', { channel: 'C0BACKUPS', message_ts: '1.000000' });
    expect(missing.body.error).toBe('message_not_found');
  });

  it('conversations.info and conversations.members reflect membership, including changes at runtime', async () => {
    const info = await callApi(standIn, 'conversations.info', { channel: 'C0BACKUPS' });
    expect(info.body.channel).toMatchObject({ id: 'C0BACKUPS', name: 'backups', is_member: true, is_private: false });
    const dm = await callApi(standIn, 'conversations.info', { channel: 'D0ALICE' });
    expect(dm.body.channel).toMatchObject({ is_im: true, user: 'U0ALICE' });
    const members = await callApi(standIn, 'conversations.members', { channel: 'C0BACKUPS' });
    expect(members.body.members).toEqual(['U0ALICE', 'U0BOB', 'U0BOT']);
    standIn.setChannelMembers('C0BACKUPS', ['U0CAROL']);
    expect((await callApi(standIn, 'conversations.members', { channel: 'C0BACKUPS' })).body.members).toEqual([
      'U0CAROL',
      'U0BOT',
    ]);
    expect((await callApi(standIn, 'conversations.info', { channel: 'C0NOPE' })).body.error).toBe('channel_not_found');
    expect((await callApi(standIn, 'conversations.members', { channel: 'C0RANDOM' })).body.error).toBe(
      'not_in_channel',
    );
  });

  it('users.info returns the profile or user_not_found', async () => {
    const res = await callApi(standIn, 'users.info', { user: 'U0ALICE' });
    expect(res.body.user).toMatchObject({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Admin', is_bot: false });
    expect((await callApi(standIn, 'users.info', { user: 'U0NOPE' })).body.error).toBe('user_not_found');
  });

  it('usergroups.users.list returns members, follows runtime changes, and refuses unknown groups', async () => {
    expect((await callApi(standIn, 'usergroups.users.list', { usergroup: 'S0OPS' })).body).toMatchObject({
      ok: true,
      users: ['U0ALICE'],
    });
    standIn.setUserGroupMembers('ops', ['U0ALICE', 'U0BOB']);
    expect((await callApi(standIn, 'usergroups.users.list', { usergroup: 'S0OPS' })).body.users).toEqual([
      'U0ALICE',
      'U0BOB',
    ]);
    expect((await callApi(standIn, 'usergroups.users.list', { usergroup: 'S0NOPE' })).body.error).toBe(
      'no_such_subteam',
    );
  });

  it('files.uploadV2 through the real WebClient shares the file in a thread', async () => {
    const client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } });
    const parent = await client.chat.postMessage({ channel: 'C0BACKUPS', text: 'Backup done' });
    await client.filesUploadV2({
      channel_id: 'C0BACKUPS',
      thread_ts: parent.ts as string,
      file: Buffer.from('manifest contents'),
      filename: 'manifest.json',
    });
    const [file] = standIn.files();
    expect(file).toMatchObject({ name: 'manifest.json', length: 17, uploaded: { bytes: 17 } });
    const [reply] = standIn.threadReplies('C0BACKUPS', parent.ts as string);
    expect(reply?.files?.[0]?.id).toBe(file?.id);
  });

  it('files.completeUploadExternal refuses a file whose bytes never arrived', async () => {
    const url = await callApi(standIn, 'files.getUploadURLExternal', { filename: 'a.txt', length: 3 });
    const res = await callApi(standIn, 'files.completeUploadExternal', { files: [{ id: url.body.file_id }] });
    expect(res.body.error).toBe('file_not_found');
  });
});

describe('waitFor', () => {
  it('resolves on the state change that satisfies it, without polling', async () => {
    const waiting = standIn.waitFor((s) => s.messages('C0BACKUPS').find((m) => m.text === 'done'));
    await post({ channel: 'C0BACKUPS', text: 'working' });
    await post({ channel: 'C0BACKUPS', text: 'done' });
    expect((await waiting).text).toBe('done');
  });

  it('rejects after the timeout with the description', async () => {
    await expect(standIn.waitFor(() => false, { timeoutMs: 20, description: 'a message' })).rejects.toThrow(
      'waitFor timed out after 20 ms: a message',
    );
  });
});
