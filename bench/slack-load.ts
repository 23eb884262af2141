/**
 * Slash commands and modal submissions for the acknowledgement bursts, built exactly as the stand-in's driver builds
 * them (same payload builders, same signature, trigger ids and response URLs issued by the stand-in), but sent from
 * the load worker so that only the bot's latency is timed. The answers are then applied to the stand-in as the driver
 * would (the modal closes, the ephemeral shows), so the rest of the flow carries on as usual.
 */
import {
  ACK_BUDGET_MS,
  buildBlockSuggestion,
  buildSlashCommandBody,
  buildViewState,
  buildViewSubmission,
  type CommandAckOutcome,
  checkOptionsAnswer,
  encodeInteractivityBody,
  type SlackStandIn,
  signSlackRequest,
  type ViewSubmissionOutcome,
  type ViewValues,
} from '../src/sandbox/slack/index.js';
import type { LoadHandlers, PreparedRequest, TimedAnswer } from './load-worker.js';
import type { Worker } from './rpc.js';

export interface SlashCommand {
  command: string;
  text: string;
  userId: string;
  channelId: string;
}

export interface ViewSubmission {
  viewId: string;
  values: ViewValues;
}

export interface Suggestion {
  viewId: string;
  blockId: string;
  actionId: string;
  /** What the person typed. */
  value: string;
}

export interface Acked<Outcome> extends TimedAnswer {
  outcome: Outcome;
}

function signedForm(signingSecret: string, body: string): PreparedRequest {
  const timestampSec = Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-signature': signSlackRequest(signingSecret, timestampSec, body),
      'x-slack-request-timestamp': String(timestampSec),
    },
  };
}

function actor(standIn: SlackStandIn, userId: string) {
  const user = standIn.users().find((u) => u.id === userId);
  if (!user) throw new Error(`No user ${userId} in the stand-in workspace`);
  return { id: user.id, name: user.name };
}

export function createSlackLoad(options: {
  standIn: SlackStandIn;
  load: Worker<LoadHandlers>;
  appUrl: string;
  signingSecret: string;
}) {
  const { standIn, load, appUrl, signingSecret } = options;
  const team = { id: standIn.team.id, domain: standIn.team.domain };
  const apiAppId = standIn.bot.appId;
  const burst = (requests: PreparedRequest[]) =>
    load.call('burst', { url: appUrl, requests, timeoutMs: 10_000 }, 60_000);

  return {
    /** Sends the commands all at once. */
    async slashCommands(inputs: SlashCommand[]): Promise<Acked<CommandAckOutcome>[]> {
      const prepared = inputs.map((input) => {
        const channel = standIn.channel(input.channelId);
        if (!channel) throw new Error(`No channel ${input.channelId}`);
        const user = actor(standIn, input.userId);
        const body = buildSlashCommandBody({
          command: input.command,
          text: input.text,
          team,
          user,
          channel: { id: channel.id, name: channel.isIm ? 'directmessage' : channel.name },
          apiAppId,
          responseUrl: standIn.issueResponseUrl(channel.id, user.id),
          triggerId: standIn.issueTriggerId(user.id),
        });
        return signedForm(signingSecret, body);
      });
      const answers = await burst(prepared);
      return answers.map((answer, i) => {
        const input = inputs[i]!;
        const outcome: CommandAckOutcome =
          answer.elapsedMs <= ACK_BUDGET_MS && answer.status !== 0
            ? standIn.ui.applyCommandAck(input.channelId, input.userId, answer.status, answer.rawBody)
            : { kind: 'rejected', reason: `no answer within ${ACK_BUDGET_MS} ms (operation_timeout)` };
        return { ...answer, outcome };
      });
    },

    /** Submits the open modals all at once (each must be the top of its person's stack). */
    async submitViews(inputs: ViewSubmission[]): Promise<Acked<ViewSubmissionOutcome>[]> {
      const prepared = inputs.map((input) => {
        const entry = standIn.view(input.viewId);
        if (!entry) throw new Error(`View ${input.viewId} is not open in the stand-in`);
        standIn.ui.setViewState(input.viewId, buildViewState(entry.view, input.values));
        const view = standIn.view(input.viewId)!.view;
        const payload = buildViewSubmission({
          team,
          user: actor(standIn, entry.user),
          apiAppId,
          view,
          triggerId: standIn.issueTriggerId(entry.user),
        });
        return signedForm(signingSecret, encodeInteractivityBody(payload));
      });
      const answers = await burst(prepared);
      return answers.map((answer, i) => {
        const outcome: ViewSubmissionOutcome =
          answer.elapsedMs <= ACK_BUDGET_MS && answer.status !== 0
            ? standIn.ui.applyViewSubmissionAck(inputs[i]!.viewId, answer.status, answer.rawBody)
            : { kind: 'rejected', reason: `no answer within ${ACK_BUDGET_MS} ms` };
        return { ...answer, outcome };
      });
    },

    /** Asks the bot for options of an external select in each open modal, all at once, as typing does. */
    async blockSuggestions(inputs: Suggestion[]): Promise<Acked<{ options: unknown[] } | { error: string }>[]> {
      const prepared = inputs.map((input) => {
        const entry = standIn.view(input.viewId);
        if (!entry) throw new Error(`View ${input.viewId} is not open in the stand-in`);
        const payload = buildBlockSuggestion({
          team,
          user: actor(standIn, entry.user),
          apiAppId,
          view: entry.view,
          blockId: input.blockId,
          actionId: input.actionId,
          value: input.value,
        });
        return signedForm(signingSecret, encodeInteractivityBody(payload));
      });
      const answers = await burst(prepared);
      return answers.map((answer) => {
        let body: unknown;
        try {
          body = JSON.parse(answer.rawBody);
        } catch {
          body = answer.rawBody;
        }
        const outcome =
          answer.elapsedMs <= ACK_BUDGET_MS
            ? checkOptionsAnswer({ status: answer.status, body })
            : { error: `no answer within ${ACK_BUDGET_MS} ms` };
        return { ...answer, outcome };
      });
    },
  };
}

export type SlackLoad = ReturnType<typeof createSlackLoad>;
