/**
 * Publishes a person's App Home: the overview from the home service, each listed request's thread link from Slack
 * (chat.getPermalink on its parent message; a request whose link Slack does not give is shown by id), then
 * views.publish.
 */
import type { WebClient } from '@slack/web-api';
import { homeView } from '../blocks/home.js';
import type { Actor } from '../services/backup/model.js';
import type { HomeRequest } from '../services/home/service.js';
import type { Services } from '../services/index.js';

async function permalinksOf(client: WebClient, requests: readonly HomeRequest[]): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  await Promise.all(
    requests.map(async (request) => {
      if (!request.parent) return;
      try {
        const answer = await client.chat.getPermalink({
          channel: request.parent.channel,
          message_ts: request.parent.ts,
        });
        if (answer.permalink) links.set(request.id, answer.permalink);
      } catch {
        // A link is a convenience: without it the request is still listed by id.
      }
    }),
  );
  return links;
}

export async function publishHome(
  services: Services,
  client: WebClient,
  input: { actor: Actor; channelId: string },
): Promise<void> {
  const overview = await services.home.overview(input.actor, input.channelId);
  const permalinks = await permalinksOf(client, [...overview.inFlight, ...overview.recent]);
  await client.views.publish({
    user_id: input.actor.userId,
    view: homeView({ overview, permalinks, channelId: input.channelId, simulated: services.simulated }),
  });
}
