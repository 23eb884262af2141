/**
 * What a person does in Slack for restores, the catalog and deletions, as steps e2e tests share. Built on the
 * harness (the real bot against the simulator and the Slack stand-in); every step waits for what a person would see.
 */
import { expect } from 'vitest';
import { ACTION, BLOCK, CALLBACK } from '../../src/blocks/ids.js';
import type { ViewObject } from '../../src/sandbox/slack/state.js';
import { ADMIN, CHANNEL, type Harness } from './harness.js';
import { waitUntil } from './wait-until.js';

export const COMMAND = '/cloudphone';

/** Everything a view or message shows, as one string (for "does it say…" assertions). */
export function shown(value: unknown): string {
  return JSON.stringify(value);
}

/** The person's top view once it has this callback_id. */
export async function topView(h: Harness, callbackId: string, user = ADMIN, timeoutMs = 10_000): Promise<ViewObject> {
  return waitUntil(
    () => {
      const top = h.slack.openViews(user).at(-1);
      return top?.callback_id === callbackId ? top : undefined;
    },
    { timeoutMs, description: `a ${callbackId} view for ${user}` },
  );
}

/** Runs a slash command and checks that the bot answered within Slack's 3 seconds. */
export async function command(h: Harness, text: string, user = ADMIN, channel = CHANNEL) {
  const res = await h.driver.slashCommand({ command: COMMAND, text, userId: user, channelId: channel });
  expect(res.status).toBe(200);
  if (!res.withinAckBudget) console.warn(`slow ack: ${text} took ${Math.round(res.elapsedMs)} ms`);
  return res;
}

/** The ephemeral messages a person got through response_urls (the answers after the ack), newest last. */
export async function nextResponse(h: Harness, user: string, after: number, description: string) {
  return waitUntil(
    () => {
      const list = h.slack.ephemerals(user).filter((e) => e.source === 'response_url');
      return list.length > after ? list[list.length - 1] : undefined;
    },
    { timeoutMs: 10_000, description },
  );
}

/**
 * A command that answers at once with a loading line (`backups`, `status`): checks the ack carried that line, then
 * resolves to the ephemeral answer that replaced it (one message for the command: the loading line is not left over).
 */
export async function loadedAnswer(h: Harness, text: string, user = ADMIN, channel = CHANNEL) {
  const before = h.slack.ephemerals(user).length;
  const res = await command(h, text, user, channel);
  expect(JSON.stringify(res.body)).toContain('⏳');
  const answer = await waitUntil(
    () => {
      const list = h.slack.ephemerals(user);
      const last = list.length > before ? list[list.length - 1] : undefined;
      return last && !last.text.startsWith('⏳') ? last : undefined;
    },
    { timeoutMs: 10_000, description: `the answer to ${text}` },
  );
  expect(h.slack.ephemerals(user).slice(before)).toEqual([answer]);
  return answer;
}

export function responseCount(h: Harness, user = ADMIN): number {
  return h.slack.ephemerals(user).filter((e) => e.source === 'response_url').length;
}

/**
 * A backup made by the bot (inline command) of a stopped instance; resolves to its backup file id once the
 * threaded completion reply is posted.
 */
export async function botBackup(h: Harness, instanceName: string, apps: string[]): Promise<string> {
  const id = h.instance(instanceName);
  const before = h.slack.messages(CHANNEL, { topLevelOnly: true }).length;
  await command(h, `backup ${id} --apps ${apps.join(',')} --path oss://cloudphone-saved-bucket-e2e/backups/`);
  await waitUntil(
    () => {
      const parent = h.slack.messages(CHANNEL, { topLevelOnly: true })[before];
      return parent ? h.slack.threadReplies(CHANNEL, parent.ts)[0] : undefined;
    },
    { timeoutMs: 15_000, description: `the backup reply for ${instanceName}` },
  );
  const files = [...h.sim.state.backupFiles.values()].filter((f) => f.instanceId === id && f.status === 'AVAILABLE');
  const file = files.at(-1);
  if (!file) throw new Error(`no backup file of ${instanceName}`);
  return file.id;
}

/** `/cloudphone restore bf-…`, then the form once the catalog is in. */
export async function openRestoreForm(h: Harness, backupFileId?: string, user = ADMIN): Promise<ViewObject> {
  await command(h, `restore${backupFileId ? ` ${backupFileId}` : ''}`, user);
  return topView(h, CALLBACK.restoreForm, user);
}

