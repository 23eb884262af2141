/**
 * Error codes the bot makes up (for what it found itself, or for a call with no answer), as opposed to the codes the
 * cloud phone service answers with. Messages mark these as the bot's, so nobody searches Alibaba Cloud's error
 * centre for them. A code added to a service or the cloud client belongs here too.
 */
const BOT_ERROR_CODES: ReadonlySet<string> = new Set([
  // Cloud calls with no usable answer (cloud-phone/failures.ts, pipeline/cloud-failure.ts).
  'OutcomeUnknown',
  'Timeout',
  'NetworkError',
  'MalformedResponse',
  'ClientClosed',
  'CredentialsUnavailable',
  'TooManyItems',
  'TooManyPages',
  'BotError',
  'UnknownError',
  // Backups and tasks.
  'InstanceNotFound',
  'NotAccepted',
  'NotRunning',
  'UnsuitableStatus',
  'TaskTimeout',
  'TaskNotFound',
  // Restores.
  'ArchitectureMismatch',
  'BackupBusy',
  'BackupNotFound',
  'BackupPathUnknown',
  'BackupUnavailable',
  'CheckFailed',
  'CrossRegion',
  'CrossRegionRestore',
  'ImageKindMismatch',
  'ImageVersionMismatch',
  'InstanceTypeMismatch',
  'LeftOut',
  'RestoreInProgress',
  'SourceFactUnknown',
  'SourceUnknown',
  'TargetFactUnknown',
  // Access and deletions.
  'OutsideYourScope',
  'AlreadyDeleting',
  'Refused',
  'Cancelled',
  'StopTimeout',
]);

/** `Http503`: a non-2xx answer without an error body; the bot named it after the status. */
const HTTP_STATUS_CODE = /^Http\d{3}$/;

export function isBotErrorCode(code: string): boolean {
  return BOT_ERROR_CODES.has(code) || HTTP_STATUS_CODE.test(code);
}
