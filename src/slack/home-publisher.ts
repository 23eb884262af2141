/**
 * Publishes a person's App Home: the overview from the home service, each listed request's thread link (a request
 * without a parent message yet is shown by id), then views.publish.
 */
import type { WebClient } from '@slack/web-api';
import { homeView } from '../blocks/home.js';
import type { Actor } from '../services/backup/model.js';
import type { HomeRequest } from '../services/home/service.js';
import type { Services } from '../services/index.js';

/**
 * Each listed request's link to its thread: Slack's message link, `<workspace>/archives/<channel>/p<ts without the
 * dot>`, built from the parent message's ts instead of a chat.getPermalink call per request (up to twenty a Home).
 */
export function threadLinks(workspaceUrl: string | undefined, requests: readonly HomeRequest[]): Map<string, string> {
  const links = new Map<string, string>();
  if (!workspaceUrl?.startsWith('https://')) return links;
  const base = workspaceUrl.endsWith('/') ? workspaceUrl : `${workspaceUrl}/`;
  for (const request of requests) {
    if (!request.parent) continue;
    links.set(request.id, `${base}archives/${request.parent.channel}/p${request.parent.ts.replace('.', '')}`);
  }
  return links;
}

export async function publishHome(
  services: Services,
  client: WebClient,
  input: { actor: Actor; channelId: string; workspaceUrl: string | undefined },
): Promise<void> {
  const overview = await services.home.overview(input.actor, input.channelId);
  const permalinks = threadLinks(input.workspaceUrl, [...overview.inFlight, ...overview.recent]);
  await client.views.publish({
    user_id: input.actor.userId,
    view: homeView({ overview, permalinks, channelId: input.channelId, simulated: services.simulated }),
  });
}
