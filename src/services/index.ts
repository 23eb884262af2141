import type { AccessGuard } from './access.js';
import type { AuditTrail } from './audit.js';
import type { BackupService } from './backup-service.js';
import type { Actor } from './model.js';

/** Defaults the backup modal shows a person: their role's, or the bot's. */
export interface ModalDefaults {
  uploadEndpoint: string;
  backupPath: string;
}

/** What the Slack listeners get: services only, never the database or the cloud client. */
export interface Services {
  backups: BackupService;
  guard: AccessGuard;
  audit: AuditTrail;
  /** The modal's defaults for this person (from their policy role when there is one). */
  modalDefaults(actor: Actor, channelId: string): Promise<ModalDefaults>;
  simulated: boolean;
}
