/**
 * `/cloudphone schedule run <name>` (a run now, outside the cadence) and `/cloudphone schedule prune-preview <name>`
 * (what retention would delete today), reached through commands/schedule.ts like every `schedule …` subcommand.
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

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function scheduleRunCommand(
  services: Services,
  { command, ack }: CommandArgs,
  actor: Actor,
  parsed: { action: 'run' | 'prune-preview'; name: string },
): Promise<void> {
  if (parsed.action === 'run') {
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
