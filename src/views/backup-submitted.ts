/**
 * The backup modal's submission: field errors under the field that is wrong, a denial under the instances field,
 * otherwise record the request (before the ack, so nothing acknowledged is lost) and close the modal.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { admissionRefusalText } from '../blocks/admission.js';
import { fieldErrors, readBackupForm, readBackupModalMetadata } from '../blocks/backup-modal.js';
import { formDenialText } from '../blocks/error-messages.js';
import { validateBackupInput } from '../services/backup/input.js';
import type { Services } from '../services/index.js';
import { decideBackup } from '../slack/backup-request.js';
import { withPeopleNames } from '../slack/denial-names.js';
import { actorOf } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

export function backupSubmitted(services: Services) {
  return async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const input = validateBackupInput(readBackupForm(view.state.values));
    if (!input.ok) return ack(fieldErrors(input.errors));
    const metadata = readBackupModalMetadata(view.private_metadata);
    if (!metadata)
      return ack(
        fieldErrors({ instanceIds: 'This form lost track of its channel; close it and run /cloudphone backup again.' }),
      );
    const actor = actorOf(body);
    // The form's endpoint is what the person chose (it started as their instances' region's): checked as it is.
    const decided = await decideBackup(services, {
      actor,
      spec: input.spec,
      channelId: metadata.channelId,
      endpointTyped: true,
      typedIn: 'form',
    });
    if (decided.kind === 'denied') {
      decided.pending.record();
      return ack(
        fieldErrors({ instanceIds: formDenialText(withPeopleNames(services, decided.denial), metadata.channelId) }),
      );
    }
    if (decided.kind === 'errors') return ack(fieldErrors(decided.errors));
    const { spec, pending } = decided;
    const submitted = await services.backups.submit({
      spec,
      actor,
      origin: { channelId: metadata.channelId },
      // The same modal submitted twice (a retry, a double click) carries the same view id: one backup.
      idempotencyKey: `view:${view.id}`,
      decision: pending,
    });
    // An instance already being worked on, or too many requests open: said under the instances, the form stays.
    if (!submitted.ok) {
      return ack(fieldErrors({ instanceIds: admissionRefusalText(submitted.refusal, actor.userId, 'plain') }));
    }
    await ack();
  };
}
