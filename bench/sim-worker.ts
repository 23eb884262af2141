/**
 * The cloud phone simulator in its own process (the real cloud is remote; here it must not share the bot's CPU or
 * memory). The bench steers it over IPC: add instances, read the request log, look up task times.
 */

import {
  type CallRateReport,
  type Faults,
  type Simulator,
  startSimulator,
  type Timing,
} from '../src/sandbox/simulator/index.js';
import { complete, createBatch, markProcessing } from '../src/sandbox/simulator/tasks.js';
import { serveRpc } from './rpc.js';

let sim: Simulator | undefined;
/** The fleet row's sampler of phones not RUNNING (stopped, stopping, being backed up). */
let notRunning: { timer: NodeJS.Timeout; ids: string[]; peak: number } | undefined;

function simulator(): Simulator {
  if (!sim) throw new Error('simulator not started');
  return sim;
}

export interface TaskTimes {
  taskId: string;
  status: string;
  /** Simulator clock (epoch ms, the machine's clock here) when the task ended. */
  finishedAt: number | undefined;
  /** When the BackupApp call that created the task arrived. */
  createdAt: number;
  /** Arrival times of every DescribeTasks request that asked for this task. */
  polls: number[];
}

const handlers = {
  /** `region`: the region this endpoint serves; `credentials`: another region's key pair, so one key signs for all. */
  async start(args: {
    timing: Partial<Timing>;
    seed: number;
    region?: string;
    credentials?: { accessKeyId: string; accessKeySecret: string };
    /** No default phones: the bench adds its own fleet. */
    emptyFleet?: boolean;
  }) {
    sim = await startSimulator({
      timing: args.timing,
      seed: args.seed,
      ...(args.emptyFleet ? { fleet: [] } : {}),
      runningBackupFailureRate: 0,
      ...(args.region ? { region: args.region } : {}),
      ...(args.credentials ? { credentials: [args.credentials] } : {}),
    });
    return { url: sim.url, credentials: sim.credentials[0]! };
  },

  /** Adds instances with the given status and installed packages; returns their (simulator-made) ids. */
  addInstances(args: { count: number; status: 'RUNNING' | 'STOPPED'; packages: string[]; namePrefix: string }) {
    const ids: string[] = [];
    for (let i = 0; i < args.count; i++) {
      ids.push(
        simulator().addInstance({ status: args.status, packages: args.packages, name: `${args.namePrefix}-${i}` }).id,
      );
    }
    return ids;
  },

  /**
   * Puts backups in flight the way BackupApp does (a batch task per 100 instances, one instance task each, instance
   * BACKUPING), straight into the state, already Processing. Quicker than 10,000 real BackupApp calls, which cost the
   * simulator O(files) each for their backup file names. Returns the instance task ids in the order given.
   */
  seedBackupTasks(args: { instanceIds: string[]; apps: string[] }) {
    const s = simulator();
    const state = s.state;
    const now = s.now();
    const taskIds: string[] = [];
    for (let i = 0; i < args.instanceIds.length; i += 100) {
      const instances = args.instanceIds.slice(i, i + 100).map((id) => {
        const instance = state.instances.get(id);
        if (!instance) throw new Error(`no instance ${id}`);
        return instance;
      });
      const param = JSON.stringify({
        SourceAppList: args.apps,
        BackupFilePath: 'oss://cloudphone-saved-bucket-bench/b/',
      });
      const { children } = createBatch(state, now, 'BackupFile', state.ids.requestId(), instances, param);
      for (const instance of instances) {
        const task = children.get(instance.id)!;
        state.holdStatus(instance, 'BACKUPING', now);
        markProcessing(state, task, now);
        taskIds.push(task.id);
      }
    }
    return taskIds;
  },

  /** Ends every seeded backup task successfully (instances back to STOPPED), as if the backups were done. */
  finishSeededTasks() {
    const s = simulator();
    const state = s.state;
    const now = s.now();
    let finished = 0;
    for (const task of state.tasks.values()) {
      if (task.type !== 'BackupFile' || task.level !== 2 || task.status !== 'Processing') continue;
      const instance = task.instanceId ? state.instances.get(task.instanceId) : undefined;
      if (instance) state.holdStatus(instance, 'STOPPED', now);
      complete(state, task, now, { ok: true });
      finished++;
    }
    return finished;
  },

  /** Position in the request log, to count what came after. */
  mark() {
    return simulator().requests.length;
  },

  /** Requests of `action` logged since `since` (a mark), by HTTP status. */
  count(args: { since: number; action: string }) {
    const byStatus: Record<string, number> = {};
    let total = 0;
    const log = simulator().requests;
    for (let i = args.since; i < log.length; i++) {
      const entry = log[i]!;
      if (entry.action !== args.action) continue;
      total++;
      byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
    }
    return { total, byStatus };
  },

  /** Every logged request by action (for the notes). */
  actions(args: { since: number }) {
    const counts: Record<string, number> = {};
    const log = simulator().requests;
    for (let i = args.since; i < log.length; i++) {
      const action = log[i]!.action;
      counts[action] = (counts[action] ?? 0) + 1;
    }
    return counts;
  },

  /** When each task was created, polled and finished, from the state and the request log. */
  taskTimes(args: { taskIds: string[] }): TaskTimes[] {
    const s = simulator();
    const wanted = new Set(args.taskIds);
    const polls = new Map<string, number[]>();
    const arrivals = new Map<string, number>();
    for (const entry of s.requests) {
      arrivals.set(entry.requestId, entry.at);
      if (entry.action !== 'DescribeTasks') continue;
      for (const value of Object.values(entry.params)) {
        if (!wanted.has(value)) continue;
        const list = polls.get(value) ?? [];
        list.push(entry.at);
        polls.set(value, list);
      }
    }
    const state = s.state;
    return args.taskIds.map((taskId) => {
      const task = state.tasks.get(taskId);
      if (!task) throw new Error(`no task ${taskId} in the simulator`);
      return {
        taskId,
        status: task.status,
        finishedAt: task.finishedAt,
        createdAt: arrivals.get(task.invokeId) ?? task.createdAt,
        polls: polls.get(taskId) ?? [],
      };
    });
  },

  /** Instance-level BackupApp tasks not yet ended. */
  openBackupTasks() {
    let open = 0;
    for (const task of simulator().state.tasks.values()) {
      if (task.type === 'BackupFile' && task.level === 2 && task.finishedAt === undefined) open++;
    }
    return open;
  },

  /** Replaces the injected faults (see src/sandbox/simulator/faults.ts). */
  setFaults(args: { faults: Faults }) {
    simulator().setFaults(args.faults);
  },

  /**
   * Enforces the account's call-rate quota (`callsPerSecond`; undefined lifts it): calls over it are answered
   * Throttling.User. Starts the rate measurement afresh, so set it at the start of a row.
   */
  setRateLimit(args: { callsPerSecond: number | undefined }) {
    simulator().setRateLimit(args.callsPerSecond === undefined ? undefined : { callsPerSecond: args.callsPerSecond });
  },

  /** The limit, the peak rate the bot sent at (most calls in any one second) and the calls throttled, since then. */
  callRate(): CallRateReport {
    return simulator().callRate();
  },

  /** Each instance's status now. */
  statuses(args: { ids: string[] }) {
    const state = simulator().state;
    return args.ids.map((id) => state.instances.get(id)?.status ?? 'MISSING');
  },

  /** How many of these requests have an AVAILABLE backup file (the bot marks its files' descriptions). */
  availableBackups(args: { requestIds: string[] }) {
    const files = [...simulator().state.backupFiles.values()];
    return args.requestIds.filter((id) =>
      files.some((file) => file.status === 'AVAILABLE' && file.description?.includes(id)),
    ).length;
  },

  /** Requests that met an injected fault since `since` (a mark). */
  faulted(args: { since: number }) {
    return simulator()
      .requests.slice(args.since)
      .filter((entry) => entry.fault).length;
  },

  /** Samples, every 25 ms until `stopSampling`, how many of these phones are not RUNNING; keeps the peak. */
  startSampling(args: { ids: string[] }) {
    const state = simulator().state;
    const sample = { ids: args.ids, peak: 0, timer: setInterval(() => undefined, 1_000) };
    clearInterval(sample.timer);
    sample.timer = setInterval(() => {
      let n = 0;
      for (const id of sample.ids) if (state.instances.get(id)?.status !== 'RUNNING') n++;
      if (n > sample.peak) sample.peak = n;
    }, 25);
    notRunning = sample;
  },

  stopSampling() {
    if (!notRunning) return 0;
    clearInterval(notRunning.timer);
    const { peak } = notRunning;
    notRunning = undefined;
    return peak;
  },

  /** The request log since `since`: DescribeTasks calls and how many task ids they asked about. */
  describeTasksProfile(args: { since: number }) {
    let describeTasks = 0;
    let taskIdsAsked = 0;
    const log = simulator().requests;
    for (let i = args.since; i < log.length; i++) {
      const entry = log[i]!;
      if (entry.action !== 'DescribeTasks') continue;
      describeTasks++;
      taskIdsAsked += Object.keys(entry.params).filter((key) => key.startsWith('TaskIds')).length;
    }
    return { describeTasks, taskIdsAsked };
  },

  /** Calls by action in the request log since `since` (a mark), refused ones included, most first. */
  actionProfile(args: { since: number }) {
    const count = new Map<string, number>();
    const log = simulator().requests;
    for (let i = args.since; i < log.length; i++) {
      const action = log[i]!.action;
      count.set(action, (count.get(action) ?? 0) + 1);
    }
    return [...count].sort((a, b) => b[1] - a[1]);
  },

  /** Backup files (AVAILABLE) per instance whose description contains `marker`: instances with none, with several. */
  backupsPerInstance(args: { ids: string[]; marker: string }) {
    const count = new Map<string, number>();
    for (const file of simulator().state.backupFiles.values()) {
      if (file.status !== 'AVAILABLE' || !file.description?.includes(args.marker) || !file.instanceId) continue;
      count.set(file.instanceId, (count.get(file.instanceId) ?? 0) + 1);
    }
    let none = 0;
    let several = 0;
    for (const id of args.ids) {
      const n = count.get(id) ?? 0;
      if (n === 0) none++;
      if (n > 1) several++;
    }
    return { none, several };
  },

  clearLog() {
    simulator().clearRequests();
  },

  async stop() {
    await sim?.close();
    sim = undefined;
  },
};

export type SimHandlers = typeof handlers;

serveRpc(handlers);
