/**
 * A keystroke in the schedule form's cron, time zone or targets input (they have `dispatch_action`): the preview of
 * the next three runs and of the instances the targets match now is worked out again and the form updated in place.
 */
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { buildScheduleModal, readScheduleForm, readScheduleModalMetadata } from '../blocks/schedule-modal.js';
import type { Services } from '../services/index.js';
import { afterAck } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

export function schedulePreview(services: Services) {
  return async ({ ack, body, client, logger }: ActionArgs): Promise<void> => {
    await ack();
    const view = body.view;
    if (!view) return;
    await afterAck(logger, undefined, async () => {
      const values = readScheduleForm(view.state.values as never);
      const preview = await services.schedules.preview(values);
      try {
        await client.views.update({
          view_id: view.id,
          hash: view.hash,
          view: buildScheduleModal({
            values,
            preview,
            privateMetadata: view.private_metadata,
            simulated: services.simulated,
            changing: readScheduleModalMetadata(view.private_metadata)?.scheduleName,
          }),
        });
      } catch (error) {
        // The person typed again meanwhile: that keystroke's own update shows the newer preview.
        if ((error as { data?: { error?: string } }).data?.error === 'hash_conflict') return;
        throw error;
      }
    });
  };
}
