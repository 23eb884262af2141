/**
 * `/cloudphone backups [acp-…] [--app com.…]`: the catalog, first page. The permission check (action `list`) is local
 * and runs before the ack, which shows a loading line; the catalog asks the cloud, so it replaces that line through the
 * response_url after the ack.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { catalogLoadingMessage, catalogMessage } from '../blocks/catalog-messages.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { Actor } from '../services/backup/model.js';
import type { CatalogFilter } from '../services/catalog/service.js';
import type { Services } from '../services/index.js';
import { ackLoadingThenAnswer, ephemeral } from '../slack/listener-helpers.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export async function backupsCommand(
  services: Services,
  { command, ack, respond, logger }: CommandArgs,
  actor: Actor,
  filter: CatalogFilter,
): Promise<void> {
  const { decision, auditId } = await services.catalog.authorize(actor, command.channel_id, filter);
  if (!decision.allowed) return ack(ephemeral(permissionDeniedMessage(decision)));
  await ackLoadingThenAnswer({ ack, respond, logger }, catalogLoadingMessage(), async () => {
    const catalog = await services.catalog.list(filter, { actor, channelId: command.channel_id });
    services.catalog.recordShown(auditId, catalog);
    return catalogMessage(catalog, { ...filter, page: 1 });
  });
}
