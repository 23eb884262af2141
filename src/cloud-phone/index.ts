/** The cloud phone (eds-aic 2023-09-30) API client: the one import path the rest of the bot uses. */
export {
  API_VERSION,
  type BackupAppRequest,
  type CallEvent,
  type CloudPhoneApi,
  type CloudPhoneClientOptions,
  createCloudPhoneClient,
  DEFAULT_TIMEOUT_MS,
  type DescribeBackupFilesQuery,
  type DescribeInstancesQuery,
  type DescribeTasksQuery,
  MAX_COMMAND_INSTANCES_PER_CALL,
  MAX_INSTANCES_PER_CALL,
  MAX_PAGES,
  PAGE_SIZE,
  parsePackageList,
  type RecoverAppRequest,
  type RunSyncCommandRequest,
  type UnusableItemEvent,
} from './client.js';
export {
  type CredentialProvider,
  type CredentialSource,
  type CredentialSourceOptions,
  type Credentials,
  CredentialsUnavailableError,
  createCredentialSource,
  maskAccessKeyId,
} from './credentials.js';
export {
  type CallPriority,
  createRateLimiter,
  type Permit,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimiterStats,
} from './rate-limiter.js';
export {
  createRegionalCloudPhoneClient,
  type RegionalClientOptions,
  type RegionalCloudPhoneApi,
  type RegionEndpoint,
} from './regional.js';
export {
  DOCUMENTED_REGIONS,
  isKnownUploadEndpoint,
  type ResolvedEndpoint,
  resolveEndpoint,
  UPLOAD_ENDPOINTS,
  type UploadEndpointOption,
} from './regions.js';
export {
  DEFAULT_RETRY_OPTIONS,
  decideRetry,
  fullJitterDelay,
  parseRetryAfter,
  type RetryDecision,
  type RetryOptions,
  resolveRetryOptions,
} from './retry.js';
export {
  BackupAppResult,
  BackupFile,
  CommandOutput,
  Instance,
  isTerminalTaskStatus,
  RecoverAppResult,
  Task,
  TERMINAL_TASK_STATUSES,
  UNREADABLE_STATUS,
  type UnusableItem,
} from './schema.js';
