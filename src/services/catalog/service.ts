/**
 * The backup catalog: the bot's own records merged with DescribeBackupFiles, so backups made elsewhere appear too,
 * each with whether (and by whom) a restore from it was verified. Newest first. When the cloud cannot be reached the
 * bot's records are still shown, marked as such.
 */
import type { BotBackup } from '../../db/backup-records.js';
import type { Repositories } from '../../db/index.js';
import type { AuditTrail } from '../access/audit.js';
import type { AccessGuard, GuardResult } from '../access/guard.js';
import type { Actor, CloudFailure } from '../backup/model.js';
import { failureOf } from '../pipeline/cloud-failure.js';
import type { CloudBackupFile, CloudPhone } from '../pipeline/ports.js';
import type { BackupFileInfo, FileVerifications } from '../restore/model.js';

/** DescribeBackupFiles pages (of 100) read for one catalog. */
export const CATALOG_MAX_PAGES = 10;
/** Up to this many ids are looked up one by one; more, and the whole list is read once. */
const LOOKUP_ONE_BY_ONE = 5;

/** Status of a backup the bot made that the cloud no longer lists (and the bot did not delete). */
export const STATUS_NOT_LISTED = 'NOT_LISTED';
/** Status of a bot record while the cloud could not be asked. */
export const STATUS_UNKNOWN = 'UNKNOWN';

export interface CatalogEntry extends BackupFileInfo {
  /** True when DescribeBackupFiles lists it. */
  listedByCloud: boolean;
  /** The latest verified restore from it, of each kind (the bot's automatic check, a person's button). */
  verifications?: FileVerifications | undefined;
}

export interface CatalogFilter {
  instanceId?: string | undefined;
  app?: string | undefined;
}

/** Who is looking, from where: lists show only what is in this person's scope. */
export interface Viewer {
  actor: Actor;
  channelId: string;
}

export interface Catalog {
  entries: CatalogEntry[];
  /** Set when DescribeBackupFiles failed: the entries are the bot's own records only. */
  cloudError?: CloudFailure | undefined;
  /** True when the cloud had more backups than the bot reads at once. */
  truncated: boolean;
}

/**
 * `yyyy-MM-dd HH:mm:ss` from the API, read as UTC+8 (the docs leave the zone unstated, §9.8; the service and the
 * simulator use China time). Undefined when it does not look like that.
 */
