/**
 * One cloud phone API over several regions, each with its own endpoint (CLOUDPHONE_REGIONS). The client learns where
 * each instance, task and backup file lives from the answers it sees (the region whose endpoint listed it), sends every
 * call to that region, and splits a call over instances of several regions into one call per region. What it has not
 * seen yet it asks every region about, so nothing depends on what an earlier process learned.
 *
 * A restore stays within one region: RecoverApp takes a backup file of the endpoint's own region (the docs name no way
 * to restore across regions), so a target in another region than the backup is refused here, with the reason.
 */
import { CloudApiError } from '../errors.js';
import { type CloudPhoneApi, type CloudPhoneClientOptions, createCloudPhoneClient } from './client.js';
import type { BackupAppResult, BackupFile, Instance, Task } from './schema.js';

export interface RegionEndpoint {
  region: string;
  endpoint: string | URL;
}

export interface RegionalClientOptions extends Omit<CloudPhoneClientOptions, 'endpoint'> {
  /** The first is the home region: ids no region has listed are sent there (and answered "not found" there). */
  regions: readonly RegionEndpoint[];
}

export interface RegionalCloudPhoneApi extends CloudPhoneApi {
  /** The configured regions, home first. */
  readonly regions: readonly string[];
  /** The region an instance was listed in, once the client has seen it. */
  regionOf(instanceId: string): string | undefined;
  /**
   * The region of a task: where an answer named it, else its instance's. Undefined with one region (no grouping is
   * needed) and for a task and instance not seen yet (DescribeTasks then asks every region about it, once).
   */
  regionOfTask?(task: { taskId: string; instanceId: string }): string | undefined;
}

type Located<T> = T & { region: string };

function groupBy(ids: readonly string[], regionOf: (id: string) => string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const region = regionOf(id);
    groups.set(region, [...(groups.get(region) ?? []), id]);
  }
  return groups;
}

