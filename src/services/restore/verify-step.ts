/**
 * The restore's verify step (issue 17), between track and report: on every target the restore succeeded on, the app
 * probe checks each restored app (installed, the backup's version, data not empty and within the size tolerance of
 * the source's at backup time, started) with one RunSyncCommand per 50 targets. What it found is kept for the reply;
 * when every checked target passed, the restore is recorded as verified automatically, with that evidence. A target
 * that cannot be checked (stopped, command not answering) leaves the backup unverified and says why.
 */
import type { Logger } from 'pino';
import type { Repositories } from '../../db/index.js';
import type { Clock, CloudPhone } from '../pipeline/ports.js';
import { checkTarget, type TargetCheck } from '../verify/compare.js';
import { type InstanceProbe, probeApps } from '../verify/probe.js';

export interface VerifyStepDeps {
  repos: Repositories;
  cloud: Pick<CloudPhone, 'describeInstances' | 'runSyncCommand'>;
  clock: Clock;
  logger: Logger;
  /** CLOUDPHONE_VERIFY_SIZE_TOLERANCE: how far (a fraction) a restored app's data may differ from the source's. */
  sizeTolerance: number;
  /** Ends the restore: final status and the completion reply (the workflow's finish). */
  finish: (id: string) => void;
}

export function createVerifyStep(deps: VerifyStepDeps) {
  const { repos, cloud, clock, logger } = deps;

  async function statuses(ids: string[]): Promise<Map<string, string> | undefined> {
    try {
      const found = await cloud.describeInstances({ instanceIds: ids });
      return new Map(found.map((instance) => [instance.instanceId, instance.status]));
    } catch (error) {
      // The probe itself then says which targets could not answer.
      logger.warn({ err: error }, 'DescribeAndroidInstances failed before the restore check; probing anyway');
      return undefined;
    }
  }

  return async function verify(id: string): Promise<void> {
    const record = repos.restores.get(id);
    if (!record) throw new Error(`restore ${id} vanished`);
    const restored = record.targets.filter((target) => target.state === 'succeeded').map((t) => t.instanceId);
    const packages = record.backup.apps;
    if (restored.length === 0 || packages.length === 0) return deps.finish(id);

    const seen = await statuses(restored);
    const notRunning = new Set(restored.filter((instanceId) => seen && seen.get(instanceId) !== 'RUNNING'));
    let probes: Map<string, InstanceProbe>;
    try {
      probes = await probeApps(cloud, { instanceIds: restored, packages, launch: true, notRunning });
    } catch (error) {
      // Only a package name the probe refuses gets here (names were checked when the backup was asked for).
      logger.error({ requestId: id, err: error }, 'could not build the restore check');
      return deps.finish(id);
    }
    const source = repos.appFacts.sourceForFile(record.backup.backupFileId);
    const checks: TargetCheck[] = restored.map((instanceId) =>
      checkTarget({
        instanceId,
        packages,
        probe: probes.get(instanceId) ?? { ok: false, miss: 'no-answer' },
        source,
        tolerance: deps.sizeTolerance,
        status: seen?.get(instanceId) ?? 'missing',
      }),
    );
    const passed = checks.every((check) => check.outcome === 'passed');
    repos.db.transaction(() => {
      repos.appFacts.saveChecks(id, checks, clock.now());
      if (passed) {
        repos.verifications.addAutomatic({
          backupFileId: record.backup.backupFileId,
          restoreRequestId: id,
          teamId: record.actor.teamId,
          evidence: checks,
          now: clock.now(),
        });
      }
    })();
    logger.info(
      { requestId: id, checked: checks.length, passed: checks.filter((c) => c.outcome === 'passed').length },
      passed ? 'restore verified automatically' : 'restore not verified automatically',
    );
    deps.finish(id);
  };
}