export function parseCloudTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}T${match[2]}+08:00`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** One backup as the catalog shows it: the cloud's facts where it has them, the bot's record for the rest. */
export function mergeBackup(cloud: CloudBackupFile | undefined, bot: BotBackup | undefined): BackupFileInfo {
  const id = cloud?.backupFileId ?? bot?.backupFileId ?? '';
  return {
    backupFileId: id,
    name: cloud?.backupFileName ?? bot?.backupFileName,
    path: cloud?.backupFilePath ?? bot?.backupFilePath,
    uploadEndpoint: cloud?.uploadEndpoint ?? bot?.uploadEndpoint,
    status: cloud?.status ?? STATUS_UNKNOWN,
    sourceInstanceId: cloud?.instanceId ?? bot?.instanceId,
    sourceInstanceName: cloud?.instanceName,
    apps: cloud && cloud.apps.length > 0 ? cloud.apps : (bot?.apps ?? []),
    sizeBytes: cloud?.sizeBytes ?? bot?.sizeBytes,
    createdAt: parseCloudTime(cloud?.gmtCreated) ?? bot?.finishedAt ?? bot?.createdAt,
    madeByRequestId: bot?.requestId,
    madeByUserId: bot?.userId,
    region: cloud?.region,
  };
}

function newestFirst(a: CatalogEntry, b: CatalogEntry): number {
  const at = a.createdAt ?? Number.NEGATIVE_INFINITY;
  const bt = b.createdAt ?? Number.NEGATIVE_INFINITY;
  if (at !== bt) return bt - at;
  return a.backupFileId < b.backupFileId ? 1 : a.backupFileId > b.backupFileId ? -1 : 0;
}

export function createCatalogService(deps: {
  repos: Repositories;
  guard: AccessGuard;
  audit: AuditTrail;
  cloud: Pick<CloudPhone, 'describeBackupFiles'>;
}) {
  const { repos, guard, audit, cloud } = deps;

  function withVerifications(entries: CatalogEntry[]): CatalogEntry[] {
    const verified = repos.verifications.latestByFile(entries.map((entry) => entry.backupFileId));
    return entries.map((entry) => ({ ...entry, verifications: verified.get(entry.backupFileId) }));
  }

  return {
    /** May this person list backups (of this instance) here? Recorded in the audit log. */
    authorize(actor: Actor, channelId: string, filter: CatalogFilter, page = 1): Promise<GuardResult> {
      return guard.check(
        { actor, action: 'list', channelId, ...(filter.instanceId ? { instanceIds: [filter.instanceId] } : {}) },
        { instanceId: filter.instanceId, app: filter.app, page },
      );
    },

    /** Records what the person was shown, on the audit entry of the check that allowed it. */
    recordShown(auditId: number, catalog: Catalog): void {
      audit.recordOutcome(auditId, {
        status: catalog.cloudError ? 'listed-local-only' : 'listed',
        count: catalog.entries.length,
        ...(catalog.cloudError ? { errors: [catalog.cloudError] } : {}),
      });
    },

    /**
     * The catalog as this person may see it, newest first: cloud listing merged with the bot's records and
     * verifications, keeping only backups whose source instance and location one of the person's roles for `action`
     * covers (admins see all; a backup with no known instance or location is hidden from everyone else).
     */
    async list(filter: CatalogFilter, viewer: Viewer, action: 'list' | 'restore' = 'list'): Promise<Catalog> {
      const all = await listAll(filter);
      const entries = await guard.onlyVisible(viewer.actor, action, viewer.channelId, all.entries, (entry) => ({
        instanceId: entry.sourceInstanceId,
        path: entry.path,
      }));
      return { ...all, entries };
    },

    /**
     * These backups, by id: each found one merged with the bot's record, missing ones absent from the map. With a
     * `cloudError`, the map holds only what the bot's records know (status UNKNOWN).
     */
    lookup,
  };

  /** The whole catalog, whoever asks: only for `list`, which filters it. */
  async function listAll(filter: CatalogFilter): Promise<Catalog> {
    const bot = repos.backupRecords.list({ instanceId: filter.instanceId });
    const botById = new Map<string, BotBackup>();
    for (const record of bot) if (!botById.has(record.backupFileId)) botById.set(record.backupFileId, record);
    let cloudFiles: CloudBackupFile[] = [];
    let cloudError: CloudFailure | undefined;
    try {
      cloudFiles = await cloud.describeBackupFiles({
        ...(filter.instanceId ? { instanceId: filter.instanceId } : {}),
        maxPages: CATALOG_MAX_PAGES,
      });
    } catch (error) {
      cloudError = failureOf(error);
    }
    const entries = new Map<string, CatalogEntry>();
    for (const file of cloudFiles) {
      entries.set(file.backupFileId, {
        ...mergeBackup(file, botById.get(file.backupFileId)),
        listedByCloud: true,
      });
    }
    const deleted = repos.deletions.deletedFileIds();
    for (const record of botById.values()) {
      if (entries.has(record.backupFileId) || deleted.has(record.backupFileId)) continue;
      // Only backups that finished have a file; a failed instance's id never became a usable backup.
      if (record.state !== 'succeeded') continue;
      const merged = mergeBackup(undefined, record);
      entries.set(record.backupFileId, {
        ...merged,
        status: cloudError ? STATUS_UNKNOWN : STATUS_NOT_LISTED,
        listedByCloud: false,
      });
    }
    const app = filter.app?.trim().toLowerCase();
    const filtered = [...entries.values()].filter(
      (entry) => !app || entry.apps.some((name) => name.toLowerCase() === app),
    );
    return {
      entries: withVerifications(filtered).sort(newestFirst),
      cloudError,
      truncated: cloudFiles.length >= CATALOG_MAX_PAGES * 100,
    };
  }

  /** See `lookup` above. */
  async function lookup(backupFileIds: readonly string[]): Promise<{
    found: Map<string, CatalogEntry>;
    cloudError?: CloudFailure | undefined;
  }> {
    const ids = [...new Set(backupFileIds)];
    const cloudFound = new Map<string, CloudBackupFile>();
    let cloudError: CloudFailure | undefined;
    try {
      if (ids.length <= LOOKUP_ONE_BY_ONE) {
        for (const id of ids) {
          const files = await cloud.describeBackupFiles({ backupFileId: id });
          const file = files.find((candidate) => candidate.backupFileId === id);
          if (file) cloudFound.set(id, file);
        }
      } else {
        const wanted = new Set(ids);
        for (const file of await cloud.describeBackupFiles({ maxPages: CATALOG_MAX_PAGES })) {
          if (wanted.has(file.backupFileId)) cloudFound.set(file.backupFileId, file);
        }
      }
    } catch (error) {
      cloudError = failureOf(error);
    }
    const found = new Map<string, CatalogEntry>();
    for (const id of ids) {
      const file = cloudFound.get(id);
      const bot = repos.backupRecords.byBackupFile(id);
      if (file) found.set(id, { ...mergeBackup(file, bot), listedByCloud: true });
      else if (cloudError && bot) found.set(id, { ...mergeBackup(undefined, bot), listedByCloud: false });
    }
    const verified = withVerifications([...found.values()]);
    return { found: new Map(verified.map((entry) => [entry.backupFileId, entry])), cloudError };
  }
}

export type CatalogService = ReturnType<typeof createCatalogService>;
