/**
 * The bot's domain model: what services decide on and what blocks render. No Slack or cloud wire types here.
 */

/** Who asked. Slack ids only; display names are resolved by Slack from `<@U…>` mentions. */
export interface Actor {
  userId: string;
  teamId: string;
}

/** Where a request came from. */
export interface Origin {
  channelId: string;
  /** Slack's response_url, when the surface had one (slash commands). Used for ephemeral replies only. */
  responseUrl?: string | undefined;
}

/** A validated backup request, as a person filled it in (modal or inline command). */
export interface BackupSpec {
  instanceIds: string[];
  apps: string[];
  uploadEndpoint: string;
  /** OSS directory URL, `oss://bucket/dir/`. */
  backupPath: string;
  backupFileName?: string | undefined;
  description?: string | undefined;
  stopBeforeBackup: boolean;
  startAfterBackup: boolean;
  /**
   * Not asked for: the instances' names as the cloud listed them when the bot looked the instances up, so messages
   * show a name beside each id.
   */
  instanceNames?: Record<string, string> | undefined;
}

/** Who pressed Cancel on a request, and when (epoch ms); every kind keeps it the same way (pipeline/cancel.ts). */
export interface Cancellation {
  userId: string;
  at: number;
}

export type RequestStatus = 'received' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** Per-instance state within a backup request. */
export type InstanceState =
  | 'pending' // looked up, not yet sent
  | 'skipped' // not sent: unknown id or unsuitable state (reason in error*)
  | 'stopping' // the bot asked it to stop and waits for STOPPED
  | 'submitted' // BackupApp accepted it; task running
  | 'succeeded'
  | 'failed';

export interface InstanceProgress {
  instanceId: string;
  state: InstanceState;
  /** Instance facts recorded at lookup time; a restore later must match them. */
  imageId?: string | undefined;
  imageVersion?: string | undefined;
  instanceType?: string | undefined;
  /** `public` or `custom` image (from BizImageType / image id prefix). */
  imageKind?: string | undefined;
  taskId?: string | undefined;
  backupFileId?: string | undefined;
  backupFileName?: string | undefined;
  sizeBytes?: number | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  /** RequestId of the cloud call whose error this is, if any. */
  requestId?: string | undefined;
  /** True when the bot stopped this instance before the backup. */
  stoppedByBot?: boolean | undefined;
  /** After the backup: 'started' when the bot started it again, or the error code when that failed. */
  restart?: { ok: boolean; errorCode?: string | undefined; errorMessage?: string | undefined } | undefined;
}

/** A cloud error as a person should see it: code, message and the RequestId support will ask for. */
export interface CloudFailure {
  code: string;
  message: string;
  requestId?: string | undefined;
  /** True when the bot cannot tell whether the call took effect. */
  outcomeUnknown?: boolean | undefined;
  /**
   * With `outcomeUnknown`: what the service itself answered (a 5xx's code and message), or the bot's code for no
   * answer at all (`Timeout`, `NetworkError`), so a later message can show it beside the bot's `OutcomeUnknown`.
   */
  answer?: { code: string; message: string } | undefined;
}

/** Everything needed to render a backup request's parent message and its completion reply. */
export interface BackupRequestView {
  id: string;
  actor: Actor;
  channelId: string;
  spec: BackupSpec;
  status: RequestStatus;
  createdAt: Date;
  finishedAt?: Date | undefined;
  instances: InstanceProgress[];
  /** A failure of the whole request (for example BackupApp itself refused). */
  failure?: CloudFailure | undefined;
  /** True when the bot runs against the built-in simulator, so every message says so. */
  simulated: boolean;
  /** Someone cancelled it: instances whose backup was not sent are skipped. */
  cancelled?: Cancellation | undefined;
}
