/** People by handle from Slack's member list (`users.list`, scope users:read), for `/cloudphone audit @alex`. */
import type { WebClient } from '@slack/web-api';
import { createPeopleDirectory, type PeopleDirectory } from '../services/access/people.js';
import type { Clock } from '../services/pipeline/ports.js';

/** How long Slack's member list is trusted for handle lookups. */
const PEOPLE_CACHE_MS = 10 * 60_000;

/** Handles resolved through `users.list`, 200 people a page. */
export function createSlackPeopleDirectory(client: WebClient, clock: Clock): PeopleDirectory {
  return createPeopleDirectory({
    ttlMs: PEOPLE_CACHE_MS,
    now: () => clock.now(),
    async listPage(cursor) {
      const page = await client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
      return {
        people: (page.members ?? []).flatMap((member) =>
          member.id
            ? [
                {
                  id: member.id,
                  name: member.name,
                  displayName: member.profile?.display_name,
                  realName: member.real_name ?? member.profile?.real_name,
                  deleted: member.deleted,
                  isBot: member.is_bot,
                },
              ]
            : [],
        ),
        nextCursor: page.response_metadata?.next_cursor,
      };
    },
  });
}
