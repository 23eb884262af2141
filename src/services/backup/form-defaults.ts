/**
 * What the backup form shows a person: the upload endpoint and path of their policy role when it names them, else the
 * bot's (BACKUP_DEFAULT_*), and, for the forms' instance pickers, the instances their role covers for the form's action.
 */
import type { PermissionService } from '../access/permissions.js';
import type { PickerAction } from '../fleet/instance-suggestions.js';
import type { ModalDefaults } from '../index.js';
import type { Actor } from './model.js';

export function createBackupFormDefaults(deps: { permissions: PermissionService; fallback: ModalDefaults }) {
  const { permissions, fallback } = deps;
  return {
    async modalDefaults(actor: Actor, channelId: string): Promise<ModalDefaults> {
      const scope = await permissions.scope(actor, 'backup', channelId);
      return {
        uploadEndpoint: scope.defaultEndpoint ?? fallback.uploadEndpoint,
        backupPath: scope.defaultBackupPath ?? fallback.backupPath,
      };
    },
    /** The instance patterns the person's role covers for the picker's action (the picker offers only those). */
    async scopeOf(actor: Actor, channelId: string, action: PickerAction) {
      const scope = await permissions.scope(actor, action, channelId);
      return { unrestricted: scope.unrestricted, patterns: scope.instancePatterns, rules: scope.instanceRules };
    },
  };
}
