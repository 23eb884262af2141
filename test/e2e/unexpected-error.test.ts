/**
 * A listener that throws something nobody expected: the person is told a reference id they can give an admin, and
 * the bot's log line for the error carries the same id (and no stack trace reaches Slack).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { waitUntil } from '../support/wait-until.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('an unexpected error in a listener', () => {
  it('gives the person a reference that the log line carries too', async () => {
    const logLines: string[] = [];
    harness = await startHarness({ logLines });
    const h = harness;
    // A fault nobody planned for: the access check itself breaks, before the command is acknowledged.
    h.bot.services.guard.check = async () => {
      throw new Error('disk I/O error while reading the policy');
    };

    await h.driver.slashCommand({ command: '/cloudphone', text: 'status', userId: ADMIN, channelId: CHANNEL });

    const told = await waitUntil(() => h.slack.ephemerals(ADMIN).find((e) => e.text.includes('reference')), {
      timeoutMs: 5_000,
      description: 'the person told about the error',
    });
    const reference = /reference: `([0-9a-f]+)`/.exec(told.text)?.[1];
    expect(reference).toMatch(/^[0-9a-f]{8}$/);
    expect(told.text).not.toContain('disk I/O error');
    const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.reference === reference);
    expect(logged).toMatchObject({ level: 'error', msg: 'unhandled error in a Slack listener' });
    expect(JSON.stringify(logged)).toContain('disk I/O error');
  });
});
