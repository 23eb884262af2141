/**
 * `/cloudphone schedule run <name>` (a run now, outside the cadence) and `/cloudphone schedule prune-preview <name>`
 * (what retention would delete today). The other `schedule …` subcommands live with the schedule definitions.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import {
  prunePreviewMessage,
  scheduleRunRefusedMessage,
  scheduleRunStartedMessage,
} from '../blocks/schedule-run-messages.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { ephemeral } from '../slack/listener-helpers.js';
import { unescapeSlackText } from './parse-command.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export type ScheduleRunCommand = { kind: 'run' | 'prune-preview'; name: string } | { kind: 'error'; reason: string };

/** `schedule run <name>` or `schedule prune-preview <name>`; undefined for any other text. */
export function parseScheduleRunCommand(text: string): ScheduleRunCommand | undefined {
  const words = unescapeSlackText(text).trim().split(/\s+/);
  if (words[0]?.toLowerCase() !== 'schedule') return undefined;
  const sub = words[1]?.toLowerCase();
  if (sub !== 'run' && sub !== 'prune-preview') return undefined;
  const rest = words.slice(2).filter(Boolean);
  if (rest.length !== 1) {
    return {
      kind: 'error',
      reason: `\`schedule ${sub}\` takes one schedule name, like \`schedule ${sub} nightly-qa\`.`,
    };
  }
  return { kind: sub, name: rest[0] as string };
}

export async function scheduleRunCommand(
  services: Services,
  { command, ack }: CommandArgs,
  actor: Actor,
  parsed: ScheduleRunCommand,
): Promise<void> {
  if (parsed.kind === 'error') return ack(ephemeral({ text: parsed.reason }));
  if (parsed.kind === 'run') {
    const started = await services.scheduleRuns.runNow({
      actor,
      name: parsed.name,
      key: `command:${command.trigger_id}`,
    });
    if (!started.ok) return ack(ephemeral(scheduleRunRefusedMessage(parsed.name, started.reason)));
    return ack(ephemeral(scheduleRunStartedMessage(parsed.name, started.runId, started.channelId)));
  }
  const preview = await services.scheduleRuns.prunePreview({ actor, name: parsed.name });
  if (!preview.ok) return ack(ephemeral(scheduleRunRefusedMessage(parsed.name, preview.reason)));
  return ack(
    ephemeral(prunePreviewMessage({ name: parsed.name, hasRetention: preview.hasRetention, plan: preview.plan })),
  );
}
