import type { AuditTrail } from './access/audit.js';
import type { AccessGuard } from './access/guard.js';
import type { PeopleDirectory } from './access/people.js';
import type { ApprovalService } from './approval/service.js';
import type { KnownInstances } from './backup/known-instances.js';
import type { Actor } from './backup/model.js';
import type { BackupService } from './backup/service.js';
import type { StartNowService } from './backup/start-now.js';
import type { UploadRegions } from './backup/upload-region.js';
import type { CatalogService } from './catalog/service.js';
import type { DeleteService } from './delete/service.js';
import type { InstanceSuggestions } from './fleet/instance-suggestions.js';
import type { HomeService } from './home/service.js';
import type { Canceller } from './pipeline/cancel.js';
import type { RestoreService } from './restore/service.js';
import type { RestoreTargets } from './restore/targets.js';
import type { ScheduleRuns } from './schedules/runs.js';
import type { ScheduleService } from './schedules/service.js';
import type { StatusService } from './status/service.js';

/** Defaults the backup modal shows a person: their role's, or the bot's. */
export interface ModalDefaults {
  uploadEndpoint: string;
  backupPath: string;
}

/** What the Slack listeners get: services only, never the database or the cloud client. */
export interface Services {
  backups: BackupService;
  /** Restore plans, confirmations and "Mark restore verified". */
  restores: RestoreService;
  /** `/cloudphone backups`: the bot's records merged with the cloud's listing. */
  catalog: CatalogService;
  /** The App Home: a person's requests, results, schedules and instances with their backups' age. */
  home: HomeService;
  /** `/cloudphone status`. */
  status: StatusService;
  /** Scheduled backups' runs: `schedule run` (now) and `schedule prune-preview`. */
  scheduleRuns: ScheduleRuns;
  /** `/cloudphone delete`, with its confirmations. */
  deletions: DeleteService;
  /** Scheduled backups' definitions: `/cloudphone schedule` and its form. */
  schedules: ScheduleService;
  /** Cancel on a running backup, restore, deletion or scheduled run, or one waiting for approval. */
  cancels: Canceller;
  /** "Start it now" for phones a backup left off. */
  power: StartNowService;
  guard: AccessGuard;
  /** Two-person approval: approvers' decisions (the policy's `approvals:`). */
  approvals: ApprovalService;
  audit: AuditTrail;
  /** People by handle, from Slack's directory (for `/cloudphone audit @alex` typed as plain text). */
  people: PeopleDirectory;
  /** The modal's defaults for this person (from their policy role when there is one). */
  modalDefaults(actor: Actor, channelId: string): Promise<ModalDefaults>;
  /** A backup's upload endpoint against its instances' region: the form's first endpoint, and what a request must fix. */
  uploadRegions: UploadRegions;
  /** Typed instance ids the cloud has no phone for, told from the picker's cached listing before the ack. */
  knownInstances: KnownInstances;
  /** The restore form's targets: typed names resolved to ids within the person's restore scope, unknown ids told. */
  restoreTargets: RestoreTargets;
  /**
   * The forms' instance pickers: instances in the person's scope for `action` (backup unless said) matching `query`.
   * Never throws.
   */
  suggestInstances: InstanceSuggestions['suggest'];
  /** Starts listing the fleet for the instance picker unless a fresh listing is cached; returns at once. */
  warmInstanceList(): void;
  simulated: boolean;
  /** Resolves when no Slack request waits for its answer: background work after an ack yields to other acks. */
  afterAcks(): Promise<void>;
}
