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
} as const;

/** `block_id` of each input block (and other blocks a listener reads back). */
export const BLOCK = {
  instances: 'backup_instances',
  apps: 'backup_apps',
  endpoint: 'backup_endpoint',
  path: 'backup_path',
  fileName: 'backup_file_name',
  description: 'backup_description',
  options: 'backup_options',
  simulated: 'backup_simulated',
} as const;

/** `action_id` of each element: the modal's inputs and the buttons that later features add. */
export const ACTION = {
  instances: 'instances',
  apps: 'apps',
  endpoint: 'endpoint',
  path: 'path',
  fileName: 'file_name',
  description: 'description',
  options: 'options',
  markVerified: 'mark_verified',
  confirmDelete: 'confirm_delete',
} as const;

/** Values of the two checkboxes in `BLOCK.options`. */
export const OPTION = {
  stopBefore: 'stop_before',
  startAfter: 'start_after',
} as const;

export type CallbackId = (typeof CALLBACK)[keyof typeof CALLBACK];
export type BlockId = (typeof BLOCK)[keyof typeof BLOCK];
export type ActionId = (typeof ACTION)[keyof typeof ACTION];
