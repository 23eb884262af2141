/**
 * The App Home tab: buttons to back up, restore and open the catalog; the person's requests in flight with progress;
 * their last results, each linking to its thread; their schedules (a section only when they have any); and the
 * instances in their scope with the age of each one's newest good backup, stale ones flagged.
 *
 * Slack takes at most 100 blocks in a Home view; lists are lines inside a few sections and long ones end with a
 * count of the rest, so the view stays far below that with any fleet.
 */
import type { ActionsBlock, HomeView, KnownBlock, ModalView } from '@slack/types';
import type { HomeOverview, HomeRequest, HomeSchedule, InstanceBackupAge } from '../services/home/service.js';
import { code, context, packedSections, plain, SIMULATED_NOTE, section } from './common.js';
import { inlineText } from './escape.js';
import { plural, progressBar, slackDate } from './format.js';
import { ACTION, BLOCK, CALLBACK } from './ids.js';
import type { SlackMessage } from './limits.js';

/** Slack's limit for a Home view (docs.slack.dev/reference/views/home-tab-views). */
export const HOME_MAX_BLOCKS = 100;

export interface HomeViewInput {
  overview: HomeOverview;
  /** Request id → the link to its thread (its parent message), when Slack gave one. */
  permalinks: ReadonlyMap<string, string>;
  /** The person's DM with the bot, where the buttons' results go. */
  channelId: string;
  simulated: boolean;
}

const STATUS_WORDS: Record<string, string> = {
  received: 'waiting to start',
  running: 'running',
  succeeded: 'succeeded',
  partial: 'partly succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  deleted: 'deleted',
  denied: 'denied by an approver',
  expired: 'not approved in time',
};

function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? inlineText(status.replace(/[_-]/g, ' '), 30);
}

const header = (text: string): KnownBlock => ({ type: 'header', text: plain(text) });

/** Lines in as few sections as Slack's 3,000-character section text allows. */
function linesBlocks(lines: readonly string[]): KnownBlock[] {
  return packedSections('', lines, 600);
}

function what(request: HomeRequest): string {
  const instances = request.total > 0 ? ` of ${plural(request.total, 'instance')}` : '';
  return `${request.kind}${instances}`;
}

function linked(request: HomeRequest, permalinks: ReadonlyMap<string, string>): string {
  const link = permalinks.get(request.id);
  return link ? `<${link}|${request.id}>` : code(request.id);
}

function inFlightLine(request: HomeRequest, permalinks: ReadonlyMap<string, string>): string {
  const progress =
    request.total > 0
      ? ` · ${progressBar(request.ended - request.failed, request.failed, request.total)} (${request.ended} of ${request.total} done${request.failed ? `, ${request.failed} failed` : ''})`
      : '';
  return `• ${linked(request, permalinks)} ${what(request)}: *${statusWords(request.status)}*${progress} · started ${slackDate(new Date(request.createdAt))}`;
}

function resultLine(request: HomeRequest, permalinks: ReadonlyMap<string, string>): string {
  const icon = request.status === 'succeeded' || request.status === 'deleted' ? '✅' : request.failed ? '⚠️' : '•';
  const when = slackDate(new Date(request.finishedAt ?? request.createdAt));
  return `${icon} ${linked(request, permalinks)} ${what(request)}: *${statusWords(request.status)}* · ${when}`;
}

function instanceName(instance: InstanceBackupAge): string {
  return instance.name ? `${code(instance.instanceId)} (${inlineText(instance.name, 40)})` : code(instance.instanceId);
}

function staleLine(instance: InstanceBackupAge): string {
  const last = instance.lastGoodBackupAt
    ? `newest good backup ${slackDate(instance.lastGoodBackupAt)}`
    : 'never backed up by the bot';
  return `⚠️ ${instanceName(instance)}: ${last}`;
}

function freshLine(instance: InstanceBackupAge): string {
  const at = instance.lastGoodBackupAt;
  return `✅ ${instanceName(instance)}: newest good backup ${at ? slackDate(at) : 'unknown'}`;
}

function scheduleLine(schedule: HomeSchedule): string {
  const next = schedule.nextRunAt ? ` · next ${slackDate(schedule.nextRunAt)}` : '';
  return `• ${inlineText(schedule.description, 200)}${next}`;
}

function buttons(): ActionsBlock {
  return {
    type: 'actions',
    block_id: BLOCK.homeActions,
    elements: [
      { type: 'button', action_id: ACTION.homeBackup, text: plain('Back up…'), style: 'primary' },
      { type: 'button', action_id: ACTION.homeRestore, text: plain('Restore…') },
      { type: 'button', action_id: ACTION.homeCatalog, text: plain('Open the catalog') },
    ],
  };
}

