/**
 * The bot over a fleet in two regions (one simulator per region, as the service has one endpoint per region): policy
 * roles limited to regions, and backups that follow each instance's region.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BACKUP_PATH, CHANNEL, type Harness, HOME_REGION, startHarness } from '../support/harness.js';
import { writePolicyFile } from '../support/policy-file.js';

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
