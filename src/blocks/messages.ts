/**
 * Every message builder in one import. Each returns `{text, blocks}`: `text` is the notification fallback Slack
 * shows where blocks cannot be rendered. The builders live in topic files beside this one.
 */

export { auditLookingUpMessage, auditMessage, auditPersonUnknownMessage } from './audit-messages.js';
export {
  backupCompletionReply,
  backupParentMessage,
  backupResultsCsv,
  type CompletionReply,
  cloudErrorReply,
  countInstances,
  type InstanceCounts,
  instanceLine,
  LIST_IN_FULL_UP_TO,
  resultsFilename,
  statusText,
} from './backup-messages.js';
export {
  formDenialText,
  inlineErrorsMessage,
  notInChannelMessage,
  permissionDeniedMessage,
  requestAcceptedMessage,
  unexpectedErrorMessage,
} from './error-messages.js';
export { formatBytes, formatDuration, mention, plural, progressBar, slackDate } from './format.js';
export type { SlackMessage } from './limits.js';
export { unknownCommandMessage, usageMessage } from './usage.js';
