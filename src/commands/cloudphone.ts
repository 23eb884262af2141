/**
 * The /cloudphone slash command: parse, answer usage and errors at once, and hand real work to the services.
 * Nothing here waits on the cloud: Slack needs the answer within 3 seconds and a trigger_id lives 3 seconds.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { admissionRefusalText } from '../blocks/admission.js';
import {
  auditLookingUpMessage,
  auditMessage,
  auditPersonUnknownMessage,
  inlineErrorsMessage,
  permissionDeniedMessage,
  requestAcceptedMessage,
  unknownCommandMessage,
  usageMessage,
} from '../blocks/messages.js';
import { sinceEpoch } from '../services/access/audit.js';
import { validateBackupInput } from '../services/backup/input.js';
import type { Actor } from '../services/backup/model.js';
import type { Services } from '../services/index.js';
import { openBackupForm } from '../slack/backup-form.js';
import { decideBackup } from '../slack/backup-request.js';
import { ackLoadingThenAnswer, ephemeral } from '../slack/listener-helpers.js';
import { backupsCommand } from './backups.js';
import { deleteCommand } from './delete.js';
import { type AuditQueryArgs, parseCommand, unescapeSlackText } from './parse-command.js';
import { restoreCommand } from './restore.js';
import { scheduleCommand } from './schedule.js';
import { statusCommand } from './status.js';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function cloudphoneCommand(services: Services) {
  return async (args: CommandArgs): Promise<void> => {
    const { command, ack } = args;
    const actor: Actor = { userId: command.user_id, teamId: command.team_id };
    const parsed = parseCommand(command.text ?? '');
    switch (parsed.kind) {
      case 'help':
        return ack(ephemeral(usageMessage(parsed.topic)));
      case 'unknown':
        return ack(ephemeral(unknownCommandMessage(parsed.input, parsed.reason)));
      case 'backup':
        return parsed.mode === 'modal'
          ? openBackupModal(services, args, actor, parsed.instanceIds)
          : inlineBackup(services, args, actor, parsed.raw);
      case 'audit':
        return audit(services, args, actor, parsed);
      case 'backups':
        return backupsCommand(services, args, actor, { instanceId: parsed.instanceId, app: parsed.app });
      case 'status':
        return statusCommand(services, args, actor, parsed.target);
      case 'restore':
        return restoreCommand(services, args, actor, parsed.backupFileId);
      case 'delete':
        return deleteCommand(services, args, actor, parsed.backupFileIds);
      case 'schedule':
        return scheduleCommand(services, args, actor, parsed);
    }
  };
}

async function openBackupModal(services: Services, args: CommandArgs, actor: Actor, prefill: string[]): Promise<void> {
  const { command, ack, client } = args;
  const { decision, record } = await services.guard.decide(
    { actor, action: 'backup', channelId: command.channel_id },
    { step: 'open form', instanceIds: prefill },
  );
  if (!decision.allowed) {
    record();
    return ack(ephemeral(permissionDeniedMessage(decision)));
  }
  const defaults = await services.modalDefaults(actor, command.channel_id);
  // The ack opens nothing by itself; the form is the act. So the decision is committed after the ack and before the
  // form opens: 50 people typing /cloudphone backup at once no longer wait on 50 commits (about 120 µs each).
  await ack();
  await services.afterAcks();
  record();
  await openBackupForm(services, client, {
    triggerId: command.trigger_id,
    channelId: command.channel_id,
    prefill,
    defaults,
  });
}

async function inlineBackup(
  services: Services,
  { command, ack }: CommandArgs,
  actor: Actor,
  raw: object,
): Promise<void> {
  const defaults = await services.modalDefaults(actor, command.channel_id);
  const typed = definedOnly(raw);
  const input = validateBackupInput({
    uploadEndpoint: defaults.uploadEndpoint,
    backupPath: defaults.backupPath,
    stopBeforeBackup: true,
    startAfterBackup: true,
    ...typed,
  });
  if (!input.ok) return ack(ephemeral(inlineErrorsMessage(input.errors)));
  const decided = await decideBackup(services, {
    actor,
    spec: input.spec,
    channelId: command.channel_id,
    endpointTyped: 'uploadEndpoint' in typed,
    typedIn: 'command',
  });
  if (decided.kind === 'denied') {
    decided.pending.record();
    return ack(ephemeral(permissionDeniedMessage(decided.denial)));
  }
  if (decided.kind === 'errors') return ack(ephemeral(inlineErrorsMessage(decided.errors)));
  const { spec, pending } = decided;
  // Recorded before the ack, so an acknowledged request is never lost; the trigger id is unique per invocation.
  const submitted = await services.backups.submit({
    spec,
    actor,
    origin: { channelId: command.channel_id },
    idempotencyKey: `command:${command.trigger_id}`,
    decision: pending,
  });
  if (!submitted.ok) {
    return ack(ephemeral({ text: `⛔ ${admissionRefusalText(submitted.refusal, actor.userId, 'mrkdwn')}` }));
  }
  return ack(ephemeral(requestAcceptedMessage(submitted.requestId)));
}

async function audit(
  services: Services,
  { command, ack, respond, logger }: CommandArgs,
  actor: Actor,
  query: AuditQueryArgs,
): Promise<void> {
  const typed = unescapeSlackText(command.text ?? '');
  const { decision } = await services.guard.check(
    { actor, action: 'audit', channelId: command.channel_id },
    { query: typed },
  );
  if (!decision.allowed) return ack(ephemeral(permissionDeniedMessage(decision)));
  const search = (userId: string | undefined) =>
    auditMessage(
      services.audit.search({
        userId,
        subject: query.subject,
        since: query.since === undefined ? undefined : sinceEpoch(query.since, services.audit.now()),
        action: query.action,
        all: query.all,
        page: query.page,
      }),
      typed,
    );
  const person = query.person;
  if (person === undefined || 'userId' in person) return ack(ephemeral(search(person?.userId)));
  // A plain `@handle` (Slack did not make it a mention): Slack's directory is read after the ack, which it may outlast.
  await ackLoadingThenAnswer({ ack, respond, logger }, auditLookingUpMessage(person.handle), async () => {
    const found = await services.people.findByHandle(person.handle);
    return found.found
      ? search(found.userId)
      : auditPersonUnknownMessage(person.handle, found.reason === 'several' ? found.userIds : []);
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
