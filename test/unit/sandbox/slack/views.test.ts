import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../../../src/sandbox/slack/index.js';
import { callApi, fakeClock, modal, plain, section } from './support.js';

let standIn: SlackStandIn;
let clock: ReturnType<typeof fakeClock>;

beforeEach(async () => {
  clock = fakeClock();
  standIn = await startSlackStandIn({ now: clock.now, rateLimits: false });
});

afterEach(async () => {
  await standIn.close();
});

const textInput = {
  type: 'input',
  block_id: 'pkg',
  label: plain('Package'),
  element: { type: 'plain_text_input', action_id: 'name' },
};
const open = (trigger_id: string, view: unknown = modal([section('hi')])) =>
  callApi(standIn, 'views.open', { trigger_id, view });

describe('trigger_id', () => {
  it('opens a modal for the person the trigger was issued to', async () => {
    const trigger = standIn.issueTriggerId('U0BOB');
    expect(trigger).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);
    const res = await open(trigger, modal([section('hi')], { callback_id: 'cb', private_metadata: 'meta' }));
    expect(res.body).toMatchObject({
      ok: true,
      view: { type: 'modal', callback_id: 'cb', private_metadata: 'meta', team_id: 'T0SANDBOX', app_id: 'A0APP' },
    });
    expect(standIn.openViews('U0BOB').map((v) => v.callback_id)).toEqual(['cb']);
    expect(standIn.openViews('U0ALICE')).toEqual([]);
  });

  it('is single use', async () => {
    const trigger = standIn.issueTriggerId('U0ALICE');
    expect((await open(trigger)).body.ok).toBe(true);
    expect((await open(trigger)).body.error).toBe('exchanged_trigger_id');
  });

  it('is valid for 3 seconds by the injected clock', async () => {
    const fresh = standIn.issueTriggerId('U0ALICE');
    const late = standIn.issueTriggerId('U0ALICE');
    clock.advance(3000);
    expect((await open(fresh)).body.ok).toBe(true);
    clock.advance(1);
    expect((await open(late)).body.error).toBe('expired_trigger_id');
  });

  it('answers an unknown or missing trigger with invalid_arguments, as Slack documents', async () => {
    expect((await open('123.456.deadbeef')).body).toEqual({
      ok: false,
      error: 'invalid_arguments',
      response_metadata: { messages: ['invalid `trigger_id`'] },
    });
    expect((await callApi(standIn, 'views.open', { view: modal([]) })).body.error).toBe('invalid_arguments');
  });

  it('does not spend the trigger on a view Slack refuses', async () => {
    const trigger = standIn.issueTriggerId('U0ALICE');
    const bad = await open(trigger, modal([], { title: plain('x'.repeat(25)) }));
    expect(bad.body).toMatchObject({
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'] },
    });
    expect((await open(trigger)).body.ok).toBe(true);
  });
});

describe('view stack', () => {
  it('allows a root view plus two pushes, then push_limit_reached', async () => {
    expect((await open(standIn.issueTriggerId('U0ALICE'))).body.ok).toBe(true);
    for (const title of ['two', 'three']) {
      const res = await callApi(standIn, 'views.push', {
        trigger_id: standIn.issueTriggerId('U0ALICE'),
        view: modal([section(title)], { title: plain(title) }),
      });
      expect(res.body.ok).toBe(true);
    }
    const stack = standIn.openViews('U0ALICE');
    expect(stack).toHaveLength(3);
    expect(stack[2]?.root_view_id).toBe(stack[0]?.id);
    expect(stack[2]?.previous_view_id).toBe(stack[1]?.id);
    const fourth = await callApi(standIn, 'views.push', {
      trigger_id: standIn.issueTriggerId('U0ALICE'),
      view: modal([]),
    });
    expect(fourth.body.error).toBe('push_limit_reached');
  });

  it('refuses a push with nothing open', async () => {
    const res = await callApi(standIn, 'views.push', {
      trigger_id: standIn.issueTriggerId('U0ALICE'),
      view: modal([]),
    });
    expect(res.body.error).toBe('invalid_arguments');
  });
});

