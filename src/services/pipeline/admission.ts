/**
 * Whether new work may start: an instance already being backed up or restored is not touched by a second request
 * (two requests stopping and starting the same phone undo each other), and one person may have only so many backups
 * and restores open at once (each may stop hundreds of phones). Checked synchronously just before the request is
 * recorded, so nothing can slip in between (one process, one database).
 */
import type { InstanceHolder, RequestRepository } from '../../db/requests.js';

export type AdmissionRefusal =
  | { reason: 'instance-busy'; holder: InstanceHolder; otherBusy: number }
  | { reason: 'too-many-open'; open: number; limit: number };

export function checkAdmission(
  requests: Pick<RequestRepository, 'openHoldersOf' | 'openCountOf'>,
  input: { userId: string; instanceIds: readonly string[]; maxOpenPerPerson: number },
): AdmissionRefusal | undefined {
  const holders = input.instanceIds.length > 0 ? requests.openHoldersOf(input.instanceIds) : [];
  const first = holders[0];
  if (first) {
    const busy = new Set(holders.map((holder) => holder.instanceId));
    return { reason: 'instance-busy', holder: first, otherBusy: busy.size - 1 };
  }
  const open = requests.openCountOf(input.userId);
  if (open >= input.maxOpenPerPerson) return { reason: 'too-many-open', open, limit: input.maxOpenPerPerson };
  return undefined;
}
