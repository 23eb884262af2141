/**
 * The App Home's buttons: "Back up…" and "Restore…" open their forms, "Open the catalog" posts the catalog in the
 * person's DM with the bot (a Home has no thread to answer in). Each is checked like its slash command; a denial
 * opens a short modal saying why and whom to ask.
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { catalogMessage } from '../blocks/catalog-messages.js';
import { homeDeniedView } from '../blocks/home.js';
import { permissionDeniedMessage } from '../blocks/messages.js';
import { openRestoreForm } from '../commands/restore.js';
import type { AccessDenial } from '../services/access/permissions.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { openBackupForm } from '../slack/backup-form.js';
import { actorOf, afterAck, parseMetadata } from '../slack/listener-helpers.js';

type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const HomeMetadata = z.object({ channelId: z.string() });

interface Clicked {
  actor: Actor;
  /** The person's DM with the bot, as the Home recorded it. */
  channelId: string;
  triggerId: string;
  client: WebClient;
}

/** Acks, reads who clicked and where their answers go, and runs `work` after the ack (errors logged with a reference). */
function homeButton(work: (clicked: Clicked) => Promise<void>) {
  return async ({ ack, body, client, logger }: ActionArgs): Promise<void> => {
    await ack();
    const metadata = parseMetadata(HomeMetadata, body.view?.private_metadata);
    const clicked = { actor: actorOf(body), channelId: metadata?.channelId ?? '', triggerId: body.trigger_id, client };
    await afterAck(logger, undefined, () => work(clicked));
  };
}

async function showDenial(clicked: Clicked, decision: AccessDenial): Promise<void> {
  await clicked.client.views.open({
    trigger_id: clicked.triggerId,
    view: homeDeniedView(permissionDeniedMessage(decision)),
  });
}

export function homeBackup(services: Services) {
  return homeButton(async (clicked) => {
    const { decision, record } = await services.guard.decide(
      { actor: clicked.actor, action: 'backup', channelId: clicked.channelId },
      { step: 'open form', from: 'app home' },
    );
    record();
    if (!decision.allowed) return showDenial(clicked, decision);
    const defaults = await services.modalDefaults(clicked.actor, clicked.channelId);
    await openBackupForm(services, clicked.client, { ...clicked, prefill: [], defaults });
  });
}

export function homeRestore(services: Services) {
  return homeButton(async (clicked) => {
    const { decision, auditId } = await services.restores.authorizeOpen(clicked.actor, clicked.channelId, undefined);
    if (!decision.allowed) return showDenial(clicked, decision);
    await openRestoreForm(services, clicked.client, { ...clicked, auditId });
  });
}

export function homeCatalog(services: Services) {
  return homeButton(async (clicked) => {
    const { decision, auditId } = await services.catalog.authorize(clicked.actor, clicked.channelId, {});
    if (!decision.allowed) return showDenial(clicked, decision);
    const catalog = await services.catalog.list({}, { actor: clicked.actor, channelId: clicked.channelId });
    services.catalog.recordShown(auditId, catalog);
    await clicked.client.chat.postMessage({ channel: clicked.channelId, ...catalogMessage(catalog, { page: 1 }) });
  });
}
