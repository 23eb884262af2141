/**
 * The one workspace and app this bot serves. Slack signs with a secret per app, but an operator may reuse a signing
 * secret across apps or workspaces; then a request signed for another app or workspace would pass the HMAC check. So
 * the bot asks Slack at start (`auth.test` with its own token) which team and app it is installed as, and refuses
 * requests from anything else.
 */
import type { WebClient } from '@slack/web-api';

export interface Installation {
  teamId: string;
  /** Present when auth.test reports it (it does for bot tokens); without it only the team is checked. */
  appId: string | undefined;
  /** Set for an org-wide install, whose requests may come from any of the org's workspaces. */
  enterpriseId: string | undefined;
  /** The workspace's address, `https://acme.slack.com/` (auth.test `url`): message links are built on it. */
  url?: string | undefined;
}

/** Asks Slack which team and app the bot token belongs to. */
export async function fetchInstallation(client: WebClient): Promise<Installation> {
  const result = await client.auth.test();
  if (!result.team_id) throw new Error('Slack auth.test gave no team_id for SLACK_BOT_TOKEN');
  return {
    teamId: result.team_id,
    appId: result.app_id,
    enterpriseId: result.is_enterprise_install ? result.enterprise_id : undefined,
    url: result.url,
  };
}

interface IdRef {
  id?: unknown;
}

/**
 * Why a parsed request body is not for this installation, or undefined when it is. Slash commands carry `team_id`
 * and `api_app_id`; interactions carry `team.id` (null for org installs), `user.team_id` and `api_app_id`; events
 * carry `team_id` and `api_app_id`.
 */
export function foreignRequestReason(body: Record<string, unknown>, installed: Installation): string | undefined {
  const appId = body.api_app_id;
  if (installed.appId !== undefined && appId !== installed.appId) {
    return typeof appId === 'string' ? `api_app_id ${appId} is not this app` : 'no api_app_id';
  }
  if (installed.enterpriseId !== undefined) {
    const enterpriseId = body.enterprise_id ?? (body.enterprise as IdRef | null | undefined)?.id;
    return enterpriseId === installed.enterpriseId ? undefined : 'not from the organisation the bot is installed in';
  }
  const teamId =
    body.team_id ??
    (body.team as IdRef | null | undefined)?.id ??
    (body.user as (IdRef & { team_id?: unknown }) | undefined)?.team_id;
  if (teamId !== installed.teamId) {
    return typeof teamId === 'string' ? `team_id ${teamId} is not the installed workspace` : 'no team_id';
  }
  return undefined;
}
