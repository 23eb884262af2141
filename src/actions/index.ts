import type { AllMiddlewareArgs, App, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { exactly } from '../slack/route.js';
import { approvalApprove, approvalDeny } from './approval.js';
import { cancelRequest } from './cancel-request.js';
import { catalogEntry } from './catalog-entry.js';
import { catalogPage } from './catalog-page.js';
import { homeBackup, homeCatalog, homeRestore } from './home.js';
import { markVerified } from './mark-verified.js';
import { retryFailed } from './retry-failed.js';
import { retryFailedRestore } from './retry-failed-restore.js';
import { scheduleDelete } from './schedule-delete.js';
import { schedulePreview } from './schedule-preview.js';
import { startLeftPhones } from './start-left-phones.js';

// Each handler is typed for its element (button, overflow menu); the action id decides which element it is.
type ActionListener = (args: never) => Promise<void>;

/** Buttons and menus on the bot's messages. */
export function registerActions(app: App, services: Services): void {
  const byActionId: Record<string, ActionListener> = {
    [ACTION.markVerified]: markVerified(services),
    [ACTION.catalogPrev]: catalogPage(services),
    [ACTION.catalogNext]: catalogPage(services),
    [ACTION.catalogEntry]: catalogEntry(services),
    [ACTION.startLeftPhones]: startLeftPhones(services),
    [ACTION.approvalApprove]: approvalApprove(services),
    [ACTION.approvalDeny]: approvalDeny(services),
    [ACTION.restoreFromBackup]: catalogEntry(services),
    [ACTION.cancelRequest]: cancelRequest(services),
    [ACTION.cancelBackup]: cancelRequest(services),
    [ACTION.retryFailed]: retryFailed(services),
    [ACTION.retryFailedRestore]: retryFailedRestore(services),
    [ACTION.scheduleDeleteConfirm]: scheduleDelete(services),
    // Keystrokes in the schedule form's previewed inputs.
    [ACTION.scheduleCron]: schedulePreview(services),
    [ACTION.scheduleTimeZone]: schedulePreview(services),
    [ACTION.scheduleTargets]: schedulePreview(services),
    [ACTION.homeBackup]: homeBackup(services),
    [ACTION.homeRestore]: homeRestore(services),
    [ACTION.homeCatalog]: homeCatalog(services),
  };
  // One listener for every block action (see slack/route.ts for why).
  app.action({ action_id: exactly(Object.keys(byActionId)) }, (args: SlackActionMiddlewareArgs & AllMiddlewareArgs) =>
    byActionId[(args.action as { action_id: string }).action_id]!(args as never),
  );
}
