import type { App } from '@slack/bolt';
import { ACTION } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { instancePicker } from './instance-picker.js';

/** Options for the bot's external selects (block_suggestion requests). */
export function registerOptions(app: App, services: Services): void {
  app.options({ action_id: ACTION.instancePicker, type: 'block_suggestion' }, instancePicker(services, 'backup'));
  app.options({ action_id: ACTION.restoreTargetPicker, type: 'block_suggestion' }, instancePicker(services, 'restore'));
}
