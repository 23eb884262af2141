/**
 * The backup modal's instance picker asks for options as the person types (a `block_suggestion`): answer with the
 * instances they may back up that match. Slack waits 3 seconds for the answer, so the service answers from a cached
 * listing and never throws; a form that lost its channel gets no suggestions (its submission says what to do).
 */
import type { AllMiddlewareArgs, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { readBackupModalMetadata } from '../blocks/backup-modal.js';
import { instanceOptions, MAX_SUGGESTIONS } from '../blocks/instance-options.js';
import type { Services } from '../services/index.js';
import { actorOf } from '../slack/listener-helpers.js';

type OptionsArgs = SlackOptionsMiddlewareArgs<'block_suggestion'> & AllMiddlewareArgs;

export function instancePicker(services: Services) {
  return async ({ ack, body }: OptionsArgs): Promise<void> => {
    const channelId = readBackupModalMetadata(body.view?.private_metadata)?.channelId;
    if (channelId === undefined) return ack({ options: [] });
    const actor = actorOf(body);
    const result = await services.suggestInstances(actor, channelId, body.value ?? '', MAX_SUGGESTIONS);
    await ack(instanceOptions(result));
  };
}
