/**
 * `/cloudphone backups`: the catalog, newest first, a page at a time. Each entry: file id, name, source instance,
 * apps, size, status, created, who made it (the bot, or elsewhere), and whether a restore from it was verified, with
 * an overflow menu to restore from it or delete it.
 */
import type { ActionsBlock, Button, KnownBlock, Overflow, SectionBlock } from '@slack/types';
import { z } from 'zod';
import type { Catalog, CatalogEntry } from '../services/catalog/service.js';
import { STATUS_NOT_LISTED, STATUS_UNKNOWN } from '../services/catalog/service.js';
import { latestVerification } from '../services/restore/model.js';
import {
  appsText,
  backupStatusText,
  backupTitle,
  code,
  context,
  failureText,
  section,
  verificationText,
} from './common.js';
import { inlineText, truncate } from './escape.js';
import { formatBytes, mention, plural, slackDate } from './format.js';
import { ACTION, BLOCK, COMMAND } from './ids.js';
import { SLACK_LIMITS, type SlackMessage } from './limits.js';

export const CATALOG_PAGE_SIZE = 8;

export interface CatalogPage {
  instanceId?: string | undefined;
  app?: string | undefined;
  /** 1-based. */
  page: number;
}

const PageValue = z.object({
  i: z
    .string()
    .regex(/^acp-[A-Za-z0-9]{1,64}$/)
    .optional(),
  a: z.string().min(1).max(255).optional(),
  p: z.number().int().min(1).max(10_000),
});

/** The value a page button carries (well under a button value's 2000 characters). */
export function encodeCatalogPage(state: CatalogPage): string {
  return JSON.stringify({
    ...(state.instanceId ? { i: state.instanceId } : {}),
    ...(state.app ? { a: state.app } : {}),
    p: state.page,
  });
}

/** A page button's value, checked; undefined when it is not one the bot made. */
export function decodeCatalogPage(value: string | undefined): CatalogPage | undefined {
  try {
    const parsed = PageValue.safeParse(JSON.parse(value ?? ''));
    if (!parsed.success) return undefined;
    return { instanceId: parsed.data.i, app: parsed.data.a, page: parsed.data.p };
  } catch {
    return undefined;
  }
}

/** A value `catalogEntryAction` reads back: `restore:bf-…` / `delete:bf-…`. */
export function catalogEntryValue(kind: 'restore' | 'delete', backupFileId: string): string {
  return `${kind}:${backupFileId}`;
}

/** Overflow values: `restore:bf-…` / `delete:bf-…` (at most 75 characters, like any option value). */
export function catalogEntryAction(
  value: string | undefined,
): { kind: 'restore' | 'delete'; backupFileId: string } | undefined {
  const match = /^(restore|delete):(bf-[A-Za-z0-9]{1,64})$/.exec(value ?? '');
  if (!match) return undefined;
  return { kind: match[1] as 'restore' | 'delete', backupFileId: match[2] as string };
}

function statusText(entry: CatalogEntry): string {
  if (entry.status === STATUS_NOT_LISTED) return '⚠️ no longer listed by the cloud (deleted elsewhere?)';
  if (entry.status === STATUS_UNKNOWN) return 'status unknown (the cloud could not be asked)';
  return backupStatusText(entry.status);
}

function entryBlock(entry: CatalogEntry): SectionBlock {
  const facts = [appsText(entry.apps, 300)];
  if (entry.sizeBytes !== undefined) facts.push(formatBytes(entry.sizeBytes));
  facts.push(statusText(entry));
  if (entry.region) facts.push(`in ${code(entry.region, 30)}`);
  facts.push(entry.createdAt !== undefined ? `created ${slackDate(new Date(entry.createdAt))}` : 'created: unknown');
  const origin = entry.madeByRequestId
    ? `made by the bot for ${mention(entry.madeByUserId ?? '')} (${code(entry.madeByRequestId)})`
    : 'made outside the bot';
  const text = truncate(
    `*${backupTitle(entry)}*\n${facts.join(' · ')}\n${verificationText(entry.verifications)} · ${origin}`,
    SLACK_LIMITS.sectionText,
  );
  const overflow: Overflow = {
    type: 'overflow',
    action_id: ACTION.catalogEntry,
    options: [
      {
        text: { type: 'plain_text', text: 'Restore from it…' },
        value: catalogEntryValue('restore', entry.backupFileId),
      },
      { text: { type: 'plain_text', text: 'Delete it…' }, value: catalogEntryValue('delete', entry.backupFileId) },
    ],
  };
  return { type: 'section', text: { type: 'mrkdwn', text }, accessory: overflow };
}

function filterText(state: CatalogPage): string {
  const parts: string[] = [];
  if (state.instanceId) parts.push(`from ${code(state.instanceId)}`);
  if (state.app) parts.push(`with ${code(state.app, 80)}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

function pageButton(actionId: string, text: string, state: CatalogPage): Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text }, value: encodeCatalogPage(state) };
}

/** Shown at once while the catalog asks the cloud; replaced by the catalog. */
export function catalogLoadingMessage(): SlackMessage {
  const text = '⏳ Looking up the backups in the cloud…';
  return { text, blocks: [section(text)] };
}

/** One page of the catalog (pages past the end show the last one). */

export function catalogMessage(catalog: Catalog, state: CatalogPage): SlackMessage {
  const total = catalog.entries.length;
  const pages = Math.max(1, Math.ceil(total / CATALOG_PAGE_SIZE));
  const page = Math.min(Math.max(1, state.page), pages);
  const shown = catalog.entries.slice((page - 1) * CATALOG_PAGE_SIZE, page * CATALOG_PAGE_SIZE);
  const verified = catalog.entries.filter((entry) => latestVerification(entry.verifications)).length;
  const heading = `*Backups${filterText(state)}* (${plural(total, 'backup')}, ${verified} verified), newest first`;
  const blocks: KnownBlock[] = [section(heading)];
  if (catalog.cloudError) {
    blocks.push(
      context(
        `⚠️ The cloud could not be asked (${failureText(catalog.cloudError)}): these are the bot's own records only, and their statuses may be out of date.`,
      ),
    );
  }
  if (catalog.truncated) {
    blocks.push(context('The cloud has more backups than the bot reads at once: narrow the list with an instance id.'));
  }
  if (total === 0) {
    blocks.push(section(`No backups match. Make one with \`${COMMAND} backup\`.`));
    return { text: `No backups${filterText(state).replace(/`/g, '')} match.`, blocks };
  }
  for (const entry of shown) blocks.push(entryBlock(entry), { type: 'divider' });
  blocks.push(
    context(
      `Page ${page} of ${pages}. Use the ⋯ menu of a backup to restore from it or delete it. A backup is verified once someone checked a restore from it.`,
    ),
  );
  if (pages > 1) {
    const buttons: Button[] = [];
    if (page > 1) buttons.push(pageButton(ACTION.catalogPrev, '← Newer', { ...state, page: page - 1 }));
    if (page < pages) buttons.push(pageButton(ACTION.catalogNext, 'Older →', { ...state, page: page + 1 }));
    const nav: ActionsBlock = { type: 'actions', block_id: BLOCK.catalogNav, elements: buttons };
    blocks.push(nav);
  }
  const filter = inlineText(filterText(state).replace(/`/g, ''), 200);
  const text = `Backups${filter ? ` ${filter}` : ''}: ${plural(total, 'backup')}, page ${page} of ${pages}`;
  return { text, blocks };
}
