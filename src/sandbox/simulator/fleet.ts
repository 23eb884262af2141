/**
 * The simulated fleet: a default one that shows every case the bot must handle, or one given as seeds (in code or a
 * JSON file). Default ids are derived from names, not the seed, so docs and demos can quote them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { snapshotApps } from './apps.js';
import { compactTime } from './format.js';
import { imageFactsOf } from './lifecycle.js';
import { stableId } from './random.js';
import {
  appDataBytes,
  type BackupFileStatus,
  INSTANCE_STATUSES,
  type SimBackupFile,
  type SimInstance,
  type SimState,
} from './state.js';

export const InstanceSeed = z.object({
  id: z
    .string()
    .regex(/^acp-[a-z0-9]+$/)
    .optional(),
  name: z.string().min(1).optional(),
  status: z.enum(INSTANCE_STATUSES).optional(),
  groupId: z
    .string()
    .regex(/^ag-[a-z0-9]+$/)
    .optional(),
  groupName: z.string().optional(),
  imageId: z.string().optional(),
  imageVersion: z.string().optional(),
  bizImageType: z.enum(['System', 'User']).optional(),
  instanceType: z.string().optional(),
  serverType: z.string().optional(),
  systemVersion: z.string().optional(),
  regionId: z.string().optional(),
  zoneId: z.string().optional(),
  cpu: z.number().int().positive().optional(),
  memoryMb: z.number().int().positive().optional(),
  packages: z.array(z.string().min(1)).optional(),
  /** Epoch ms or an ISO date. */
  createdAt: z.union([z.number(), z.string()]).optional(),
});
export type InstanceSeed = z.infer<typeof InstanceSeed>;

/** A fleet file is either an array of seeds or `{ "instances": [...] }`. */
export const FleetFile = z.array(InstanceSeed);

function instancesOf(raw: unknown): unknown {
  // Unwrapping first (rather than a zod union) keeps the issue paths pointing at the bad seed.
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'instances' in raw ? raw.instances : raw;
}

export function loadFleetFile(path: string): InstanceSeed[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read fleet file ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = FleetFile.safeParse(instancesOf(raw));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`Invalid fleet file ${path}:\n  - ${problems.join('\n  - ')}`);
  }
  return parsed.data;
}

interface Profile {
  groupName: string;
  imageId: string;
  imageVersion: string;
  bizImageType: 'System' | 'User';
  instanceType: string;
  serverType: string;
  systemVersion: string;
  cpu: number;
  memoryMb: number;
}

/**
 * Groups share an image and a spec, as instance groups do. Against `publicGx7`, each other profile differs in exactly
 * one of the three restore-compatibility rules (§3.1 caveat 3): image kind, architecture, image version.
 */
const PROFILES = {
  publicGx7: {
    groupName: 'support-android11',
    imageId: 'imgc-075cllfeuazh0pub1',
    imageVersion: '3.5.3.867',
    bizImageType: 'System',
    instanceType: 'acp.basic.small',
    serverType: 'cpm.gx7.10xlarge',
    systemVersion: 'Android 11',
    cpu: 2,
    memoryMb: 4096,
  },
  customGx7: {
    groupName: 'qa-custom-android11',
    imageId: 'imgc-0d3kq2custom7x1a',
    imageVersion: '3.5.3.867',
    bizImageType: 'User',
    instanceType: 'acp.basic.small',
    serverType: 'cpm.gx7.10xlarge',
    systemVersion: 'Android 11',
    cpu: 2,
    memoryMb: 4096,
  },
  publicGx8: {
    groupName: 'sales-gx8',
    imageId: 'imgc-075cllfeuazh0pub1',
    imageVersion: '3.5.3.867',
    bizImageType: 'System',
    instanceType: 'acp.perf.large',
    serverType: 'cpm.gx8.16xlarge',
    systemVersion: 'Android 11',
    cpu: 4,
    memoryMb: 8192,
  },
  publicGx7Next: {
    groupName: 'beta-android12',
    imageId: 'imgc-09p8wz4nxq2pub2',
    imageVersion: '3.6.1.1012',
    bizImageType: 'System',
    instanceType: 'acp.basic.small',
    serverType: 'cpm.gx7.10xlarge',
    systemVersion: 'Android 12',
    cpu: 2,
    memoryMb: 4096,
  },
} satisfies Record<string, Profile>;

const seed = (name: string, profile: Profile, status: 'RUNNING' | 'STOPPED', packages: string[]): InstanceSeed => ({
  id: stableId('acp-', name),
  name,
  status,
  groupId: stableId('ag-', profile.groupName, 16),
  ...profile,
  packages,
});

/**
 * Eight phones in four groups: mixed RUNNING/STOPPED; two image versions; public (`System`) and custom (`User`)
 * images; two instance types on two server types (architectures); one phone with no third-party apps. Phones in a
 * group can restore each other's backups. A support backup restored on qa fails for the image kind, on sales for the
 * architecture, on beta for the image version.
 */
