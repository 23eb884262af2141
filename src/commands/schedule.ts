/**
 * `/cloudphone schedule …`: the form (no arguments), `add` inline, `list`, `show`, `edit` (the form filled in), `pause`,
 * `resume`, `delete` (a confirmation whose button is checked again when clicked), `run` and `prune-preview`. Parse, call the schedule service,
 * render; each case is one line of the switch, so a new subcommand is one more.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { permissionDeniedMessage } from '../blocks/messages.js';
import {
  scheduleDeleteConfirmMessage,
  scheduleErrorsMessage,
  scheduleListMessage,
  scheduleNotFoundMessage,
  scheduleSavedMessage,
  scheduleShowMessage,
  scheduleStateMessage,
} from '../blocks/schedule-messages.js';
import { buildScheduleModal, rawFromSpec } from '../blocks/schedule-modal.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import type { ScheduleResult } from '../services/schedules/service.js';
import { afterAck, ephemeral } from '../slack/listener-helpers.js';
import { openAfterPermission } from '../slack/modal-opening.js';
import type { ScheduleCommand } from './parse-command.js';
import { scheduleRunCommand } from './schedule-run.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function scheduleCommand(
  services: Services,
  args: CommandArgs,
  actor: Actor,
  parsed: ScheduleCommand,
): Promise<void> {
  const { command, ack } = args;
  const channelId = command.channel_id;
  const who = { actor, channelId };
  switch (parsed.action) {
    case 'form':
      return openScheduleForm(services, args, actor);
    case 'add': {
      const result = await services.schedules.create({ ...who, raw: parsed.raw });
      return ack(ephemeral(result.ok ? scheduleSavedMessage(result.schedule) : refusalMessage(result)));
    }
    case 'list':
      return ack(ephemeral(scheduleListMessage(await services.schedules.list(actor, channelId))));
    case 'show': {
      const shown = await services.schedules.show(actor, channelId, parsed.name);
      return ack(
        ephemeral(shown ? scheduleShowMessage(shown, services.audit.now()) : scheduleNotFoundMessage(parsed.name)),
      );
    }
    case 'pause':
    case 'resume': {
      const change = parsed.action === 'pause' ? services.schedules.pause : services.schedules.resume;
      const result = await change({ ...who, name: parsed.name });
      const done = parsed.action === 'pause' ? 'paused' : 'resumed';
      return ack(ephemeral(result.ok ? scheduleStateMessage(result.schedule, done) : refusalMessage(result)));
    }
    case 'edit':
      return openChangeForm(services, args, actor, parsed.name);
    case 'run':
    case 'prune-preview':
      return scheduleRunCommand(services, args, actor, { action: parsed.action, name: parsed.name });
    case 'delete': {
      const result = await services.schedules.checkManage({ ...who, name: parsed.name });
      return ack(ephemeral(result.ok ? scheduleDeleteConfirmMessage(result.schedule) : refusalMessage(result)));
    }
  }
}

/** What a person sees when a schedule operation did nothing. */
export function refusalMessage(result: Exclude<ScheduleResult, { ok: true }>) {
  switch (result.kind) {
    case 'errors':
      return scheduleErrorsMessage(result.errors);
    case 'denied':
      return permissionDeniedMessage(result.denial);
    case 'not-found':
      return scheduleNotFoundMessage(result.name);
  }
}

/**
 * The form opens for people who may back up at all (the policy's `backup`); what they may schedule is checked when
 * they save. The fleet listing starts now, for the preview of what the targets match.
 */
async function openScheduleForm(services: Services, args: CommandArgs, actor: Actor): Promise<void> {
  const { command, client } = args;
  services.warmInstanceList();
  await openAfterPermission(
    args,
    () =>
      services.guard.check({ actor, action: 'backup', channelId: command.channel_id }, { step: 'open schedule form' }),
    async () => {
      const defaults = await services.modalDefaults(actor, command.channel_id);
      await services.afterAcks();
      await client.views.open({
        trigger_id: command.trigger_id,
        view: buildScheduleModal({
          preview: { unmatched: [] },
          defaultPath: defaults.backupPath,
          privateMetadata: JSON.stringify({ channelId: command.channel_id }),
          simulated: services.simulated,
        }),
      });
    },
  );
}

/** `schedule edit <name>`: the form filled in with the schedule, for its owner or an admin; saving checks again. */
async function openChangeForm(services: Services, args: CommandArgs, actor: Actor, name: string): Promise<void> {
  const { command, client, ack, respond, logger } = args;
  const found = await services.schedules.checkManage({ actor, channelId: command.channel_id, name });
  if (!found.ok) return ack(ephemeral(refusalMessage(found)));
  await ack();
  services.warmInstanceList();
  await afterAck(logger, respond, async () => {
    const values = rawFromSpec(found.schedule.spec);
    const preview = await services.schedules.preview(values);
    await services.afterAcks();
    await client.views.open({
      trigger_id: command.trigger_id,
      view: buildScheduleModal({
        values,
        preview,
        changing: found.schedule.name,
        privateMetadata: JSON.stringify({ channelId: command.channel_id, scheduleName: found.schedule.name }),
        simulated: services.simulated,
      }),
    });
  });
}
