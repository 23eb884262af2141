import { beforeEach, describe, expect, it } from 'vitest';
import { createAuditTrail } from '../../../../src/services/access/audit.js';
import { createAccessGuard } from '../../../../src/services/access/guard.js';
import { createPolicyPermissions } from '../../../../src/services/access/permissions.js';
import { parsePolicy } from '../../../../src/services/access/policy.js';
import type { InstanceSummary } from '../../../../src/services/fleet/instance-directory.js';
import { nextRun } from '../../../../src/services/schedules/cadence.js';
import { createScheduleService } from '../../../../src/services/schedules/service.js';
import type { ScheduleRawInput } from '../../../../src/services/schedules/spec.js';
import { useMemoryDatabase } from '../../../support/memory-db.js';

const TEAM = 'T0TEAM';
const CHANNEL = 'C0OPS';
const ADMIN = 'U0ADMIN';
/** May back up QA phones, not delete. */
const QA = 'U0QA';
/** May back up and delete on QA phones. */
const LEAD = 'U0LEAD';
/** May list prod phones only. */
const PROD = 'U0PROD';
const PATH = 'oss://cloudphone-saved-bucket-test/backups/';

const POLICY = `
admins: [${ADMIN}]
roles:
  - name: qa-backup
    members: [${QA}]
    actions: [backup, list]
    instances: ["acp-qa*"]
    locations: ["${PATH}"]
  - name: qa-lead
    members: [${LEAD}]
    actions: [backup, delete, list]
    instances: ["acp-qa*"]
    locations: ["${PATH}"]
  - name: prod-viewer
    members: [${PROD}]
    actions: [list]
    instances: ["acp-prod*"]
    locations: ["${PATH}"]
`;

const FLEET: InstanceSummary[] = [
  { instanceId: 'acp-qa1', status: 'RUNNING', instanceGroupId: 'ag-qa' },
  { instanceId: 'acp-qa2', status: 'RUNNING', instanceGroupId: 'ag-qa' },
  { instanceId: 'acp-prod1', status: 'RUNNING', instanceGroupId: 'ag-prod' },
];

const actor = (userId: string) => ({ userId, teamId: TEAM });
const raw = (overrides: Partial<ScheduleRawInput> = {}): ScheduleRawInput => ({
  name: 'nightly-qa',
  targets: 'acp-qa*',
  apps: 'com.example.app',
  backupPath: PATH,
  cron: '0 3 * * *',
  timeZone: 'Asia/Shanghai',
  ...overrides,
});

