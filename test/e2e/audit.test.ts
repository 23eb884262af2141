/**
 * `/cloudphone audit` as help and the README show it, with the exact text Slack sends: with `should_escape: true` a
 * picked person arrives as `<@U…|name>`; a handle Slack did not recognise arrives as plain `@name` and is looked up in
 * Slack's directory (users.list, every page).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const shown = (message: { text?: string; blocks?: unknown }) =>
  `${message.text ?? ''}\n${JSON.stringify(message.blocks ?? [])}`;

/** Bob is denied a backup (he is no admin): one entry in the audit log under his id. */
async function bobIsDenied(harness: Harness) {
  await harness.driver.slashCommand({
    command: '/cloudphone',
    text: `backup ${harness.instance('support-02')} --apps com.tencent.mm`,
    userId: 'U0BOB',
    channelId: CHANNEL,
  });
}

async function audit(harness: Harness, text: string) {
  const res = await harness.driver.slashCommand({ command: '/cloudphone', text, userId: ADMIN, channelId: CHANNEL });
  expect(res.status).toBe(200);
  return res;
}

/** 450 more people, so users.list takes three pages of 200 before it reaches the last ones. */
const crowd = Array.from({ length: 450 }, (_, i) => ({ id: `U1CROWD${i}`, name: `person${i}` }));

describe('/cloudphone audit, as Slack sends it', () => {
  it('reads an escaped mention with --since 7d', async () => {
    h = await startHarness();
    await bobIsDenied(h);
    const res = await audit(h, 'audit <@U0BOB|bob> --since 7d');
    const text = shown(res.body as never);
    expect(text).toContain('Audit log: 1 entry');
    expect(text).toContain('<@U0BOB>');
    expect(text).toContain('denied');
  });

  it('resolves a plain @handle through users.list, reading every page', async () => {
    h = await startHarness({
      slack: {
        users: [
          { id: 'U0ALICE', name: 'alice', realName: 'Alice Admin', isAdmin: true },
          ...crowd,
          { id: 'U0BOB', name: 'bob', realName: 'Bob Builder' },
          { id: 'U0CAROL', name: 'carol', realName: 'Carol Contractor' },
        ],
      },
    });
    await bobIsDenied(h);
    const res = await audit(h, 'audit @bob --since 7d');
    expect(shown(res.body as never)).toContain('Looking up');
    const answer = await h.slack.waitFor((s) => s.ephemerals(ADMIN).find((e) => e.text.startsWith('Audit log')), {
      timeoutMs: 5_000,
      description: 'the audit answer',
    });
    expect(shown(answer)).toContain('<@U0BOB>');
    expect(shown(answer)).toContain('denied');
    // The loading line was replaced, not followed.
    expect(h.slack.ephemerals(ADMIN).filter((e) => e.text.includes('Looking up'))).toHaveLength(0);
    expect(h.slack.callsTo('users.list').length).toBeGreaterThanOrEqual(3);
  });

  it('says plainly when a handle names nobody', async () => {
    h = await startHarness();
    await audit(h, 'audit @nobody-here');
    const answer = await h.slack.waitFor(
      (s) => s.ephemerals(ADMIN).find((e) => e.text.includes('Nobody in this workspace')),
      { timeoutMs: 5_000, description: 'the unknown-handle answer' },
    );
    expect(shown(answer)).toContain('@nobody-here');
  });
});
