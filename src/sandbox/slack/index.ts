/** Local Slack for tests and the demo: a Web API stand-in and a driver that acts like Slack towards a Bolt app. */
export { checkMessageBlocks, checkView, LIMITS, type Rejection } from './block-kit.js';
export {
  ACK_BUDGET_MS,
  type BlockSuggestionInput,
  type ClickButtonInput,
  checkOptionsAnswer,
  createSlackDriver,
  type DriverResponse,
  type Forgery,
  type SelectOptionInput,
  type SendEventOptions,
  type SlackDriver,
  type SlackDriverOptions,
  type SlashCommandInput,
  type SubmitViewInput,
} from './driver.js';
export * from './payloads.js';
export type { FaultOptions, RateLimitOptions } from './rate-limit.js';
export { RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL_MS } from './response-url.js';
export { signSlackRequest, slackSignatureHeaders } from './signing.js';
export {
  type ChannelSnapshot,
  type RecordedCall,
  type SlackStandIn,
  type SlackStandInOptions,
  startSlackStandIn,
  type WaitOptions,
} from './stand-in.js';
export type { ResponsePost, StoredEphemeral, StoredMessage, ViewObject } from './state.js';
export type { CommandAckOutcome, ViewSubmissionOutcome } from './ui.js';
export type {
  BotIdentity,
  SeedChannel,
  SeedDm,
  SeedUser,
  SeedUserGroup,
  TeamInfo,
  WorkspaceSeed,
} from './workspace.js';
