import type { App } from '@slack/bolt';
import { CALLBACK } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { backupSubmitted } from './backup-submitted.js';

export function registerViews(app: App, services: Services): void {
  app.view(CALLBACK.backupModal, backupSubmitted(services));
}
