import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs } from '@slack/bolt';
import { CALLBACK } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { exactly } from '../slack/route.js';
import { approvalDenied } from './approval-denied.js';
import { backupRetried } from './backup-retried.js';
import { backupSubmitted } from './backup-submitted.js';
import { deleteConfirmed, deleteUnverifiedConfirmed } from './delete-confirmed.js';
import { restoreConfirmed } from './restore-confirmed.js';
import { restoreFormSubmitted } from './restore-form-submitted.js';
import { scheduleSubmitted } from './schedule-submitted.js';

type ViewListener = (args: SlackViewMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

export function registerViews(app: App, services: Services): void {
  const byCallbackId: Record<string, ViewListener> = {
    [CALLBACK.backupModal]: backupSubmitted(services),
    [CALLBACK.backupRetry]: backupRetried(services),
    [CALLBACK.restoreForm]: restoreFormSubmitted(services),
    [CALLBACK.restoreConfirm]: restoreConfirmed(services),
    [CALLBACK.deleteConfirm]: deleteConfirmed(services),
    [CALLBACK.deleteConfirmUnverified]: deleteUnverifiedConfirmed(services),
    [CALLBACK.approvalDenyReason]: approvalDenied(services),
    [CALLBACK.scheduleForm]: scheduleSubmitted(services),
  };
  // One listener for every modal submission (see slack/route.ts for why).
  app.view({ callback_id: exactly(Object.keys(byCallbackId)) }, (args) => byCallbackId[args.view.callback_id]!(args));
}
