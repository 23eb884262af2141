/**
 * Events from Slack's Events API (HTTP) or Socket Mode alike: the App Home tab. Bolt acknowledges an event before its
 * listener runs, so the Home is built and published after the ack and Slack does not retry the event meanwhile.
 */
import type { App } from '@slack/bolt';
import type { Services } from '../services/index.js';
import { publishHome } from '../slack/home-publisher.js';
import type { Installation } from '../slack/installation.js';

export function registerEvents(
  app: App,
  services: Services,
  installation: () => Installation | undefined = () => undefined,
): void {
  app.event('app_home_opened', async ({ event, body, client, logger }) => {
    // The Messages tab opens this event too; only the Home tab shows the Home.
    if (event.tab !== 'home') return;
    try {
      await publishHome(services, client, {
        actor: { userId: event.user, teamId: body.team_id },
        channelId: event.channel,
        workspaceUrl: installation()?.url,
      });
    } catch (error) {
      // Nobody waits for an answer to an event; the person sees the previous Home and the log says why.
      logger.error({ err: error, user: event.user }, 'publishing the App Home failed');
    }
  });
}