export function createRegionalCloudPhoneClient(options: RegionalClientOptions): RegionalCloudPhoneApi {
  const { regions: endpoints, ...shared } = options;
  if (endpoints.length === 0) throw new RangeError('at least one region is needed');
  const clients = new Map<string, CloudPhoneApi>();
  for (const { region, endpoint } of endpoints) {
    if (clients.has(region)) throw new RangeError(`region ${region} is listed twice`);
    clients.set(region, createCloudPhoneClient({ ...shared, endpoint }));
  }
  const regions = [...clients.keys()];
  const home = regions[0] as string;
  const instanceRegion = new Map<string, string>();
  const taskRegion = new Map<string, string>();
  const fileRegion = new Map<string, string>();
  const invokeRegion = new Map<string, string>();

  const client = (region: string) => clients.get(region) as CloudPhoneApi;

  function located<T extends object>(items: T[], region: string, learn: (item: T) => void): Located<T>[] {
    return items.map((item) => {
      learn(item);
      return { ...item, region };
    });
  }
  const learnInstance = (region: string) => (i: Instance) => instanceRegion.set(i.instanceId, region);
  const learnTask = (region: string) => (t: Task) => taskRegion.set(t.taskId, region);
  const learnFile = (region: string) => (f: BackupFile) => {
    fileRegion.set(f.backupFileId, region);
    if (f.taskId) taskRegion.set(f.taskId, region);
  };

  /** The same read in each of `among`, answers merged (home first). */
  async function everywhere<T>(read: (region: string) => Promise<T[]>, among = regions): Promise<T[]> {
    return (await Promise.all(among.map(read))).flat();
  }

  /**
   * A read by ids: one call per region for the ids whose region is known (DescribeTasks: one batch per region), and
   * the ids not seen yet asked of every region, once.
   */
  async function byKnownRegion<T>(
    ids: readonly string[],
    known: ReadonlyMap<string, string>,
    read: (region: string, ids: string[]) => Promise<T[]>,
  ): Promise<T[]> {
    const out: T[] = [];
    const seen = ids.filter((id) => known.has(id));
    for (const [region, group] of groupBy(seen, (id) => known.get(id) as string))
      out.push(...(await read(region, group)));
    const unseen = ids.filter((id) => !known.has(id));
    if (unseen.length > 0) out.push(...(await everywhere((region) => read(region, unseen))));
    return out;
  }

  async function describeInstances(query: Parameters<CloudPhoneApi['describeInstances']>[0] = {}) {
    const read = (region: string, instanceIds = query.instanceIds) =>
      client(region)
        .describeInstances({ ...query, instanceIds })
        .then((found) => located(found, region, learnInstance(region)));
    if (query.instanceIds === undefined || clients.size === 1) return everywhere((region) => read(region));
    return byKnownRegion(query.instanceIds, instanceRegion, read);
  }

  /** Instance ids by the region they live in, asking the regions about ids not seen yet. */
  async function byInstanceRegion(instanceIds: readonly string[]): Promise<Map<string, string[]>> {
    if (clients.size === 1) return new Map([[home, [...instanceIds]]]);
    const unknown = instanceIds.filter((id) => !instanceRegion.has(id));
    if (unknown.length > 0) await describeInstances({ instanceIds: unknown });
    return groupBy(instanceIds, (id) => instanceRegion.get(id) ?? home);
  }

  /** One call per region for a call over instances; the answers' RequestIds are remembered for InvokeId lookups. */
  async function perRegion<R extends { requestId: string }>(
    instanceIds: readonly string[],
    call: (api: CloudPhoneApi, ids: string[], region: string) => Promise<R>,
  ): Promise<R[]> {
    const answers: R[] = [];
    for (const [region, ids] of await byInstanceRegion(instanceIds)) {
      const answer = await call(client(region), ids, region);
      invokeRegion.set(answer.requestId, region);
      answers.push(answer);
    }
    return answers;
  }

  async function regionOfFile(backupFileId: string): Promise<string | undefined> {
    if (clients.size === 1) return home;
    if (!fileRegion.has(backupFileId)) await api.describeBackupFiles({ backupFileId });
    return fileRegion.get(backupFileId);
  }

  const api: RegionalCloudPhoneApi = {
    regions,
    regionOf: (instanceId) => (clients.size === 1 ? home : instanceRegion.get(instanceId)),
    ...(clients.size > 1
      ? {
          regionOfTask: ({ taskId, instanceId }: { taskId: string; instanceId: string }) =>
            taskRegion.get(taskId) ?? instanceRegion.get(instanceId),
        }
      : {}),

    describeInstances,

    async stopInstances(instanceIds, stopOptions) {
      const [first] = await perRegion(instanceIds, (api, ids) => api.stopInstances(ids, stopOptions));
      return first as { requestId: string };
    },

    async startInstances(instanceIds) {
      const [first] = await perRegion(instanceIds, (api, ids) => api.startInstances(ids));
      return first as { requestId: string };
    },

    async backupApp(request) {
      const answers = await perRegion(request.instanceIds, async (api, instanceIds, region) => {
        const answer = await api.backupApp({ ...request, instanceIds });
        taskRegion.set(answer.taskId, region);
        for (const item of answer.items) {
          taskRegion.set(item.taskId, region);
          if (item.backupFileId) fileRegion.set(item.backupFileId, region);
        }
        return answer;
      });
      return merge(answers);
    },

    async recoverApp(request) {
      const backupRegion = await regionOfFile(request.backupFileId);
      const groups = await byInstanceRegion(request.instanceIds);
      const elsewhere = [...groups].filter(([region]) => region !== backupRegion);
      if (backupRegion !== undefined && elsewhere.length > 0) {
        const targets = elsewhere.map(([region, ids]) => `${ids.join(', ')} (${region})`).join('; ');
        throw new CloudApiError({
          apiCode: 'CrossRegionRestore',
          apiMessage: `backup ${request.backupFileId} is in ${backupRegion}, and a restore stays within the backup's region; not restored on ${targets}`,
          action: 'RecoverApp',
        });
      }
      const region = backupRegion ?? home;
      const answer = await client(region).recoverApp(request);
      invokeRegion.set(answer.requestId, region);
      taskRegion.set(answer.taskId, region);
      for (const item of answer.items) taskRegion.set(item.taskId, region);
      return answer;
    },

    async describeTasks(query = {}) {
      const read = (region: string, taskIds = query.taskIds) =>
        client(region)
          .describeTasks({ ...query, taskIds })
          .then((found) => located(found, region, learnTask(region)));
      if (clients.size === 1) return read(home);
      // The caller knows the region (the poller, from the tasks' instances): one region asked, even after a restart.
      if (query.taskIds !== undefined && query.region !== undefined && clients.has(query.region)) {
        return read(query.region);
      }
      if (query.taskIds !== undefined) {
        return byKnownRegion(query.taskIds, taskRegion, read);
      }
      const pinned =
        (query.invokeId && invokeRegion.get(query.invokeId)) ||
        (query.parentTaskId && taskRegion.get(query.parentTaskId));
      return pinned ? read(pinned) : everywhere((region) => read(region));
    },

    async describeBackupFiles(query = {}) {
      const read = (region: string) =>
        client(region)
          .describeBackupFiles(query)
          .then((found) => located(found, region, learnFile(region)));
      const pinned =
        (query.backupFileId && fileRegion.get(query.backupFileId)) ||
        (query.instanceId && instanceRegion.get(query.instanceId));
      return pinned || clients.size === 1 ? read(pinned || home) : everywhere(read);
    },

    async deleteBackupFiles(backupFileIds) {
      const groups = new Map<string, string[]>();
      for (const id of backupFileIds) {
        const region = (await regionOfFile(id)) ?? home;
        groups.set(region, [...(groups.get(region) ?? []), id]);
      }
      const answers: { requestId: string }[] = [];
      for (const [region, ids] of groups) answers.push(await client(region).deleteBackupFiles(ids));
      return answers[0] as { requestId: string };
    },

    async runSyncCommand(request) {
      const outputs = [];
      for (const [region, instanceIds] of await byInstanceRegion(request.instanceIds)) {
        outputs.push(...(await client(region).runSyncCommand({ ...request, instanceIds })));
      }
      return outputs;
    },

    async listInstalledPackages(instanceIds) {
      const result = new Map<string, string[]>();
      for (const [region, ids] of await byInstanceRegion(instanceIds)) {
        for (const [id, packages] of await client(region).listInstalledPackages(ids)) result.set(id, packages);
      }
      return result;
    },

    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
  return api;
}

/** One BackupApp answer from the per-region answers: every region's items; the first region's ids. */
function merge(answers: BackupAppResult[]): BackupAppResult {
  const [first] = answers as [BackupAppResult, ...BackupAppResult[]];
  return {
    ...first,
    count: answers.reduce((sum, answer) => sum + answer.count, 0),
    items: answers.flatMap((answer) => answer.items),
    unusable: answers.flatMap((answer) => answer.unusable),
  };
}
