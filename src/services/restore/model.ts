/**
 * The restore side of the domain model: what a backup needs of a target, what the plan decided about each target,
 * and how a restore request stands. No Slack or cloud wire types here.
 */
import type { Actor, Cancellation, CloudFailure } from '../backup/model.js';
import type { TargetCheck } from '../verify/compare.js';

/** The facts that decide whether a backup can be restored onto an instance (cloud-phone-api.md §3.1 caveat 3). */
export interface ImageFacts {
  imageId?: string | undefined;
  imageVersion?: string | undefined;
  instanceType?: string | undefined;
  /** `public` (BizImageType System) or `custom`. */
  imageKind?: string | undefined;
  /** The matrix spec, e.g. `cpm.gx7.10xlarge`: the architecture. */
  serverType?: string | undefined;
}

/**
 * Where the source facts came from: `recorded` by the bot's backup workflow when it made the backup, or read from
 * the source instance `now` (a backup made elsewhere; the instance may have changed since).
 */
export type FactsOrigin = 'recorded' | 'source-now';

/** A backup file as a restore or a deletion sees it. */
export interface BackupFileInfo {
  backupFileId: string;
  name?: string | undefined;
  /** The full object path (`oss://…/….ab`) RecoverApp wants. */
  path?: string | undefined;
  uploadEndpoint?: string | undefined;
  /** Cloud status (§4.2), e.g. AVAILABLE. */
  status: string;
  sourceInstanceId?: string | undefined;
  sourceInstanceName?: string | undefined;
  apps: string[];
  sizeBytes?: number | undefined;
  /** Epoch ms. */
  createdAt?: number | undefined;
  /** The bot's backup request that made it, when the bot made it. */
  madeByRequestId?: string | undefined;
  madeByUserId?: string | undefined;
  /** The region the backup file is in, when the cloud listed it. */
  region?: string | undefined;
}

/** The backup a restore plan was made from, with the source facts the targets were checked against. */
export interface RestoreSource extends BackupFileInfo {
  /** Undefined when they could not be found: then every target is refused. */
  facts?: ImageFacts | undefined;
  factsOrigin?: FactsOrigin | undefined;
}

export type TargetVerdict = 'ready' | 'needs-start' | 'refused';

export type TargetState =
  | 'planned' // in a plan nobody confirmed yet
  | 'starting' // stopped; the person chose to start it first
  | 'pending' // running and compatible; RecoverApp not sent yet
  | 'submitted' // RecoverApp accepted; task running
  | 'succeeded'
  | 'failed'
  | 'skipped'; // never sent: refused, left out, or no longer suitable at submit time (reason in error*)

/** What a target looked like when the bot checked it. */
export interface TargetFacts extends ImageFacts {
  status: string;
  name?: string | undefined;
}

export interface RestoreTarget {
  instanceId: string;
  verdict: TargetVerdict;
  state: TargetState;
  facts?: TargetFacts | undefined;
  /** Apps of the backup already installed on the target (they are uninstalled first); undefined when unknown. */
  overwrites?: string[] | undefined;
  startedByBot: boolean;
  callId?: number | undefined;
  taskId?: string | undefined;
  /** Refusal or failure code, e.g. `ImageVersionMismatch`, and the reason in words. */
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  /** RequestId of the cloud call whose error this is. */
  requestId?: string | undefined;
}

/** A target whose RecoverApp has not been sent (it waits to start, or to be sent): what a cancel still stops. */
export function restoreNotSent(target: Pick<RestoreTarget, 'state' | 'callId' | 'taskId'>): boolean {
  return (
    (target.state === 'starting' || target.state === 'pending') &&
    target.callId === undefined &&
    target.taskId === undefined
  );
}

export type RestoreStatus =
  | 'planned'
  | 'received'
  | 'awaiting-approval' // a policy rule asks for approval first (services/approval)
  | 'running'
  | 'succeeded'
  | 'partial'
  | 'failed'
  | 'denied' // an approver denied it: nothing was changed
  | 'expired' // no approval in time: nothing was changed
  | 'cancelled'; // someone pressed Cancel before any RecoverApp was sent: nothing was restored

/** `automatic`: the bot's app probe after the restore; `manual`: a person's "Mark restore verified". */
export type VerificationKind = 'automatic' | 'manual';

export interface Verification {
  kind: VerificationKind;
  backupFileId: string;
  restoreRequestId: string;
  /** Who pressed the button (manual); undefined for the bot's own check. */
  userId?: string | undefined;
  at: Date;
  instanceIds: string[];
  /** Automatic: the targets' checks that passed. */
  evidence?: TargetCheck[] | undefined;
}

/** A backup file's latest verification of each kind. */
export interface FileVerifications {
  automatic?: Verification | undefined;
  manual?: Verification | undefined;
}

/** The latest verification of either kind, if any. */
export function latestVerification(verifications: FileVerifications | undefined): Verification | undefined {
  const { automatic, manual } = verifications ?? {};
  if (!automatic || !manual) return automatic ?? manual;
  return automatic.at.getTime() > manual.at.getTime() ? automatic : manual;
}

/** What the verify step found on each restored target (absent until it ran; `targets` empty when none was restored). */
export interface RestoreChecks {
  at: Date;
  targets: TargetCheck[];
}

/** Everything the messages about one restore need. */
export interface RestoreRequestView {
  id: string;
  actor: Actor;
  channelId: string;
  backup: RestoreSource;
  status: RestoreStatus;
  startStopped: boolean;
  createdAt: Date;
  finishedAt?: Date | undefined;
  targets: RestoreTarget[];
  failure?: CloudFailure | undefined;
  /** The person's verification ("Mark restore verified"). */
  verification?: Verification | undefined;
  /** The bot's verification, when its checks after the restore passed. */
  automaticVerification?: Verification | undefined;
  /** What the checks after the restore found, passed or not. */
  checks?: RestoreChecks | undefined;
  simulated: boolean;
  /** Someone cancelled it: targets whose RecoverApp was not sent are skipped. */
  cancelled?: Cancellation | undefined;
  /** The restore whose failed targets this one retries ("Retry failed…" on its reply). */
  retryOf?: string | undefined;
}
