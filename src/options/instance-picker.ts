/**
 * The backup and restore forms' instance pickers ask for options as the person types (a `block_suggestion`): answer
 * with the instances that match and that the person may back up (the backup form) or restore onto (the restore form).
 * Slack waits 3 seconds for the answer, so the service answers from a cached listing and never throws; a form that
 * lost its channel gets no suggestions (its submission says what to do).
 */
import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { instanceOptions, MAX_SUGGESTIONS } from '../blocks/instance-options.js';
import type { PickerAction } from '../services/fleet/instance-suggestions.js';
import type { Services } from '../services/index.js';
import { actorOf, parseMetadata } from '../slack/listener-helpers.js';

type OptionsArgs = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

/** Both forms carry the channel they were opened in: the scope is the person's in that channel. */
const FormChannel = z.object({ channelId: z.string().min(1) });

export function instancePicker(services: Services, action: PickerAction) {
  return async ({ ack, body }: OptionsArgs): Promise<void> => {
    const channelId = parseMetadata(FormChannel, body.view?.private_metadata)?.channelId;
    if (channelId === undefined) return ack({ options: [] });
    const actor = actorOf(body);
    const result = await services.suggestInstances(actor, channelId, body.value ?? '', MAX_SUGGESTIONS, action);
    await ack(instanceOptions(result));
  };
}