describe('schedule service', () => {
  const memory = useMemoryDatabase();
  const START = Date.parse('2026-12-05T00:00:00Z');
  let now = START;
  beforeEach(() => {
    now = START;
  });

  function setup(options: { listing?: readonly InstanceSummary[] | undefined } = { listing: FLEET }) {
    const { listing } = options;
    const clock = { now: () => now };
    const audit = createAuditTrail({ repo: memory.repos.audit, clock });
    const permissions = createPolicyPermissions({ policy: parsePolicy(POLICY, 'policy.yaml') });
    const guard = createAccessGuard({ permissions, audit });
    const schedules = createScheduleService({
      repo: memory.repos.schedules,
      guard,
      audit,
      clock,
      listInstances: async () => listing,
    });
    const entries = (action: string) => audit.recent({}).filter((e) => e.action === action);
    return { schedules, entries };
  }

  it('creates a schedule for an owner with backup on every target, with its first slot, and audits it', async () => {
    const { schedules, entries } = setup();
    const created = await schedules.create({ actor: actor(QA), channelId: CHANNEL, raw: raw() });
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.schedule.ownerId).toBe(QA);
    expect(created.schedule.state).toBe('active');
    expect(created.schedule.nextSlotAt).toBe(nextRun({ cron: '0 3 * * *', timeZone: 'Asia/Shanghai' }, now));
    expect(created.schedule.nextSlotAt).toBe(Date.parse('2026-12-05T19:00:00Z'));
    const [entry] = entries('schedule-create');
    expect(entry?.decision).toBe('allowed');
    expect(entry?.subjectIds).toEqual(expect.arrayContaining(['acp-qa1', 'acp-qa2']));
  });

  it('refuses a schedule with retention unless its owner may also delete on the targets', async () => {
    const { schedules, entries } = setup();
    const denied = await schedules.create({ actor: actor(QA), channelId: CHANNEL, raw: raw({ keep: '7' }) });
    expect(denied.ok).toBe(false);
    if (!denied.ok && denied.kind === 'denied') expect(denied.denial.reason).toContain('retention');
    else throw new Error(`expected a denial, got ${JSON.stringify(denied)}`);
    expect(memory.repos.schedules.list(TEAM)).toEqual([]);
    expect(entries('schedule-create')[0]?.decision).toBe('denied');

    const lead = await schedules.create({ actor: actor(LEAD), channelId: CHANNEL, raw: raw({ maxAge: '30d' }) });
    expect(lead.ok).toBe(true);
  });

  it('refuses targets outside the owner backup scope, and saves nothing', async () => {
    const { schedules } = setup();
    const denied = await schedules.create({
      actor: actor(QA),
      channelId: CHANNEL,
      raw: raw({ targets: 'acp-qa1,acp-prod1' }),
    });
    expect(denied).toMatchObject({ ok: false, kind: 'denied' });
    if (!denied.ok && denied.kind === 'denied') expect(denied.denial.reason).toContain('acp-prod1');
    expect(memory.repos.schedules.list(TEAM)).toEqual([]);
  });

  it('says which target matches no instance, and when the fleet cannot be listed', async () => {
    const { schedules } = setup();
    const unmatched = await schedules.create({
      actor: actor(QA),
      channelId: CHANNEL,
      raw: raw({ targets: 'acp-qa1,acp-qax*,ag-nothing' }),
    });
    expect(unmatched).toMatchObject({ ok: false, kind: 'errors' });
    if (!unmatched.ok && unmatched.kind === 'errors') {
      expect(unmatched.errors.targets).toContain('`acp-qax*`, `ag-nothing` match no instance');
    }
    const noListing = await setup({ listing: undefined }).schedules.create({
      actor: actor(QA),
      channelId: CHANNEL,
      raw: raw(),
    });
    if (!noListing.ok && noListing.kind === 'errors') expect(noListing.errors.targets).toContain('could not be listed');
    else throw new Error('expected a targets error');
  });

  it('refuses a name already taken, under the name', async () => {
    const { schedules } = setup();
    expect((await schedules.create({ actor: actor(QA), channelId: CHANNEL, raw: raw() })).ok).toBe(true);
    const again = await schedules.create({ actor: actor(LEAD), channelId: CHANNEL, raw: raw() });
    if (!again.ok && again.kind === 'errors') expect(again.errors.name).toContain('already exists');
    else throw new Error('expected a name error');
  });

  it('lets only the owner and admins pause, resume, change and delete', async () => {
    const { schedules, entries } = setup();
    await schedules.create({ actor: actor(QA), channelId: CHANNEL, raw: raw() });
    const byOther = await schedules.pause({ actor: actor(LEAD), channelId: CHANNEL, name: 'nightly-qa' });
    expect(byOther).toMatchObject({ ok: false, kind: 'denied' });
    if (!byOther.ok && byOther.kind === 'denied') expect(byOther.denial.reason).toContain(`<@${QA}>`);
    expect(entries('schedule-pause')[0]?.decision).toBe('denied');
    expect(memory.repos.schedules.byName(TEAM, 'nightly-qa')?.state).toBe('active');

    const paused = await schedules.pause({ actor: actor(QA), channelId: CHANNEL, name: 'nightly-qa' });
    expect(paused).toMatchObject({ ok: true, schedule: { state: 'paused', nextSlotAt: undefined } });

    now = Date.parse('2026-12-10T12:00:00Z');
    const resumed = await schedules.resume({ actor: actor(ADMIN), channelId: CHANNEL, name: 'nightly-qa' });
    expect(resumed).toMatchObject({
      ok: true,
      schedule: { state: 'active', nextSlotAt: Date.parse('2026-12-10T19:00:00Z') },
    });

    const changedByOther = await schedules.change({
      actor: actor(LEAD),
      channelId: CHANNEL,
      name: 'nightly-qa',
      raw: raw({ cron: '0 4 * * *' }),
    });
    expect(changedByOther).toMatchObject({ ok: false, kind: 'denied' });
    // A change is checked against the owner's rights: the admin adds retention, which the owner may not delete.
    const retention = await schedules.change({
      actor: actor(ADMIN),
      channelId: CHANNEL,
      name: 'nightly-qa',
      raw: raw({ keep: '3' }),
    });
    expect(retention).toMatchObject({ ok: false, kind: 'denied' });
    const changed = await schedules.change({
      actor: actor(ADMIN),
      channelId: CHANNEL,
      name: 'nightly-qa',
      raw: raw({ cron: '0 4 * * *' }),
    });
    expect(changed).toMatchObject({ ok: true, schedule: { spec: { cron: '0 4 * * *' } } });
    expect(entries('schedule-change').map((e) => e.decision)).toEqual(['allowed', 'denied', 'denied']);

    const id = memory.repos.schedules.byName(TEAM, 'nightly-qa')?.id ?? '';
    expect(await schedules.checkManage({ actor: actor(LEAD), channelId: CHANNEL, name: 'nightly-qa' })).toMatchObject({
      ok: false,
      kind: 'denied',
    });
    expect(await schedules.delete({ actor: actor(LEAD), channelId: CHANNEL, scheduleId: id })).toMatchObject({
      ok: false,
      kind: 'denied',
    });
    expect(await schedules.delete({ actor: actor(QA), channelId: CHANNEL, scheduleId: id })).toMatchObject({
      ok: true,
    });
    expect(memory.repos.schedules.byName(TEAM, 'nightly-qa')).toBeUndefined();
    expect(entries('schedule-delete').map((e) => e.decision)).toEqual(['allowed', 'denied']);
    expect(entries('schedule-resume')[0]?.userId).toBe(ADMIN);
  });

  it('lists to others only the schedules whose instances are all in their scope', async () => {
    const { schedules } = setup();
    await schedules.create({ actor: actor(QA), channelId: CHANNEL, raw: raw({ name: 'qa-nightly' }) });
    await schedules.create({
      actor: actor(ADMIN),
      channelId: CHANNEL,
      raw: raw({ name: 'prod-nightly', targets: 'ag-prod' }),
    });
    await schedules.create({
      actor: actor(ADMIN),
      channelId: CHANNEL,
      raw: raw({ name: 'everything', targets: 'acp-qa1,acp-prod1' }),
    });
    const names = async (userId: string) =>
      (await schedules.list(actor(userId), CHANNEL)).map((schedule) => schedule.name);
    expect(await names(ADMIN)).toEqual(['everything', 'prod-nightly', 'qa-nightly']);
    expect(await names(PROD)).toEqual(['prod-nightly']);
    expect(await names(QA)).toEqual(['qa-nightly']);
    expect(await names(LEAD)).toEqual(['qa-nightly']);
    expect(await schedules.show(actor(PROD), CHANNEL, 'qa-nightly')).toBeUndefined();
    expect((await schedules.show(actor(LEAD), CHANNEL, 'qa-nightly'))?.ownerId).toBe(QA);
  });

  it('previews the next three runs and how many instances the targets match now', async () => {
    const { schedules } = setup();
    const preview = await schedules.preview({ cron: '0 3 * * *', timeZone: 'UTC', targets: 'acp-qa*, ag-none' });
    expect(preview.nextRuns).toEqual([
      Date.parse('2026-12-05T03:00:00Z'),
      Date.parse('2026-12-06T03:00:00Z'),
      Date.parse('2026-12-07T03:00:00Z'),
    ]);
    expect(preview.matched).toBe(2);
    expect(preview.unmatched).toEqual(['ag-none']);
    const bad = await schedules.preview({ cron: '0 3 * *', targets: 'not-a-target' });
    expect(bad).toEqual({ nextRuns: undefined, unmatched: [] });
  });
});
