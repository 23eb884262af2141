/**
 * The restore form's submission: field errors under the field, a denial under the targets; otherwise the modal turns
 * into "checking…" at once (the ack), and then into the confirmation once every target has been checked in the cloud.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { cloudProblemView } from '../blocks/common.js';
import { CALLBACK } from '../blocks/ids.js';
import {
  buildRestoreConfirm,
  RESTORE_TEXT,
  readRestoreForm,
  restoreCheckingView,
  restoreFormErrors,
} from '../blocks/restore-modal.js';
import type { Services } from '../services/index.js';
import { validateRestoreForm } from '../services/restore/service.js';
import { actorOf, afterAck, parseMetadata } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

const FormMetadata = z.object({ channelId: z.string().min(1) });

export function restoreFormSubmitted(services: Services) {
  return async ({ ack, view, body, client, logger }: ViewArgs): Promise<void> => {
    const form = validateRestoreForm(readRestoreForm(view.state.values));
    if (!form.ok) return ack(restoreFormErrors(form.errors));
    const metadata = parseMetadata(FormMetadata, view.private_metadata);
    if (!metadata) {
      return ack(
        restoreFormErrors({
          targets: 'This form lost track of its channel; close it and run /cloudphone restore again.',
        }),
      );
    }
    const actor = actorOf(body);
    const { decision, auditId } = await services.restores.authorizePlan(actor, metadata.channelId, form.value);
    if (!decision.allowed) return ack(restoreFormErrors({ denied: decision.reason }));
    await ack({
      response_action: 'update',
      view: restoreCheckingView(form.value.backupFileId, form.value.targetIds.length, services.simulated),
    });
    await afterAck(logger, undefined, async () => {
      const result = await services.restores.plan({
        actor,
        channelId: metadata.channelId,
        form: form.value,
        // One plan per submitted form, however often Slack delivers the submission.
        planKey: `view:${view.id}`,
        auditId,
      });
      await client.views.update({
        view_id: view.id,
        view: result.ok
          ? buildRestoreConfirm(result.plan, { privateMetadata: JSON.stringify({ planId: result.plan.id }) })
          : cloudProblemView(
              CALLBACK.restoreNotice,
              RESTORE_TEXT.title,
              'check the backup and the targets',
              result.failure,
            ),
      });
    });
  };
}
