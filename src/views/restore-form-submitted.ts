/**
 * The restore form's submission: field errors under the field; typed names resolved to their instances, and names or
 * ids that match no instance refused under the targets, as is a denial; otherwise the modal turns
 * into "checking…" at once (the ack), and then into the confirmation once every target has been checked in the cloud.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { admissionRefusalText } from '../blocks/admission.js';
import { cloudProblemView } from '../blocks/common.js';
import { formDenialText } from '../blocks/error-messages.js';
import { CALLBACK } from '../blocks/ids.js';
import {
  buildRestoreConfirm,
  RESTORE_TEXT,
  readRestoreForm,
  restoreCheckingView,
  restoreFormErrors,
  targetProblemText,
  unknownTargetIdsText,
} from '../blocks/restore-modal.js';
import type { Services } from '../services/index.js';
import { tooManyTargets, validateRestoreForm } from '../services/restore/service.js';
import { withPeopleNames } from '../slack/denial-names.js';
import { actorOf, afterAck, parseMetadata } from '../slack/listener-helpers.js';

type ViewArgs = SlackViewMiddlewareArgs & AllMiddlewareArgs;

const FormMetadata = z.object({ channelId: z.string().min(1), retryOf: z.string().optional() });

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
    // Typed names become ids first: the permission check and everything after it work on instance ids.
    const resolved = await services.restoreTargets.resolve(
      actor,
      metadata.channelId,
      form.value.typed,
      form.value.picked,
    );
    if (!resolved.ok) return ack(restoreFormErrors({ targets: targetProblemText(resolved.problem) }));
    const tooMany = tooManyTargets(resolved.instanceIds.length);
    if (tooMany) return ack(restoreFormErrors({ targets: tooMany }));
    const request = { backupFileId: form.value.backupFileId, targetIds: resolved.instanceIds };
    const { decision, auditId } = await services.restores.authorizePlan(actor, metadata.channelId, request);
    if (!decision.allowed) {
      const denial = formDenialText(withPeopleNames(services, decision), metadata.channelId);
      return ack(restoreFormErrors({ targets: denial }));
    }
    // After the decision, as the backup form does: a person the policy refuses learns nothing about which ids exist.
    // The decision is already recorded (allowed); a refusal after it is recorded as its outcome, so the trail does not
    // show a restore step that went ahead.
    const unknown = await services.restoreTargets.unknownIds(request.targetIds);
    if (unknown.length > 0) {
      services.audit.recordOutcome(auditId, { status: 'refused', reason: 'unknown instances', instanceIds: unknown });
      return ack(restoreFormErrors({ targets: unknownTargetIdsText(unknown) }));
    }
    const refusal = services.restores.admission(actor, request.targetIds);
    if (refusal) {
      services.audit.recordOutcome(auditId, { status: 'refused', reason: refusal.reason });
      return ack(restoreFormErrors({ targets: admissionRefusalText(refusal, actor.userId, 'plain') }));
    }
    await ack({
      response_action: 'update',
      view: restoreCheckingView(request.backupFileId, request.targetIds.length, services.simulated),
    });
    await afterAck(logger, undefined, async () => {
      const result = await services.restores.plan({
        actor,
        channelId: metadata.channelId,
        form: request,
        // One plan per submitted form, however often Slack delivers the submission.
        planKey: `view:${view.id}`,
        auditId,
        retryOf: metadata.retryOf,
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
