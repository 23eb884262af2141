import type { App, BlockAction, ButtonAction, OverflowAction } from '@slack/bolt';
import { ACTION } from '../blocks/ids.js';
import type { Services } from '../services/index.js';
import { catalogEntry } from './catalog-entry.js';
import { catalogPage } from './catalog-page.js';
import { markVerified } from './mark-verified.js';

/** Buttons and menus on the bot's messages. */
export function registerActions(app: App, services: Services): void {
  app.action<BlockAction<ButtonAction>>(ACTION.markVerified, markVerified(services));
  app.action<BlockAction<ButtonAction>>(ACTION.catalogPrev, catalogPage(services));
  app.action<BlockAction<ButtonAction>>(ACTION.catalogNext, catalogPage(services));
  app.action<BlockAction<OverflowAction>>(ACTION.catalogEntry, catalogEntry(services));
}
