/**
 * What a person reads when new work is refused because an instance is busy or they have too many requests open.
 * Plain text for modal field errors (Slack shows those without markdown), mrkdwn (a mention) for messages.
 */
import type { AdmissionRefusal } from '../services/pipeline/admission.js';

const DOING = {
  backup: 'backed up',
  restore: 'restored',
  delete: 'worked on',
  'schedule-run': 'backed up on a schedule',
  // Never holds an instance (openHoldersOf reads only backups' and restores' instances); here for completeness.
  'schedule-approval': 'approved for a schedule',
} as const;

export function admissionRefusalText(
  refusal: AdmissionRefusal,
  viewerUserId: string,
  format: 'plain' | 'mrkdwn',
): string {
  if (refusal.reason === 'too-many-open') {
    return (
      `You already have ${refusal.open} backups or restores in progress, the most one person may have at once ` +
      `(${refusal.limit}). Wait for one to finish (/cloudphone status), or ask an admin to raise ` +
      'CLOUDPHONE_MAX_OPEN_REQUESTS_PER_PERSON.'
    );
  }
  const { holder, otherBusy } = refusal;
  const who =
    holder.userId === viewerUserId
      ? 'you'
      : format === 'mrkdwn'
        ? `<@${holder.userId}>`
        : `Slack user ${holder.userId}`;
  const others = otherBusy > 0 ? ` (and ${otherBusy} more of these instances are busy too)` : '';
  return (
    `${holder.instanceId} is already being ${DOING[holder.kind]} by ${holder.requestId} (started by ${who})${others}; ` +
    'wait for it to finish, then try again.'
  );
}
