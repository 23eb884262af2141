/**
 * The bot over a fleet in two regions (one simulator per region, as the service has one endpoint per region): policy
 * roles limited to regions, and backups that upload through the OSS endpoint of their instances' region.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK } from '../../src/blocks/ids.js';
import { backupFormValues, openBackupModal, threadedReply } from '../support/backup-flows.js';
import { BACKUP_PATH, CHANNEL, type Harness, HOME_REGION, startHarness } from '../support/harness.js';
import { writePolicyFile } from '../support/policy-file.js';
import {
  botBackup,
  checkTargets,
  openRestoreForm,
  parentTargetLine,
  restoreReply,
  shown,
  targetLine,
} from '../support/restore-flows.js';

const HANGZHOU = 'cn-hangzhou';
const HZ_PHONE = 'acp-hz01';

let h: Harness | undefined;
let policyFile: ReturnType<typeof writePolicyFile> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  policyFile?.remove();
  policyFile = undefined;
});

const hangzhouFleet = {
  fleet: [{ id: HZ_PHONE, name: 'hz-01', status: 'STOPPED' as const, packages: ['com.tencent.mm'] }],
};

async function inline(harness: Harness, userId: string, text: string) {
  const res = await harness.driver.slashCommand({ command: '/cloudphone', text, userId, channelId: CHANNEL });
  expect(res.status).toBe(200);
  expect(res.withinAckBudget).toBe(true);
  return JSON.stringify(res.body);
}

describe('a policy role limited to one region', () => {
  it('is refused on an instance in another region, naming both regions, and allowed in its own', async () => {
    policyFile = writePolicyFile([
      'roles:',
      '  - name: shanghai-desk',
      '    members: [U0ALICE]',
      '    actions: [backup, status]',
      '    instances: ["acp-*"]',
      `    regions: [${HOME_REGION}]`,
      `    locations: ["${BACKUP_PATH}"]`,
    ]);
    h = await startHarness({
      env: { CLOUDPHONE_ADMINS: 'U0NOBODY', CLOUDPHONE_POLICY: policyFile.path },
      regionSimulators: { [HANGZHOU]: hangzhouFleet },
    });
    const hangzhou = h.bot.simulators.get(HANGZHOU)!;
    const refused = await inline(h, 'U0ALICE', `backup ${HZ_PHONE} --apps com.tencent.mm --path ${BACKUP_PATH}`);
    expect(refused).toContain(`instances in ${HOME_REGION} only`);
    expect(refused).toContain(`${HZ_PHONE} is in ${HANGZHOU}`);
    expect(refused).not.toContain('req-');
    expect(hangzhou.requests.filter((r) => r.action === 'BackupApp')).toHaveLength(0);
    expect(h.bot.services.audit.recent({ limit: 1 })[0]).toMatchObject({ decision: 'denied' });

    const home = h.instance('support-02');
    const allowed = await inline(h, 'U0ALICE', `backup ${home} --apps com.tencent.mm --path ${BACKUP_PATH}`);
    expect(allowed).toContain('req-');
    expect(h.bot.services.audit.recent({ limit: 1 })[0]).toMatchObject({
      decision: 'allowed',
      rule: 'role:shanghai-desk',
    });
  });
});

const HZ_INTERNAL = 'oss-cn-hangzhou-internal.aliyuncs.com';
const SH_INTERNAL = `oss-${HOME_REGION}-internal.aliyuncs.com`;

/** The option the modal's endpoint field starts with. */
function initialEndpoint(view: { blocks: unknown[] }): string | undefined {
  const block = view.blocks.find((b) => (b as { block_id?: string }).block_id === BLOCK.endpoint) as
    | { element: { initial_option?: { value: string }; initial_value?: string } }
    | undefined;
  return block?.element.initial_option?.value ?? block?.element.initial_value;
}

const backupAppsAt = (harness: Harness, region: string) =>
  (region === HOME_REGION ? harness.sim : harness.bot.simulators.get(region)!).requests.filter(
    (r) => r.action === 'BackupApp',
  );

