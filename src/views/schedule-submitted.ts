/**
 * The schedule form's submission (a new schedule, or a change to one): field errors under the field that is wrong (a
 * denial under the targets), otherwise the schedule is saved and the form turns into a notice saying when it first runs.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { formDenialText } from '../blocks/error-messages.js';
import { scheduleSavedView } from '../blocks/schedule-messages.js';
import { readScheduleForm, readScheduleModalMetadata, scheduleFieldErrors } from '../blocks/schedule-modal.js';
import type { Services } from '../services/index.js';
import { withPeopleNames } from '../slack/denial-names.js';
import { actorOf } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

export function scheduleSubmitted(services: Services) {
  return async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const metadata = readScheduleModalMetadata(view.private_metadata);
    if (!metadata) {
      return ack(
        scheduleFieldErrors({
          name: 'This form lost track of its channel; close it and run /cloudphone schedule again.',
        }),
      );
    }
    const who = { actor: actorOf(body), channelId: metadata.channelId };
    const raw = readScheduleForm(view.state.values as never);
    const result =
      metadata.scheduleName === undefined
        ? await services.schedules.create({ ...who, raw })
        : await services.schedules.change({ ...who, name: metadata.scheduleName, raw });
    if (result.ok) return ack(scheduleSavedView(result.schedule, services.simulated));
    switch (result.kind) {
      case 'errors':
        return ack(scheduleFieldErrors(result.errors));
      case 'denied':
        return ack(
          scheduleFieldErrors({
            targets: formDenialText(withPeopleNames(services, result.denial), metadata.channelId),
          }),
        );
      case 'not-found':
        // Only a change names an existing schedule: deleted while its form was open.
        return ack(
          scheduleFieldErrors({ targets: `The schedule ${result.name} was deleted meanwhile; nothing saved.` }),
        );
    }
  };
}
