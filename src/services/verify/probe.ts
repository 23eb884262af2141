/**
 * Runs the app probe (app-probe.ts) on instances: one RunSyncCommand per batch of up to 50 (the client splits), within
 * its 3 s wait. Read-only, so a step may run it again after a restart. Never throws: an instance the probe could not
 * read is answered with why, because "could not look" must not read as "not installed".
 */
import type { CloudFailure } from '../backup/model.js';
import { failureOf } from '../pipeline/cloud-failure.js';
import type { CloudPhone } from '../pipeline/ports.js';
import { type AppFacts, buildProbeCommand, PROBE_WAIT_MS, parseProbeOutput } from './app-probe.js';

/** Why an instance gave no facts: it was not running, the command did not finish in time or failed, or no answer. */
export type ProbeMiss = 'not-running' | 'timeout' | 'command-failed' | 'no-answer' | 'call-failed';

export type InstanceProbe =
  | { ok: true; apps: AppFacts[] /** Apps the output did not cover (cut off). */; missing: string[] }
  | {
      ok: false;
      miss: ProbeMiss /** The invocation status, or the failed call's error. */;
      detail?: string | undefined;
      failure?: CloudFailure | undefined;
    };

/**
 * Probes `packages` on each instance. `launch` also starts each app's launcher activity and reports whether its
 * process appeared. `notRunning` instances are not asked (the cloud would fail the command) and are answered as such.
 */
export async function probeApps(
  cloud: Pick<CloudPhone, 'runSyncCommand'>,
  input: {
    instanceIds: readonly string[];
    packages: readonly string[];
    launch: boolean;
    notRunning?: ReadonlySet<string>;
  },
): Promise<Map<string, InstanceProbe>> {
  const result = new Map<string, InstanceProbe>();
  const asked = input.instanceIds.filter((id) => !input.notRunning?.has(id));
  for (const id of input.instanceIds) if (input.notRunning?.has(id)) result.set(id, { ok: false, miss: 'not-running' });
  if (asked.length === 0 || input.packages.length === 0) {
    for (const id of asked) result.set(id, { ok: true, apps: [], missing: [] });
    return result;
  }
  const command = buildProbeCommand(input.packages, { launch: input.launch });
  let outputs: Awaited<ReturnType<CloudPhone['runSyncCommand']>>;
  try {
    outputs = await cloud.runSyncCommand({ instanceIds: asked, command, waitTimeMs: PROBE_WAIT_MS });
  } catch (error) {
    const failure = failureOf(error);
    for (const id of asked) result.set(id, { ok: false, miss: 'call-failed', detail: failure.code, failure });
    return result;
  }
  const byInstance = new Map(outputs.map((output) => [output.instanceId, output]));
  for (const id of asked) {
    const answer = byInstance.get(id);
    if (!answer) {
      result.set(id, { ok: false, miss: 'no-answer' });
      continue;
    }
    const status = answer.invocationStatus.toUpperCase();
    if (status !== 'SUCCESS') {
      // RUNNING or PENDING after the wait: the command did not finish within it.
      const miss: ProbeMiss = ['TIMEOUT', 'RUNNING', 'PENDING'].includes(status) ? 'timeout' : 'command-failed';
      result.set(id, { ok: false, miss, detail: answer.invocationStatus });
      continue;
    }
    const facts = parseProbeOutput(answer.output, input.packages);
    result.set(id, {
      ok: true,
      apps: input.packages.flatMap((name) => facts.get(name) ?? []),
      missing: input.packages.filter((name) => !facts.has(name)),
    });
  }
  return result;
}