describe("a backup uploads within its instances' region", () => {
  it("opens the form with the internal OSS endpoint of the typed instance's region, and backs up through it", async () => {
    h = await startHarness({ regionSimulators: { [HANGZHOU]: hangzhouFleet } });
    const view = await openBackupModal(h, [HZ_PHONE]);
    expect(initialEndpoint(view)).toBe(HZ_INTERNAL);

    const submitted = await h.driver.submitView({ viewId: view.id, values: backupFormValues(['com.tencent.mm']) });
    expect(submitted.outcome.kind).toBe('closed');
    const reply = await threadedReply(h);
    const file = [...h.bot.simulators.get(HANGZHOU)!.state.backupFiles.values()].find((f) => f.instanceId === HZ_PHONE);
    expect(file?.status).toBe('AVAILABLE');
    expect(JSON.stringify(reply)).toContain(file!.id);
    expect(backupAppsAt(h, HANGZHOU).map((r) => r.params.UploadEndpoint)).toEqual([HZ_INTERNAL]);
    expect(backupAppsAt(h, HOME_REGION)).toHaveLength(0);
  });

  it('refuses a form whose endpoint is in another region than the instance, saying which endpoint to choose', async () => {
    h = await startHarness({ regionSimulators: { [HANGZHOU]: hangzhouFleet } });
    const view = await openBackupModal(h, [HZ_PHONE]);
    const submitted = await h.driver.submitView({
      viewId: view.id,
      values: { ...backupFormValues(['com.tencent.mm']), [BLOCK.endpoint]: { [ACTION.endpoint]: SH_INTERNAL } },
    });
    expect(submitted.outcome.kind).toBe('errors');
    const errors = (submitted.body as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors)).toEqual([BLOCK.endpoint]);
    // Field errors are plain text in Slack: no code marks.
    expect(errors[BLOCK.endpoint]).toContain(`${SH_INTERNAL} is in ${HOME_REGION}, but ${HZ_PHONE} is in ${HANGZHOU}`);
    expect(errors[BLOCK.endpoint]).toContain(`Choose ${HZ_INTERNAL}`);
    expect(backupAppsAt(h, HANGZHOU)).toHaveLength(0);
    expect(backupAppsAt(h, HOME_REGION)).toHaveLength(0);
  });

  it("inline: follows the instance's region without --endpoint, refuses a typed one of another region", async () => {
    h = await startHarness({ regionSimulators: { [HANGZHOU]: hangzhouFleet } });
    const accepted = await inline(h, 'U0ALICE', `backup ${HZ_PHONE} --apps com.tencent.mm --path ${BACKUP_PATH}`);
    expect(accepted).toContain('req-');
    await threadedReply(h);
    expect(backupAppsAt(h, HANGZHOU).map((r) => r.params.UploadEndpoint)).toEqual([HZ_INTERNAL]);

    const refused = await inline(
      h,
      'U0ALICE',
      `backup ${HZ_PHONE} --apps com.tencent.mm --path ${BACKUP_PATH} --endpoint oss-cn-shanghai.aliyuncs.com`,
    );
    expect(refused).toContain(`is in \`${HOME_REGION}\`, but \`${HZ_PHONE}\` is in \`${HANGZHOU}\``);
    expect(refused).toContain(HZ_INTERNAL);
    expect(refused).not.toContain('req-');
    expect(backupAppsAt(h, HANGZHOU)).toHaveLength(1);
  });

  it("refuses one request over instances in two regions, naming each instance's region", async () => {
    h = await startHarness({ regionSimulators: { [HANGZHOU]: hangzhouFleet } });
    const home = h.instance('support-02');
    const refused = await inline(
      h,
      'U0ALICE',
      `backup ${home} ${HZ_PHONE} --apps com.tencent.mm --path ${BACKUP_PATH}`,
    );
    expect(refused).toContain('in 2 regions');
    expect(refused).toContain(`${home}\` in \`${HOME_REGION}`);
    expect(refused).toContain(`${HZ_PHONE}\` in \`${HANGZHOU}`);
    expect(refused).toContain("back up each region's instances in a request of their own");
    expect(refused).not.toContain('req-');
    expect(backupAppsAt(h, HANGZHOU)).toHaveLength(0);
    expect(backupAppsAt(h, HOME_REGION)).toHaveLength(0);
  });
});

