/**
 * `npm run demo`: the real bot (startBot: Bolt's HTTP receiver, a SQLite file in a temporary folder, the runner) with
 * CLOUDPHONE_SIMULATOR on, a local Slack stand-in, and a driver that does what Slack does when a person types
 * `/cloudphone backup …` and fills in the modal. Prints the conversation as that person would see it, checks that it
 * is right, and exits 0; anything wrong, or taking longer than the time limit, exits 1 with the reason.
 * Nothing leaves the machine and nothing is read from the environment: it runs the same on every clone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { destination } from 'pino';
import { ACTION, BLOCK, BOT_DISPLAY_NAME, COMMAND, OPTION } from '../blocks/ids.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { type RunningBot, startBot } from '../main.js';
import type { Simulator, Timing } from './simulator/index.js';
import { createSlackDriver, type SlackStandIn, type StoredMessage, startSlackStandIn } from './slack/index.js';
import { indent, messageLines, type Names } from './transcript.js';

/** Quick enough to watch, slow enough that the message visibly moves through its states. */
export const DEMO_TIMING: Partial<Timing> = {
  stopMs: 1_500,
  startMs: 1_500,
  taskWaitMs: 300,
  taskProcessMs: 200,
  backupMs: 2_500,
};

const PERSON = 'U0ALICE';
const CHANNEL = 'C0BACKUPS';
const APP = 'com.tencent.mm';
/** support-01 is running (the bot stops it first and starts it again), support-02 is stopped. */
const INSTANCE_NAMES = ['support-01', 'support-02'];
const BACKUP_PATH = 'oss://cloudphone-saved-bucket-demo/backups/';

export interface DemoOptions {
  /** Give up after this long. */
  timeoutMs?: number;
  /** Where each transcript line goes as it happens (default: stdout). */
  print?: (line: string) => void;
  /** Keep the temporary folder (database, bot log) after a success too. */
  keepFiles?: boolean;
  /** Called before the form is submitted; tests use it to make the cloud fail and see the demo say so. */
  beforeSubmit?: (context: { simulator: Simulator; instanceIds: string[] }) => void;
}

export interface DemoResult {
  ok: boolean;
  /** Why it failed, for a person. */
  reason?: string;
  /** The temporary folder; kept on failure so the bot log can be read. */
  dir: string;
  requestId?: string;
  backupFileIds: string[];
}

class DemoFailure extends Error {}

