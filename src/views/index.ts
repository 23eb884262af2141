import type { App } from '@slack/bolt';
import { CALLBACK } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { backupSubmitted } from './backup-submitted.js';
import { deleteConfirmed, deleteUnverifiedConfirmed } from './delete-confirmed.js';
import { restoreConfirmed } from './restore-confirmed.js';
import { restoreFormSubmitted } from './restore-form-submitted.js';

export function registerViews(app: App, services: Services): void {
  app.view(CALLBACK.backupModal, backupSubmitted(services));
  app.view(CALLBACK.restoreForm, restoreFormSubmitted(services));
  app.view(CALLBACK.restoreConfirm, restoreConfirmed(services));
  app.view(CALLBACK.deleteConfirm, deleteConfirmed(services));
  app.view(CALLBACK.deleteConfirmUnverified, deleteUnverifiedConfirmed(services));
}