export function defaultFleet(): InstanceSeed[] {
  const { publicGx7, customGx7, publicGx8, publicGx7Next } = PROFILES;
  return [
    seed('support-01', publicGx7, 'RUNNING', ['com.tencent.mm', 'com.eg.android.AlipayGphone', 'com.xingin.xhs']),
    seed('support-02', publicGx7, 'STOPPED', ['com.tencent.mm', 'com.taobao.taobao']),
    seed('support-03', publicGx7, 'RUNNING', ['com.ss.android.ugc.aweme', 'com.xingin.xhs']),
    seed('support-04', publicGx7, 'STOPPED', []),
    seed('qa-01', customGx7, 'RUNNING', ['com.example.crm', 'com.tencent.mm']),
    seed('qa-02', customGx7, 'STOPPED', ['com.example.crm']),
    seed('sales-01', publicGx8, 'RUNNING', ['com.tencent.mm', 'com.sina.weibo', 'tv.danmaku.bili']),
    seed('beta-01', publicGx7Next, 'RUNNING', ['com.tencent.wework', 'com.eg.android.AlipayGphone']),
  ];
}

function parseCreatedAt(value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`Invalid createdAt: ${value}`);
  return ms;
}

/** Adds one instance from a seed, filling gaps from the first default profile. */
export function addInstanceFromSeed(state: SimState, input: InstanceSeed, createdAt: number): SimInstance {
  const seedValue = InstanceSeed.parse(input);
  const profile = PROFILES.publicGx7;
  const id = seedValue.id ?? state.ids.instance();
  if (state.instances.has(id)) throw new Error(`Instance ${id} already exists`);
  const groupName = seedValue.groupName ?? profile.groupName;
  const at = parseCreatedAt(seedValue.createdAt, createdAt);
  const seq = state.nextSeq();
  const instance: SimInstance = {
    id,
    name: seedValue.name ?? id,
    status: seedValue.status ?? 'RUNNING',
    groupId: seedValue.groupId ?? stableId('ag-', groupName, 16),
    groupName,
    imageId: seedValue.imageId ?? profile.imageId,
    imageVersion: seedValue.imageVersion ?? profile.imageVersion,
    bizImageType: seedValue.bizImageType ?? profile.bizImageType,
    instanceType: seedValue.instanceType ?? profile.instanceType,
    serverType: seedValue.serverType ?? profile.serverType,
    systemVersion: seedValue.systemVersion ?? profile.systemVersion,
    regionId: seedValue.regionId ?? 'cn-shanghai',
    zoneId: seedValue.zoneId ?? 'cn-shanghai-l',
    cpu: seedValue.cpu ?? profile.cpu,
    memoryMb: seedValue.memoryMb ?? profile.memoryMb,
    privateIp: `192.168.${Math.floor(seq / 250) % 256}.${(seq % 250) + 2}`,
    packages: [...(seedValue.packages ?? [])],
    createdAt: at,
    modifiedAt: at,
    errorCode: '',
    lastRate: 0,
    statusToken: 0,
    appDetails: {},
    seq,
  };
  state.instances.set(id, instance);
  return instance;
}

/** Seeds in creation order (oldest first), so creation sequence and CreationTime sort alike. */
export function populateFleet(state: SimState, seeds: InstanceSeed[], now: number): void {
  const dayMs = 24 * 60 * 60 * 1000;
  const dated = seeds.map((value, index) => ({
    value,
    at: parseCreatedAt(value.createdAt, now - (seeds.length - index) * dayMs),
  }));
  dated.sort((a, b) => a.at - b.at);
  for (const { value, at } of dated) addInstanceFromSeed(state, { ...value, createdAt: at }, at);
}

/** A ready-made backup file, for tests that start from "a backup exists" without running BackupApp. */
export interface BackupFileSeed {
  /** The source instance; it must exist. Its image and hardware become the backup's. */
  instanceId: string;
  /** Default: the instance's installed packages. */
  apps?: string[];
  status?: BackupFileStatus;
  /** OSS directory; default `oss://cloudphone-saved-bucket-sim/backups/`. */
  dir?: string;
  name?: string;
  description?: string;
  uploadEndpoint?: string;
}

export function addBackupFileFromSeed(state: SimState, seedValue: BackupFileSeed, now: number): SimBackupFile {
  const instance = state.instances.get(seedValue.instanceId);
  if (!instance) throw new Error(`addBackupFile: no instance ${seedValue.instanceId}`);
  const apps = [...(seedValue.apps ?? instance.packages)];
  const dir = seedValue.dir ?? 'oss://cloudphone-saved-bucket-sim/backups/';
  const id = state.ids.backupFile();
  const path = `${dir}${instance.id}_${compactTime(now)}_${id}.ab`;
  const file: SimBackupFile = {
    id,
    name: seedValue.name ?? path.slice(path.lastIndexOf('/') + 1),
    path,
    instanceId: instance.id,
    instanceName: instance.name,
    groupId: instance.groupId,
    status: seedValue.status ?? 'AVAILABLE',
    sizeBytes: apps.reduce((sum, app) => sum + appDataBytes(instance.id, app), 0),
    apps,
    uploadType: 'OSS',
    uploadEndpoint: seedValue.uploadEndpoint ?? `oss-${instance.regionId}-internal.aliyuncs.com`,
    description: seedValue.description ?? '',
    regionId: instance.regionId,
    taskId: '',
    createdAt: now,
    modifiedAt: now,
    source: imageFactsOf(instance),
    recoveriesInFlight: 0,
    recoveryFailed: false,
    appDetails: snapshotApps(instance, apps),
    seq: state.nextSeq(),
  };
  state.backupFiles.set(file.id, file);
  return file;
}
