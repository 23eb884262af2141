/**
 * `/cloudphone audit --since` counts back from the bot's own clock, the one that stamps the entries: with that clock
 * set 400 days back, an entry from two hours earlier is left out and one from now is shown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('/cloudphone audit --since', () => {
  it('counts back from the clock the bot was given, not the machine’s', async () => {
    let behindMs = 400 * DAY_MS + 2 * HOUR_MS;
    harness = await startHarness({ clock: { now: () => Date.now() - behindMs } });
    const command = (text: string) =>
      harness?.driver.slashCommand({ command: '/cloudphone', text, userId: ADMIN, channelId: CHANNEL });

    await command('status');
    behindMs = 400 * DAY_MS;
    const res = await command('audit --since 1h --all');

    const shown = JSON.stringify(res?.body);
    expect(shown).toContain('Audit log: 1 entry');
    expect(shown).toContain('*audit*');
    expect(shown).not.toContain('*status*');
  });
});