describe('views.update and views.publish', () => {
  it('updates by view_id or external_id, checks hash, keeps input state where ids match', async () => {
    const opened = await open(standIn.issueTriggerId('U0ALICE'), modal([textInput], { external_id: 'job-1' }));
    const view = opened.body.view as { id: string; hash: string };
    standIn.ui.setViewState(view.id, { pkg: { name: { type: 'plain_text_input', value: 'com.a' } } });

    const stale = await callApi(standIn, 'views.update', { view_id: view.id, hash: 'old', view: modal([textInput]) });
    expect(stale.body.error).toBe('hash_conflict');
    const updated = await callApi(standIn, 'views.update', {
      external_id: 'job-1',
      hash: view.hash,
      view: modal([textInput, section('Checking…')], { external_id: 'job-1' }),
    });
    expect(updated.body).toMatchObject({ ok: true, view: { id: view.id } });
    expect((updated.body.view as { hash: string }).hash).not.toBe(view.hash);
    expect(standIn.openViews('U0ALICE')[0]?.state.values).toEqual({
      pkg: { name: { type: 'plain_text_input', value: 'com.a' } },
    });
    expect((await callApi(standIn, 'views.update', { view_id: 'V0NOPE', view: modal([]) })).body.error).toBe(
      'not_found',
    );
  });

  it('enforces limits on updates too', async () => {
    const opened = await open(standIn.issueTriggerId('U0ALICE'));
    const id = (opened.body.view as { id: string }).id;
    const res = await callApi(standIn, 'views.update', {
      view_id: id,
      view: modal([], { private_metadata: 'x'.repeat(3001) }),
    });
    expect(res.body.error).toBe('invalid_arguments');
  });

  it('refuses a second view with the same external_id (duplicate_external_id)', async () => {
    await open(standIn.issueTriggerId('U0ALICE'), modal([], { external_id: 'dup' }));
    const res = await open(standIn.issueTriggerId('U0BOB'), modal([], { external_id: 'dup' }));
    expect(res.body.error).toBe('duplicate_external_id');
  });

  it('answers view_too_large for a view over 250 kB', async () => {
    const blocks = Array.from({ length: 100 }, () => section('x'.repeat(2600)));
    expect((await open(standIn.issueTriggerId('U0ALICE'), modal(blocks))).body.error).toBe('view_too_large');
  });

  it('publishes a Home tab per user and replaces it on republish', async () => {
    const home = (text: string) => ({ type: 'home', blocks: [section(text)] });
    const first = await callApi(standIn, 'views.publish', { user_id: 'U0ALICE', view: home('v1') });
    expect(first.body).toMatchObject({ ok: true, view: { type: 'home' } });
    await callApi(standIn, 'views.publish', { user_id: 'U0ALICE', view: home('v2') });
    expect(JSON.stringify(standIn.homeView('U0ALICE')?.blocks)).toContain('v2');
    expect(standIn.homeView('U0BOB')).toBeUndefined();
    expect((await callApi(standIn, 'views.publish', { user_id: 'U0ALICE', view: modal([]) })).body.error).toBe(
      'invalid_arguments',
    );
    expect((await callApi(standIn, 'views.publish', { user_id: 'U0NOPE', view: home('x') })).body.error).toBe(
      'user_not_found',
    );
  });

  it('holds a Home to Slack’s limits: 100 blocks, 3,000 characters of private_metadata, 250 kB', async () => {
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => section(`line ${i}`));
    const at100 = await callApi(standIn, 'views.publish', {
      user_id: 'U0ALICE',
      view: { type: 'home', blocks: blocks(100) },
    });
    expect(at100.body.ok).toBe(true);
    const at101 = await callApi(standIn, 'views.publish', {
      user_id: 'U0ALICE',
      view: { type: 'home', blocks: blocks(101) },
    });
    expect(at101.body.error).toBe('invalid_arguments');
    const metadata = { type: 'home', blocks: blocks(1), private_metadata: 'x'.repeat(3001) };
    expect((await callApi(standIn, 'views.publish', { user_id: 'U0ALICE', view: metadata })).body.error).toBe(
      'invalid_arguments',
    );
    const huge = { type: 'home', blocks: Array.from({ length: 90 }, () => section('x'.repeat(2900))) };
    expect((await callApi(standIn, 'views.publish', { user_id: 'U0ALICE', view: huge })).body.error).toBe(
      'view_too_large',
    );
    // The Home the person sees is still the last one Slack accepted.
    expect(standIn.homeView('U0ALICE')?.blocks).toHaveLength(100);
  });
});

describe('what Slack does with a view_submission answer', () => {
  async function openFor(user: string, view: unknown = modal([textInput], { callback_id: 'cb' })) {
    const res = await open(standIn.issueTriggerId(user), view);
    return (res.body.view as { id: string }).id;
  }

  it('an empty ack closes the view', async () => {
    const id = await openFor('U0ALICE');
    expect(standIn.ui.applyViewSubmissionAck(id, 200, '')).toEqual({ kind: 'closed' });
    expect(standIn.openViews('U0ALICE')).toEqual([]);
  });

  it('errors must be keyed by input block_ids', async () => {
    const id = await openFor('U0ALICE');
    const good = JSON.stringify({ response_action: 'errors', errors: { pkg: 'bad' } });
    expect(standIn.ui.applyViewSubmissionAck(id, 200, good)).toEqual({ kind: 'errors', errors: { pkg: 'bad' } });
    const wrong = JSON.stringify({ response_action: 'errors', errors: { nope: 'bad' } });
    expect(standIn.ui.applyViewSubmissionAck(id, 200, wrong).kind).toBe('rejected');
  });

  it('update and push views are validated like views.* calls', async () => {
    const id = await openFor('U0ALICE');
    const badUpdate = JSON.stringify({ response_action: 'update', view: modal([], { title: plain('x'.repeat(25)) }) });
    expect(standIn.ui.applyViewSubmissionAck(id, 200, badUpdate)).toMatchObject({
      kind: 'rejected',
      reason: 'invalid_arguments',
    });
    const push = JSON.stringify({ response_action: 'push', view: modal([section('next')]) });
    expect(standIn.ui.applyViewSubmissionAck(id, 200, push).kind).toBe('pushed');
    expect(standIn.ui.applyViewSubmissionAck(id, 200, push).kind).toBe('pushed');
    expect(standIn.ui.applyViewSubmissionAck(id, 200, push)).toMatchObject({ reason: 'push_limit_reached' });
    expect(standIn.ui.applyViewSubmissionAck(id, 200, JSON.stringify({ response_action: 'clear' }))).toEqual({
      kind: 'cleared',
    });
    expect(standIn.openViews('U0ALICE')).toEqual([]);
  });
});