function check(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new DemoFailure(reason);
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'cloudphone-demo-'));
  const logPath = join(dir, 'bot.log');
  const result: DemoResult = { ok: false, dir, backupFileIds: [] };
  let slack: SlackStandIn | undefined;
  let bot: RunningBot | undefined;
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const deadline = started + timeoutMs;
  // Every wait ends by the deadline, so nothing is left waiting after a time-out.
  const remaining = (atMost = Number.POSITIVE_INFINITY) => Math.max(1, Math.min(atMost, deadline - Date.now()));

  const scenario = async () => {
    slack = await startSlackStandIn();
    const signingSecret = randomBytes(16).toString('hex');
    // The demo's own settings, never the environment's: a developer's .env must not change what a newcomer sees.
    const config = loadConfig({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      OPS_PORT: '0',
      HOST: '127.0.0.1',
      CLOUDPHONE_SIMULATOR: '1',
      CLOUDPHONE_ADMINS: PERSON,
      CLOUDPHONE_DEFAULT_BACKUP_PATH: BACKUP_PATH,
      CLOUDPHONE_POLL_INTERVAL_MS: '200',
      CLOUDPHONE_MAX_POLL_INTERVAL_MS: '1000',
      CLOUDPHONE_PROGRESS_UPDATE_MS: '0',
      DATABASE_PATH: join(dir, 'bot.db'),
      LOG_LEVEL: 'debug',
    });
    bot = await startBot(config, {
      logger: createLogger({ level: 'debug', destination: destination({ dest: logPath, sync: true, mkdir: true }) }),
      defaultMetrics: false,
      simulator: { timing: DEMO_TIMING, seed: 7, runningBackupFailureRate: 0 },
      // The stand-in rate-limits like Slack; let the client wait out a Retry-After instead of failing.
      slackClientOptions: { retryConfig: { retries: 3, minTimeout: 100, maxTimeout: 1_000 } },
    });
    const sim = bot.simulator;
    check(sim, 'the bot did not start its in-process simulator');
    const standIn = slack;
    const names: Names = {
      user: (id) =>
        id === standIn.bot.userId ? BOT_DISPLAY_NAME : standIn.users().find((user) => user.id === id)?.name,
      channel: (id) => standIn.channel(id)?.name,
    };
    const who = names.user(PERSON) ?? PERSON;
    const where = `#${names.channel(CHANNEL) ?? CHANNEL}`;
    const instanceIds = INSTANCE_NAMES.map((name) => {
      const instance = [...sim.state.instances.values()].find((i) => i.name === name);
      check(instance, `the simulated fleet has no instance named ${name}`);
      return instance.id;
    });
    const driver = createSlackDriver({
      appUrl: `http://127.0.0.1:${bot.port}/slack/events`,
      signingSecret,
      standIn,
    });
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;

    print('Cloud Phone backup bot: demo');
    print('');
    print(`The real bot is listening on 127.0.0.1:${bot.port} (Bolt HTTP receiver, SQLite in ${dir}).`);
    print(`Slack is a local stand-in (workspace "${standIn.team.name}"); the cloud is the simulator, with`);
    print(`${sim.state.instances.size} cloud phones. Nothing leaves this machine.`);
    print('');

    // 1. The person types the slash command; Slack signs it and posts it to the bot.
    const text = `backup ${instanceIds.join(' ')}`;
    print(`${elapsed()}  ${where}  ${who} types: ${COMMAND} ${text}`);
    const command = await driver.slashCommand({ command: COMMAND, text, userId: PERSON, channelId: CHANNEL });
    check(command.status === 200, `the bot answered the slash command with HTTP ${command.status}`);
    check(command.withinAckBudget, `the bot took ${Math.round(command.elapsedMs)} ms to answer; Slack allows 3000`);
    const [modal] = await standIn.waitFor((s) => (s.openViews(PERSON).length > 0 ? s.openViews(PERSON) : undefined), {
      timeoutMs: remaining(3_000),
      description: 'the backup form (Slack drops a trigger_id after 3 s)',
    });
    check(modal, 'no form opened');
    print(`${elapsed()}  Slack opens the form "${titleOf(modal.title)}" (only ${who} sees it):`);
    for (const line of indent(messageLines(modal, names), '         │ ', '         │ ')) print(line);

    // 2. The person fills in the apps, keeps the defaults, and presses the submit button.
    options.beforeSubmit?.({ simulator: sim, instanceIds });
    print(`${elapsed()}  ${who} types ${APP} under Apps, keeps both options ticked and presses "${submitOf(modal)}"`);
    const submitted = await driver.submitView({
      viewId: modal.id,
      values: {
        [BLOCK.apps]: { [ACTION.apps]: APP },
        [BLOCK.options]: { [ACTION.options]: [OPTION.stopBefore, OPTION.startAfter] },
      },
    });
    check(submitted.status === 200, `the bot answered the form with HTTP ${submitted.status}`);
    const outcome = submitted.outcome;
    if (outcome.kind === 'errors') {
      throw new DemoFailure(`the form came back with errors: ${Object.values(outcome.errors).join('; ')}`);
    }
    check(outcome.kind === 'closed', `the form did not close (${outcome.kind})`);
    print(`${elapsed()}  the form closes`);

    // 3. Watch the channel as the bot works: its message, each update, the reply in the thread.
    // Printed from what the channel shows after each change, so the order is the order a person sees.
    let posted = false;
    let lastStatus = '';
    let replies = 0;
    const { parent, reply } = await standIn.waitFor(
      (s) => {
        const top = s.messages(CHANNEL, { topLevelOnly: true })[0];
        if (!top) return undefined;
        if (!posted) print(`${elapsed()}  ${where}  the bot posts a message about the request`);
        posted = true;
        const status = statusLine(top, names);
        if (status && status !== lastStatus) {
          if (lastStatus) print(`${elapsed()}  ${where}  the bot updates it: ${status}`);
          lastStatus = status;
        }
        const thread = s.threadReplies(CHANNEL, top.ts);
        if (thread.length > replies) print(`${elapsed()}  ${where}  the bot replies in the thread`);
        replies = thread.length;
        // Done when the reply is there and the message shows the outcome (it is updated right after the reply).
        const final = /^(✅|⚠️|❌)/.test(status ?? '');
        return thread[0] && final ? { parent: top, reply: thread[0] } : undefined;
      },
      { timeoutMs: remaining(), description: 'the threaded reply and the final state of the message' },
    );

    // 4. The conversation as it now stands.
    print('');
    print(`── ${where}, as ${who} sees it ${'─'.repeat(60)}`.slice(0, 100));
    print('');
    for (const line of renderMessage(parent, names, '')) print(line);
    print('');
    print(`    └─ 1 reply`);
    for (const line of renderMessage(reply, names, '       ')) print(line);
    print('');

    // 5. The audit trail, as an admin asks for it.
    const requestId = bot.repos.backups.get(requestIdIn(reply) ?? '')?.id ?? requestIdIn(reply);
    check(requestId, 'the reply does not name its request id');
    result.requestId = requestId;
    print(`${elapsed()}  ${where}  ${who} types: ${COMMAND} audit ${requestId}`);
    const audit = await driver.slashCommand({
      command: COMMAND,
      text: `audit ${requestId}`,
      userId: PERSON,
      channelId: CHANNEL,
    });
    check(audit.status === 200, `the bot answered the audit command with HTTP ${audit.status}`);
    const shown = standIn.ephemerals(PERSON).at(-1);
    check(shown?.source === 'command_ack', 'the audit command showed nothing');
    print(`── only ${who} sees this ${'─'.repeat(60)}`.slice(0, 100));
    for (const line of indent(messageLines(shown, names), '    │ ', '    │ ')) print(line);
    print('');

    // 6. Check what a person would check.
    const record = bot.repos.backups.get(requestId);
    check(record, `request ${requestId} is not in the database`);
    check(record.status === 'succeeded', `the request ended ${record.status}, not succeeded`);
    const files = instanceIds.map((id) => {
      const file = [...sim.state.backupFiles.values()].find((f) => f.instanceId === id && f.status === 'AVAILABLE');
      check(file, `no finished backup file for ${id} in the simulated account`);
      return file;
    });
    const replyText = messageLines(reply, names).join('\n');
    for (const file of files) {
      check(replyText.includes(file.id), `the reply does not name backup file ${file.id}`);
    }
    check(/Simulated/.test(replyText), 'the reply does not say it is simulated');
    check(/Simulated/.test(messageLines(parent, names).join('\n')), 'the message does not say it is simulated');
    const auditText = messageLines(shown, names).join('\n');
    check(auditText.includes(requestId), `the audit trail does not show ${requestId}`);
    result.backupFileIds = files.map((file) => file.id);
    print(
      `OK in ${((Date.now() - started) / 1000).toFixed(1)} s: ${files.length} backup files (${result.backupFileIds.join(', ')})`,
    );
    print(`in the simulated account, one threaded reply, one audit entry for ${requestId}.`);
    print(
      'Next: try it in a real workspace: npm run build, then CLOUDPHONE_SIMULATOR=1 npm start (README, "Install it in Slack").',
    );
  };

  const running = scenario();
  // After a time-out the scenario still ends (its waits end by the deadline); its error is not news then.
  running.catch(() => undefined);
  try {
    await Promise.race([
      running,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DemoFailure(`it did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    result.ok = true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.reason =
      Date.now() >= deadline - 100 && !message.startsWith('it did not finish')
        ? `it did not finish within ${timeoutMs / 1000} s (${message})`
        : message;
  } finally {
    clearTimeout(timer);
    // Past the deadline every wait in the scenario ends at once; let it, so nothing it starts outlives the demo.
    await running.catch(() => undefined);
    await bot?.stop().catch(() => undefined);
    await slack?.close().catch(() => undefined);
    if (result.ok && !options.keepFiles) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function titleOf(title: unknown): string {
  return typeof title === 'object' && title !== null ? String((title as { text?: unknown }).text ?? '') : '';
}

function submitOf(view: { submit?: unknown }): string {
  return titleOf(view.submit) || 'Submit';
}

/** The bold status line of the parent message ("🔄 Running: 0 of 2 backed up…"). */
function statusLine(message: StoredMessage, names: Names): string | undefined {
  return messageLines(message, names).find((line) => /^(⏳|🔄|✅|⚠️|❌)/.test(line));
}

function requestIdIn(message: StoredMessage): string | undefined {
  return /req-[0-9a-f]+/.exec(JSON.stringify(message.blocks ?? message.text))?.[0];
}

function renderMessage(message: StoredMessage, names: Names, pad: string): string[] {
  const time = new Date(Number(message.ts.split('.')[0]) * 1000).toTimeString().slice(0, 5);
  return [`${pad}${BOT_DISPLAY_NAME}  APP  ${time}`, ...indent(messageLines(message, names), `${pad}│ `, `${pad}│ `)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { timeout: { type: 'string' }, keep: { type: 'boolean' } } });
  const seconds = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    process.stderr.write('usage: npm run demo [-- --timeout SECONDS] [--keep]\n');
    process.exit(2);
  }
  const result = await runDemo({ timeoutMs: seconds * 1000, keepFiles: values.keep ?? false });
  if (result.ok) {
    if (values.keep) process.stdout.write(`Database and bot log kept in ${result.dir}\n`);
    process.exit(0);
  }
  process.stderr.write(`\nDemo FAILED: ${result.reason}\nIts database and bot log are kept in ${result.dir}\n`);
  const logPath = join(result.dir, 'bot.log');
  try {
    // The bot logs at debug level to the file; the last info-or-worse lines usually say what went wrong.
    const tail = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => !line.includes('"level":"debug"'))
      .slice(-12)
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
    process.stderr.write(`Last lines of the bot log (${logPath}):\n${tail.join('\n')}\n`);
  } catch {
    // No log yet: the failure came before the bot started.
  }
  process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
