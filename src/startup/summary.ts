/**
 * What an admin needs to see when the bot starts: one line saying how it runs, and a warning for each setting that
 * will surprise someone later (everyone denied, an admin entry that matches nobody, defaults the bot's own form
 * would refuse). Never names a secret.
 */
import { mrkdwnToPlain } from '../blocks/escape.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { loadPolicyFile } from '../services/access/policy.js';
import { checkBackupPath, checkUploadEndpoint } from '../services/backup/input.js';

/** What the policy file says, when there is one. */
export interface PolicyFacts {
  admins: readonly string[];
  roles: number;
}

export interface StartSummary {
  line: string;
  warnings: string[];
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function startSummary(config: Config, policy: PolicyFacts | undefined): StartSummary {
  const admins = [...new Set([...config.access.admins, ...(policy?.admins ?? [])])];
  const mode = config.slack.mode === 'http' ? `HTTP mode on ${config.slack.host}:${config.slack.port}` : 'Socket Mode';
  const cloud = config.cloud.simulator
    ? 'simulated cloud (no real cloud phone is touched)'
    : `real cloud in ${config.cloud.regions.join(', ')}${config.cloud.endpoint ? ` via ${config.cloud.endpoint}` : ''}`;
  const access = policy
    ? `${count(admins.length, 'admin')}, policy ${config.access.policyPath} with ${count(policy.roles, 'role')}`
    : `${count(admins.length, 'admin')}, no policy file`;
  const line = `Cloud Phone bot: ${mode}; ${cloud}; ${access}; database ${config.databasePath}`;

  const warnings: string[] = [];
  if (admins.length === 0 && (policy?.roles ?? 0) === 0) {
    warnings.push(
      'No admins and no policy roles: everyone will be denied. Set CLOUDPHONE_ADMINS to your Slack member id (profile → ⋮ → Copy member ID), or CLOUDPHONE_POLICY to a policy file.',
    );
  }
  for (const entry of config.access.admins) {
    if (!USER_ID.test(entry)) {
      warnings.push(
        `CLOUDPHONE_ADMINS entry "${entry.slice(0, 40)}" is not a Slack user id (U…), so it matches nobody: use the member id from the person's profile (⋮ → Copy member ID), not a name or handle.`,
      );
    }
  }
  if (config.backup.defaultBackupPath !== undefined) {
    const path = checkBackupPath(config.backup.defaultBackupPath);
    if (!path.ok) {
      warnings.push(
        `CLOUDPHONE_DEFAULT_BACKUP_PATH would be refused by the backup form: ${mrkdwnToPlain(path.message)}`,
      );
    }
  }
  const endpoint = checkUploadEndpoint(config.backup.defaultUploadEndpoint);
  if (!endpoint.ok) {
    warnings.push(
      `CLOUDPHONE_DEFAULT_UPLOAD_ENDPOINT would be refused by the backup form: ${mrkdwnToPlain(endpoint.message)}`,
    );
  }
  return { line, warnings };
}

/** Logs the start line and its warnings, before Slack is asked anything (the policy file has been checked by then). */
export function logStartSummary(config: Config, logger: Logger): void {
  const policyFile = config.access.policyPath ? loadPolicyFile(config.access.policyPath) : undefined;
  const summary = startSummary(config, policyFile && { admins: policyFile.admins, roles: policyFile.roles.length });
  logger.info(summary.line);
  for (const warning of summary.warnings) logger.warn(warning);
}
