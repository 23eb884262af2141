/** The catalog's "Newer" / "Older" buttons: checked again (action `list`), then the message is replaced in place. */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { catalogMessage, decodeCatalogPage } from '../blocks/catalog-messages.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import type { Services } from '../services/index.js';
import { actorOf, afterAck, channelOf, ephemeral } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function catalogPage(services: Services) {
  return async ({ ack, body, action, respond, logger }: ActionArgs): Promise<void> => {
    await ack();
    await afterAck(logger, respond, async () => {
      const state = decodeCatalogPage(action.value);
      if (!state) return;
      const filter = { instanceId: state.instanceId, app: state.app };
      const channelId = channelOf(body);
      const actor = actorOf(body);
      const { decision, auditId } = await services.catalog.authorize(actor, channelId, filter, state.page);
      if (!decision.allowed) {
        await respond({ ...ephemeral(permissionDeniedMessage(decision)), replace_original: false });
        return;
      }
      const catalog = await services.catalog.list(filter, { actor, channelId });
      services.catalog.recordShown(auditId, catalog);
      await respond({ ...ephemeral(catalogMessage(catalog, state)), replace_original: true });
    });
  };
}