describe('a restore across regions', () => {
  it('refuses a target in another region than the backup, naming both, and restores the one in its region', async () => {
    h = await startHarness({ regionSimulators: { [HANGZHOU]: hangzhouFleet } });
    const hangzhou = h.bot.simulators.get(HANGZHOU)!;
    const bf = await botBackup(h, 'support-02', ['com.tencent.mm']);
    const sameRegion = h.instance('support-03');

    const form = await openRestoreForm(h, bf);
    const { confirmation } = await checkTargets(h, form, [sameRegion, HZ_PHONE]);
    const text = shown(confirmation?.blocks);
    expect(text).toContain('Refused (1)');
    expect(text).toMatch(
      new RegExp(
        `${HZ_PHONE}.{0,80}CrossRegion.{0,80}the backup is in ${HOME_REGION} and this instance in ${HANGZHOU}; a restore stays within the backup's region`,
      ),
    );

    await h.driver.submitView({ viewId: confirmation!.id });
    const { parent, reply } = await restoreReply(h);
    expect(await parentTargetLine(h, parent.ts, sameRegion)).toMatch(/^✅ .* restored/);
    expect(targetLine(reply, HZ_PHONE)).toMatch(/^🚫 .*not restored: .*CrossRegion/);
    // No RecoverApp went to the other region's endpoint, nor named the instance there.
    expect(hangzhou.requests.filter((r) => r.action === 'RecoverApp')).toHaveLength(0);
    const recovers = h.sim.requests.filter((r) => r.action === 'RecoverApp');
    expect(recovers.map((r) => Object.values(r.params).includes(HZ_PHONE))).toEqual([false]);
  });
});

describe("the backup modal's instance picker over several regions", () => {
  async function suggester(harness: Harness, userId: string) {
    const view = await openBackupModal(harness, [], CHANNEL, userId);
    return async (value: string) => {
      const res = await harness.driver.blockSuggestion({
        viewId: view.id,
        actionId: ACTION.instancePicker,
        value,
        userId,
      });
      expect(res.withinAckBudget).toBe(true);
      if ('error' in res.outcome) throw new Error(`Slack would refuse the options: ${res.outcome.error}`);
      return res.outcome.options as { text: { text: string }; value: string }[];
    };
  }

  it('offers the instances of every configured region, each showing its region, and finds them by region', async () => {
    h = await startHarness({ regionSimulators: { [HANGZHOU]: hangzhouFleet } });
    const suggest = await suggester(h, 'U0ALICE');
    const home = h.instance('support-02');
    const all = await suggest('');
    expect(all.find((o) => o.value === HZ_PHONE)?.text.text).toBe(`${HZ_PHONE} · hz-01 (STOPPED, ${HANGZHOU})`);
    expect(all.find((o) => o.value === home)?.text.text).toContain(`, ${HOME_REGION})`);
    expect(all).toHaveLength(9);
    expect((await suggest('hangzhou')).map((o) => o.value)).toEqual([HZ_PHONE]);
    expect((await suggest(`support ${HOME_REGION}`)).map((o) => o.value)).toContain(home);
    expect(await suggest(`support ${HANGZHOU}`)).toEqual([]);
  });

  it("offers a role limited to regions only its regions' instances", async () => {
    policyFile = writePolicyFile([
      'roles:',
      '  - name: hangzhou-desk',
      '    members: [U0BOB]',
      '    actions: [backup]',
      '    instances: ["acp-*"]',
      `    regions: [${HANGZHOU}]`,
      `    locations: ["${BACKUP_PATH}"]`,
    ]);
    h = await startHarness({
      env: { CLOUDPHONE_ADMINS: 'U0NOBODY', CLOUDPHONE_POLICY: policyFile.path },
      regionSimulators: { [HANGZHOU]: hangzhouFleet },
    });
    const suggest = await suggester(h, 'U0BOB');
    expect((await suggest('')).map((o) => o.value)).toEqual([HZ_PHONE]);
    expect(await suggest(h.instance('support-02'))).toEqual([]);
  });
});