/** Fills in the targets (and the backup, when given) and submits; resolves to the confirmation (or a notice). */
export async function checkTargets(
  h: Harness,
  form: ViewObject,
  targets: string[],
  options: { backupFileId?: string; user?: string } = {},
) {
  const user = options.user ?? ADMIN;
  const values: Record<string, Record<string, string>> = {
    [BLOCK.restoreTargets]: { [ACTION.restoreTargets]: targets.join('\n') },
  };
  if (options.backupFileId) values[BLOCK.restoreBackup] = { [ACTION.restoreBackup]: options.backupFileId };
  const submitted = await h.driver.submitView({ viewId: form.id, values, userId: user });
  return { submitted, confirmation: submitted.outcome.kind === 'errors' ? undefined : await settled(h, form.id, user) };
}

/** The modal once the bot replaced its "checking…" view. */
async function settled(h: Harness, viewId: string, user: string): Promise<ViewObject> {
  return waitUntil(
    () => {
      const view = h.slack.view(viewId)?.view;
      return view && view.callback_id !== CALLBACK.restoreChecking ? view : undefined;
    },
    { timeoutMs: 10_000, description: `the restore confirmation for ${user}` },
  );
}

/**
 * A bot-made backup of WeChat on support-02, restored onto support-01 (compatible) and confirmed: the restore is
 * recorded and the runner has it.
 */
export async function confirmRestore(h: Harness): Promise<{ backupFileId: string; target: string }> {
  const backupFileId = await botBackup(h, 'support-02', ['com.tencent.mm']);
  const target = h.instance('support-01');
  const form = await openRestoreForm(h, backupFileId);
  const { confirmation } = await checkTargets(h, form, [target]);
  await h.driver.submitView({ viewId: confirmation!.id });
  return { backupFileId, target };
}

/** The restore's channel message and its threaded completion reply. */
export async function restoreReply(h: Harness, timeoutMs = 20_000) {
  return waitUntil(
    () => {
      for (const parent of h.slack.messages(CHANNEL, { topLevelOnly: true })) {
        if (!parent.text.includes('asked to restore')) continue;
        const reply = h.slack
          .threadReplies(CHANNEL, parent.ts)
          .find((m) => shown(m.blocks).includes('restore-completion:'));
        if (reply) return { parent, reply };
      }
      return undefined;
    },
    { timeoutMs, description: 'the restore completion reply' },
  );
}

/** Every line of mrkdwn a message shows, in order. */
function linesOf(message: { blocks?: unknown[] }): string[] {
  const texts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') texts.push(record.text);
      else Object.values(record).forEach(visit);
    }
  };
  visit(message.blocks);
  return texts.flatMap((text) => text.split('\n'));
}

/**
 * The line a person reads about one target in a restore's message (✅ restored, 🚫 not restored: …, ❌ failed: …).
 * The threaded reply names only the targets that were not restored; `parentTargetLine` reads the others.
 */
export function targetLine(reply: { blocks?: unknown[] }, instanceId: string): string {
  const line = linesOf(reply).find((l) => l.includes(instanceId));
  if (!line) throw new Error(`the reply says nothing about ${instanceId}`);
  return line;
}

/**
 * The line about one target in the restore's channel message, which lists every target, once that line shows an
 * outcome: the message is updated in place, and its last update may land after the threaded reply.
 */
export async function parentTargetLine(h: Harness, parentTs: string, instanceId: string): Promise<string> {
  return waitUntil(
    () => {
      const parent = h.slack.message(CHANNEL, parentTs);
      const line = parent ? linesOf(parent).find((l) => l.includes(instanceId)) : undefined;
      return line !== undefined && !line.startsWith('⏳') ? line : undefined;
    },
    { timeoutMs: 10_000, description: `the restore message's outcome line about ${instanceId}` },
  );
}

/** The restore's request id, as its completion reply names it. */
export function restoreIdOf(reply: { blocks?: unknown[] }): string {
  const id = /restore-completion:(req-[\w-]+)/.exec(shown(reply.blocks))?.[1];
  if (!id) throw new Error('not a restore completion reply');
  return id;
}

/** RecoverApp calls the simulator received, with their target lists. */
export function recoverCalls(h: Harness): { targets: string[]; status: number }[] {
  return h.sim.requests
    .filter((r) => r.action === 'RecoverApp')
    .map((r) => ({
      status: r.status,
      targets: Object.entries(r.params)
        .filter(([key]) => key.startsWith('AndroidInstanceIdList.'))
        .map(([, value]) => value),
    }));
}
