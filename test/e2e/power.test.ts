/**
 * When the bot truly cannot start again a phone it stopped (the cloud refuses the start for good): the reply says so
 * at the top, to the requester, with "Start it now"; /healthz is degraded and lists the phone; /metrics counts it.
 * Pressing the button (with permission) or restarting the bot starts the phone, and all of that clears.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../src/blocks/ids.js';
import { completionMarker } from '../../src/slack/notifier.js';
import { inlineBackup, waitForReply } from '../support/backup-flows.js';
import { ADMIN, CHANNEL, type Harness, startHarness } from '../support/harness.js';
import { nextResponse } from '../support/restore-flows.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Health {
  ok: boolean;
  status: string;
  phonesLeftStopped: { instanceId: string; requestId: string; errorCode: string | null }[];
}

async function health(harness: Harness): Promise<{ status: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${harness.bot.opsPort}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

async function leftStoppedGauge(harness: Harness): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${harness.bot.opsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('cloudphone_bot_phones_left_stopped '));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** A backup of a running phone whose StartAndroidInstance the cloud refuses for good. */
async function backupThatLeavesAPhoneOff(harness: Harness) {
  harness.sim.setFaults({ refuse: { code: 'Forbidden.RAM', actions: ['StartAndroidInstance'] } });
  const instanceId = harness.instance('support-01');
  const requestId = await inlineBackup(harness, [instanceId]);
  const [reply] = await waitForReply(harness, requestId);
  return { instanceId, requestId, reply: reply! };
}

const status = (harness: Harness, id: string) => harness.sim.state.instances.get(id)!.status;

describe('a phone the bot could not start again', () => {
  it('is announced loudly atop the reply, shown on /healthz and /metrics, and started by "Start it now"', async () => {
    h = await startHarness();
    const { instanceId, requestId, reply } = await backupThatLeavesAPhoneOff(h);
    expect(status(h, instanceId)).toBe('STOPPED');

    // The top of the reply (after the bot's invisible marker): a header, the requester mentioned, the phone and why,
    // and the button.
    const marker = completionMarker(requestId);
    const shownBlocks = reply.blocks!.filter((b) => (b as { block_id?: string }).block_id !== marker);
    expect(shownBlocks[0]).toMatchObject({ type: 'header' });
    const top = JSON.stringify(shownBlocks.slice(0, 3));
    expect(top).toContain(`<@${ADMIN}>`);
    expect(top).toContain(instanceId);
    expect(top).toContain('Forbidden.RAM');
    expect(top).toContain(ACTION.startLeftPhones);
    expect(JSON.stringify(reply.blocks)).not.toContain('Finished');

    const degraded = await health(h);
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ ok: true, status: 'degraded' });
    expect(degraded.body.phonesLeftStopped).toEqual([
      expect.objectContaining({ instanceId, requestId, errorCode: 'Forbidden.RAM' }),
    ]);
    expect(await leftStoppedGauge(h)).toBe(1);

    // Someone who may not back up that phone cannot start it from the button; they are told so, privately.
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.startLeftPhones,
      userId: 'U0BOB',
    });
    const denial = await nextResponse(h, 'U0BOB', 0, 'the refusal to Bob');
    expect(denial.text).toContain("can't start these phones");
    expect(status(h, instanceId)).toBe('STOPPED');

    // The cloud lets starts through again; the requester presses the button.
    h.sim.setFaults({});
    await h.driver.clickButton({
      channel: CHANNEL,
      messageTs: reply.ts,
      actionId: ACTION.startLeftPhones,
      userId: ADMIN,
    });
    const answer = await nextResponse(h, ADMIN, 0, 'the answer to the button');
    expect(answer.text).toMatch(/Starting|Running again/);
    await expect.poll(() => status(h!, instanceId), { timeout: 10_000, interval: 50 }).toBe('RUNNING');
    // Seen running by the bot's sweep: nothing is owed, nothing reported.
    await expect.poll(async () => (await health(h!)).body.status, { timeout: 10_000, interval: 50 }).toBe('ok');
    expect(await leftStoppedGauge(h)).toBe(0);
    // Once the bot has seen it running, it owes it nothing.
    await expect.poll(() => h!.bot.repos.stoppedPhones.all(), { timeout: 10_000, interval: 50 }).toEqual([]);
  });

  it('is started when the bot starts again', async () => {
    h = await startHarness();
    const { instanceId } = await backupThatLeavesAPhoneOff(h);
    expect(h.bot.repos.stoppedPhones.left().map((p) => p.instanceId)).toEqual([instanceId]);
    h.sim.setFaults({});
    await h.restart();
    await expect.poll(() => status(h!, instanceId), { timeout: 10_000, interval: 50 }).toBe('RUNNING');
    await expect.poll(() => h!.bot.repos.stoppedPhones.all(), { timeout: 10_000, interval: 50 }).toEqual([]);
  });
});
