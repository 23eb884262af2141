/**
 * Typed errors. Services throw these; the Slack layer turns them into words for a person (see src/blocks).
 * Every error has a stable string `code` so callers branch on codes, never on message text.
 */
export class AppError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input from a person; the message says what to fix. */
export class UsageError extends AppError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('usage', message);
  }
}

/** Configuration that cannot run; `problems` lists each one with how to fix it. */
export class ConfigError extends AppError {
  constructor(readonly problems: string[]) {
    super('config_invalid', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface CloudApiErrorDetails {
  /** The API's `Code`, or a local code such as `NetworkError`, `Timeout`, `OutcomeUnknown`, `MalformedResponse`. */
  apiCode: string;
  apiMessage: string;
  requestId?: string | undefined;
  httpStatus?: number | undefined;
  recommend?: string | undefined;
  action: string;
  /**
   * True when a mutating call failed after the request may have reached the service, so it may or may not
   * have taken effect. Callers must reconcile (look the result up) instead of sending it again.
   */
  outcomeUnknown?: boolean;
  retryable?: boolean;
}

export class CloudApiError extends AppError {
  readonly apiCode: string;
  readonly apiMessage: string;
  readonly requestId: string | undefined;
  readonly httpStatus: number | undefined;
  readonly recommend: string | undefined;
  readonly action: string;
  readonly outcomeUnknown: boolean;
  readonly retryable: boolean;

  constructor(details: CloudApiErrorDetails, options?: { cause?: unknown }) {
    const where = details.requestId ? ` (RequestId ${details.requestId})` : '';
    super('cloud_api', `${details.action} failed: ${details.apiCode}: ${details.apiMessage}${where}`, options);
    this.apiCode = details.apiCode;
    this.apiMessage = details.apiMessage;
    this.requestId = details.requestId;
    this.httpStatus = details.httpStatus;
    this.recommend = details.recommend;
    this.action = details.action;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
    this.retryable = details.retryable ?? false;
  }
}