function inFlightBlocks(overview: HomeOverview, permalinks: ReadonlyMap<string, string>): KnownBlock[] {
  const blocks: KnownBlock[] = [header('In flight')];
  if (overview.inFlightCount === 0) return [...blocks, context('Nothing of yours is running.')];
  blocks.push(...linesBlocks(overview.inFlight.map((request) => inFlightLine(request, permalinks))));
  const rest = overview.inFlightCount - overview.inFlight.length;
  if (rest > 0) blocks.push(context(`…and ${plural(rest, 'more request')} in flight (see \`/cloudphone status\`).`));
  return blocks;
}

function recentBlocks(overview: HomeOverview, permalinks: ReadonlyMap<string, string>): KnownBlock[] {
  const blocks: KnownBlock[] = [header('Your last results')];
  if (overview.recent.length === 0) return [...blocks, context('No finished requests yet.')];
  return [...blocks, ...linesBlocks(overview.recent.map((request) => resultLine(request, permalinks)))];
}

/**
 * The schedules section: absent while the person has none. Kept apart so the schedules feature only has to fill in
 * `HomeOverview.schedules`.
 */
export function scheduleBlocks(schedules: readonly HomeSchedule[]): KnownBlock[] {
  if (schedules.length === 0) return [];
  return [
    { type: 'divider', block_id: BLOCK.homeSchedules },
    header('Your schedules'),
    ...linesBlocks(schedules.slice(0, 20).map(scheduleLine)),
    ...(schedules.length > 20 ? [context(`…and ${plural(schedules.length - 20, 'more schedule')}.`)] : []),
  ];
}

function instanceBlocks(overview: HomeOverview): KnownBlock[] {
  const { instances, staleAfterDays } = overview;
  const blocks: KnownBlock[] = [header('Your instances')];
  if (!instances.listed) {
    return [...blocks, context('The cloud has not listed the instances yet; open this tab again in a moment.')];
  }
  if (instances.total === 0) return [...blocks, context('No instance is in your backup scope.')];
  const fresh = instances.total - instances.staleCount;
  const never = instances.neverCount > 0 ? ` (${instances.neverCount.toLocaleString('en-US')} never)` : '';
  blocks.push(
    section(
      `${plural(instances.total, 'instance')} in your scope · ${fresh.toLocaleString('en-US')} backed up in the last ${plural(staleAfterDays, 'day')} · *${instances.staleCount.toLocaleString('en-US')} stale*${never}`,
    ),
  );
  if (instances.stale.length > 0) {
    blocks.push(...linesBlocks(instances.stale.map(staleLine)));
    const rest = instances.staleCount - instances.stale.length;
    if (rest > 0) blocks.push(context(`…and ${plural(rest, 'more stale instance')}, the stalest listed first.`));
  }
  if (instances.fresh.length > 0) {
    blocks.push(...linesBlocks(instances.fresh.map(freshLine)));
    const rest = fresh - instances.fresh.length;
    if (rest > 0) blocks.push(context(`…and ${plural(rest, 'more instance')} with a recent backup.`));
  }
  blocks.push(
    context(`⚠️ stale: no good backup in the last ${plural(staleAfterDays, 'day')} (\`CLOUDPHONE_STALE_BACKUP_DAYS\`).`),
  );
  return blocks;
}

export function homeView(input: HomeViewInput): HomeView {
  const { overview, permalinks } = input;
  const blocks: KnownBlock[] = [
    header('Cloud Phone Backup'),
    ...(input.simulated ? [context(SIMULATED_NOTE)] : []),
    buttons(),
    { type: 'divider' },
    ...inFlightBlocks(overview, permalinks),
    { type: 'divider' },
    ...recentBlocks(overview, permalinks),
    ...scheduleBlocks(overview.schedules),
    { type: 'divider' },
    ...instanceBlocks(overview),
  ];
  return {
    type: 'home',
    private_metadata: JSON.stringify({ channelId: input.channelId }),
    blocks: blocks.slice(0, HOME_MAX_BLOCKS),
  };
}

/** A denial from an App Home button, as a modal (a Home has no thread to answer in). */
export function homeDeniedView(message: SlackMessage): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.homeNotice,
    title: plain('Not allowed'),
    close: plain('Close'),
    blocks: (message.blocks ?? [section(message.text)]) as KnownBlock[],
  };
}
