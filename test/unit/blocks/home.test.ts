import { describe, expect, it } from 'vitest';
import { homeView, scheduleBlocks } from '../../../src/blocks/home.js';
import type { HomeRequest } from '../../../src/db/home-queries.js';
import { checkView } from '../../../src/sandbox/slack/block-kit.js';
import type { InstanceSummary } from '../../../src/services/fleet/instance-directory.js';
import { createHomeService } from '../../../src/services/home/service.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const DAY = 86_400_000;

function fleet(n: number): InstanceSummary[] {
  return Array.from({ length: n }, (_, i) => ({
    instanceId: `acp-${String(i).padStart(5, '0')}`,
    name: `phone-${i}`,
    status: 'RUNNING',
  }));
}

function request(id: string, over: Partial<HomeRequest> = {}): HomeRequest {
  return {
    id,
    kind: 'backup',
    status: 'running',
    step: 'track',
    createdAt: NOW - 60_000,
    finishedAt: undefined,
    parent: { channel: 'C0BACKUPS', ts: '1.000001' },
    total: 4,
    ended: 2,
    failed: 1,
    ...over,
  };
}

/** A Home for `instances`, every even one backed up `ageDays` ago and the odd ones never. */
async function overviewFor(instances: InstanceSummary[], ageDays: number, inFlight = 3, finished = 10) {
  const service = createHomeService({
    queries: {
      inFlightOf: () => ({
        requests: Array.from({ length: Math.min(inFlight, 10) }, (_, i) => request(`req-run${i}`)),
        count: inFlight,
      }),
      finishedOf: () =>
        Array.from({ length: finished }, (_, i) =>
          request(`req-done${i}`, { status: 'succeeded', finishedAt: NOW - i * 1000 }),
        ),
      newestGoodBackups: () =>
        new Map(instances.filter((_, i) => i % 2 === 0).map((x) => [x.instanceId, NOW - ageDays * DAY])),
      goodBackupsVersion: () => 0,
    },
    deletedFileIds: () => [],
    instancesInScope: async () => ({ instances, listed: true }),
    clock: { now: () => NOW },
    staleAfterDays: 7,
  });
  return service.overview({ userId: 'U0ALICE', teamId: 'T0' }, 'D0ALICE');
}

const textOf = (view: { blocks: unknown[] }) => JSON.stringify(view.blocks);

describe('the App Home view', () => {
  it('stays within Slack’s Home limits with a 10,000-phone fleet, collapsing long lists with counts', async () => {
    const overview = await overviewFor(fleet(10_000), 10, 25);
    const view = homeView({ overview, permalinks: new Map(), channelId: 'D0ALICE', simulated: true });
    expect(checkView(view, 'home')).toBeUndefined();
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = textOf(view);
    expect(text).toContain('10,000 instances in your scope');
    expect(text).toContain('*10,000 stale* (5,000 never)');
    expect(text).toContain('…and 9,970 more stale instances');
    expect(text).toContain('…and 15 more requests in flight');
  });

  it('splits fresh from stale by CLOUDPHONE_STALE_BACKUP_DAYS, the never backed-up first', async () => {
    const overview = await overviewFor(fleet(4), 2);
    expect(overview.instances.staleCount).toBe(2);
    expect(overview.instances.stale.map((i) => i.instanceId)).toEqual(['acp-00001', 'acp-00003']);
    expect(overview.instances.fresh.map((i) => i.instanceId)).toEqual(['acp-00000', 'acp-00002']);
    const old = await overviewFor(fleet(4), 8);
    expect(old.instances.staleCount).toBe(4);
    expect(old.instances.stale.map((i) => i.lastGoodBackupAt === undefined)).toEqual([true, true, false, false]);
  });

  it('links results to their threads when Slack gave a permalink, else names them by id', async () => {
    const overview = await overviewFor(fleet(1), 1, 1, 2);
    const view = homeView({
      overview,
      permalinks: new Map([['req-done0', 'https://acme.slack.com/archives/C0BACKUPS/p1000001']]),
      channelId: 'D0ALICE',
      simulated: false,
    });
    const text = textOf(view);
    expect(text).toContain('<https://acme.slack.com/archives/C0BACKUPS/p1000001|req-done0>');
    expect(text).toContain('`req-done1`');
    expect(text).toContain('(2 of 4 done, 1 failed)');
  });

  it('has no schedules section while there are none, and lists them when the schedules feature provides some', () => {
    expect(scheduleBlocks([])).toEqual([]);
    const blocks = scheduleBlocks([{ id: 's1', description: 'Nightly support phones', nextRunAt: new Date(NOW) }]);
    expect(JSON.stringify(blocks)).toContain('Nightly support phones');
  });
});
