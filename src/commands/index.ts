import type { App } from '@slack/bolt';
import { COMMAND } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { cloudphoneCommand } from './cloudphone.js';

export function registerCommands(app: App, services: Services): void {
  app.command(COMMAND, cloudphoneCommand(services));
}
