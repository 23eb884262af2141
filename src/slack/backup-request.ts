/**
 * What the modal and the inline command share between a valid backup form and its submission: the permission
 * decision, then the upload endpoint against the instances' region (services/backup/upload-region.ts). The decision
 * comes first, so a person the policy refuses learns nothing about the instances' regions; the decision is made on
 * the endpoint the request will use (the instances' own when the command named none). Ids that name no instance are
 * refused after the decision too, and before the region errors: fixing the id may settle the region.
 */
import type { PendingDecision } from '../services/access/guard.js';
import type { AccessDenial } from '../services/access/permissions.js';
import type { BackupFieldErrors } from '../services/backup/input.js';
import type { TypedIn } from '../services/backup/known-instances.js';
import type { Actor, BackupSpec } from '../services/backup/model.js';
import type { Services } from '../services/index.js';

export type BackupDecision =
  | { kind: 'denied'; pending: PendingDecision; denial: AccessDenial }
  | { kind: 'errors'; errors: BackupFieldErrors }
  | { kind: 'allowed'; spec: BackupSpec; pending: PendingDecision };

export async function decideBackup(
  services: Pick<Services, 'backups' | 'uploadRegions' | 'knownInstances'>,
  request: { actor: Actor; spec: BackupSpec; channelId: string; endpointTyped: boolean; typedIn: TypedIn },
): Promise<BackupDecision> {
  const { actor, channelId } = request;
  const settled = await services.uploadRegions.settle(request.spec, { endpointTyped: request.endpointTyped });
  const pending = await services.backups.authorize(actor, settled.ok ? settled.spec : request.spec, channelId);
  if (!pending.decision.allowed) return { kind: 'denied', pending, denial: pending.decision };
  // An allowed decision is recorded with the request it allows; a request not made records nothing, like a typo.
  const unknown = await services.knownInstances.check(request.spec.instanceIds, request.typedIn);
  if (unknown) return { kind: 'errors', errors: unknown };
  if (!settled.ok) return { kind: 'errors', errors: settled.errors };
  return { kind: 'allowed', spec: settled.spec, pending };
}
