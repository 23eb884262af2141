/** The cloud phone (eds-aic 2023-09-30) API simulator: public surface. */

export { type AppFaults, EMPTY_DATA_BYTES, type SimApp } from './apps.js';
export { API_VERSION, HOST_ID } from './constants.js';
export type { FaultRule, Faults } from './faults.js';
export { type BackupFileSeed, defaultFleet, type InstanceSeed, loadFleetFile } from './fleet.js';
export type { RequestLogEntry } from './gateway.js';
export type { Credentials } from './gateway-auth.js';
export type { CallRateReport, RateLimitOptions } from './rate-limit.js';
export {
  type BuiltRequest,
  buildSignedRequest,
  callSimulator,
  type SignedFetchOptions,
  type SignedResponse,
  type SimulatorTarget,
  signedFetch,
} from './sign-request.js';
export { DEFAULT_CREDENTIALS, type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
export {
  BACKUP_FILE_STATUSES,
  type BackupFileStatus,
  DEFAULT_TIMING,
  FAST_TIMING,
  INSTANCE_STATUSES,
  type InstanceStatus,
  type SimBackupFile,
  type SimInstance,
  type SimState,
  type SimTask,
  TASK_STATUSES,
  type TaskStatus,
  type Timing,
} from './state.js';
