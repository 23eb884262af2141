/**
 * Every Slack identifier the bot owns, in one place: listeners match on these and builders emit them, so a rename
 * cannot leave the two halves disagreeing. Each value stays well under Slack's 255-character limit.
 */

/** The slash command, as registered in the app manifest. */
export const COMMAND = '/cloudphone';

/** The name people use to invite the bot (the app's display name). */
export const BOT_DISPLAY_NAME = 'Cloud Phone Backup';

/** `callback_id` of each view. */
export const CALLBACK = {
  backupModal: 'backup_modal',
  /** Restore: the form (after a short "looking up backups" view), the check, the confirmation, a notice. */
  restoreLoading: 'restore_loading',
  restoreForm: 'restore_modal',
  restoreChecking: 'restore_checking',
  restoreConfirm: 'restore_confirm',
  restoreNotice: 'restore_notice',
  /** Delete: the first confirmation, and the second one pushed on top for never-verified backups. */
  deleteLoading: 'delete_loading',
  deleteConfirm: 'delete_confirm',
  deleteConfirmUnverified: 'delete_confirm_unverified',
  deleteNotice: 'delete_notice',
  /** Two-person approval: the reason a denying approver gives. */
  approvalDenyReason: 'approval_deny_reason',
  /** Retry a backup's failed instances: the confirmation, and a notice (refusal, nothing to retry). */
  backupRetry: 'backup_retry',
  backupRetryNotice: 'backup_retry_notice',
  /** Scheduled backups: the form, and what it shows once the schedule is saved. */
  scheduleForm: 'schedule_modal',
  scheduleSaved: 'schedule_saved',
  /** A refusal from an App Home button. */
  homeNotice: 'home_notice',
} as const;

/** `block_id` of each input block (and other blocks a listener reads back). */
/**
 * The schedule form's inputs: each input's block_id and action_id are the same string. Cron, time zone and targets
 * also ask for a new preview as the person types.
 */
const SCHEDULE_FIELDS = {
  scheduleName: 'schedule_name',
  scheduleTargets: 'schedule_targets',
  scheduleApps: 'schedule_apps',
  schedulePath: 'schedule_path',
  scheduleEndpoint: 'schedule_endpoint',
  scheduleCron: 'schedule_cron',
  scheduleTimeZone: 'schedule_time_zone',
  scheduleKeep: 'schedule_keep',
  scheduleMaxAge: 'schedule_max_age',
  scheduleWave: 'schedule_wave',
  scheduleChannel: 'schedule_channel',
} as const;

export const BLOCK = {
  instances: 'backup_instances',
  instancePicker: 'backup_instance_picker',
  apps: 'backup_apps',
  endpoint: 'backup_endpoint',
  path: 'backup_path',
  fileName: 'backup_file_name',
  description: 'backup_description',
  options: 'backup_options',
  simulated: 'backup_simulated',
  restoreBackup: 'restore_backup',
  restoreTargets: 'restore_targets',
  restoreTargetPicker: 'restore_target_picker',
  restoreStopped: 'restore_stopped',
  restoreVerify: 'restore_verify',
  deleteAcknowledge: 'delete_acknowledge',
  catalogNav: 'catalog_nav',
  startLeftPhones: 'start_left_phones',
  approvalButtons: 'approval_buttons',
  approvalReason: 'approval_reason',
  backupNextStep: 'backup_next_step',
  /** "Retry failed…" on a restore's reply. */
  restoreRetry: 'restore_retry',
  /** Cancel on a running request's message (blocks/cancel-messages.ts). */
  requestCancel: 'request_cancel',
  ...SCHEDULE_FIELDS,
  /** The form's live preview (next runs, instances matched); not an input. */
  schedulePreview: 'schedule_preview',
  scheduleDelete: 'schedule_delete',
  homeActions: 'home_actions',
  /** The App Home's schedules section (empty, and absent, while a person has none). */
  homeSchedules: 'home_schedules',
} as const;

/** `action_id` of each element: the modal's inputs and the buttons that later features add. */
export const ACTION = {
  instances: 'instances',
  /** The multi_external_select whose options come from the bot (a block_suggestion request per search). */
  instancePicker: 'instance_picker',
  apps: 'apps',
  endpoint: 'endpoint',
  path: 'path',
  fileName: 'file_name',
  description: 'description',
  options: 'options',
  markVerified: 'mark_verified',
  restoreBackup: 'backup_file',
  restoreTargets: 'targets',
  /** The restore form's instance picker: the same suggestions as the backup form's, in the person's restore scope. */
  restoreTargetPicker: 'target_picker',
  restoreStopped: 'stopped_targets',
  deleteAcknowledge: 'acknowledge_unverified',
  catalogPrev: 'catalog_prev',
  catalogNext: 'catalog_next',
  /** The overflow menu on each catalog entry: restore from it, or delete it. */
  catalogEntry: 'catalog_entry',
  /** "Start it now" on a backup reply whose phones the bot could not start again. */
  startLeftPhones: 'start_left_phones',
  /** Approve / Deny on a request posted to its approvers (value: the request id). */
  approvalApprove: 'approval_approve',
  approvalDeny: 'approval_deny',
  approvalReason: 'reason',
  /** On a backup's reply: restore from the backup it made (a button), or from one of them (a menu). */
  restoreFromBackup: 'restore_from_backup',
  /** Cancel on a running backup's or restore's message, or on a request waiting for approval (value: the request id). */
  cancelRequest: 'cancel_request',
  /** The Cancel of backup messages posted by earlier versions: handled as `cancelRequest`. */
  cancelBackup: 'cancel_backup',
  /** On a backup's reply with failures: retry them as a new request, after a confirmation. */
  retryFailed: 'retry_failed',
  /** On a restore's reply with failed targets: the restore form again, with its backup and those targets filled in. */
  retryFailedRestore: 'retry_failed_restore',
  ...SCHEDULE_FIELDS,
  /** "Delete schedule" on the confirmation `schedule delete <name>` shows (value: the schedule id). */
  scheduleDeleteConfirm: 'schedule_delete_confirm',
  /** The App Home's buttons: open the backup form, the restore form, the catalog (in the person's DM with the bot). */
  homeBackup: 'home_backup',
  homeRestore: 'home_restore',
  homeCatalog: 'home_catalog',
} as const;

/** Values of the two checkboxes in `BLOCK.options`. */
export const OPTION = {
  stopBefore: 'stop_before',
  startAfter: 'start_after',
} as const;

/** Values of the restore confirmation's choice for stopped targets, and of the unverified-deletion checkbox. */
export const CHOICE = {
  startFirst: 'start_first',
  leaveOut: 'leave_out',
  understood: 'understood',
} as const;

export type BlockId = (typeof BLOCK)[keyof typeof BLOCK];
