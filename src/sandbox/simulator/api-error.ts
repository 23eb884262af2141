/**
 * Errors the simulated service answers with, and their wire shape. Gateway codes and messages follow the common POP
 * gateway catalogue (cloud-phone-api.md §5.2; messages as the real gateway words them). eds-aic's own catalogue is not
 * published (§5.1, §9.3), so the service-level codes below are plausible stand-ins, named in the gateway's
 * `Invalid{Thing}.{Problem}` style; a client should branch on them only through one mapping table.
 */

import { HOST_ID, PRODUCT } from './constants.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  RequestId: string;
  HostId: string;
  Code: string;
  Message: string;
  Recommend: string;
}

export function errorBody(error: ApiError, requestId: string): ErrorBody {
  const recommend = new URL('https://api.aliyun.com/troubleshoot');
  recommend.searchParams.set('q', error.code);
  recommend.searchParams.set('product', PRODUCT);
  recommend.searchParams.set('requestId', requestId);
  return { RequestId: requestId, HostId: HOST_ID, Code: error.code, Message: error.message, Recommend: recommend.href };
}

export const missingParameter = (name: string, note = ''): ApiError =>
  new ApiError(
    400,
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.${note}`,
  );

export const invalidParameter = (name: string, why: string): ApiError =>
  new ApiError(400, 'InvalidParameter', `The specified parameter "${name}" is not valid: ${why}`);

export const apiNotFound = (): ApiError =>
  new ApiError(404, 'InvalidApi.NotFound', 'Specified api is not found, please check your url and method.');

export const instanceNotFound = (id: string): ApiError =>
  new ApiError(404, 'InvalidAndroidInstanceId.NotFound', `The specified Android instance "${id}" does not exist.`);

export const backupFileNotFound = (id: string): ApiError =>
  new ApiError(404, 'InvalidBackupFileId.NotFound', `The specified backup file "${id}" does not exist.`);

/** A wrong-state answer. The real code is UNCONFIRMED (§5.1); this one is our stand-in. */
export const instanceStatusInvalid = (id: string, status: string, action: string, allowed: readonly string[]) =>
  new ApiError(
    400,
    'InvalidStatus.AndroidInstance',
    `The current status ${status} of instance "${id}" does not support ${action}. Allowed: ${allowed.join(', ')}.`,
  );

export const backupFileStatusInvalid = (id: string, status: string, action: string) =>
  new ApiError(
    400,
    'InvalidStatus.BackupFile',
    `The current status ${status} of backup file "${id}" does not support ${action}.`,
  );

/** The gateway's flow-control refusal (§5.2): no effect; `x-acs-retry-after` says when to come back, in ms. */
export const userFlowControl = (retryAfterMs: number): ApiError =>
  new ApiError(400, 'Throttling.User', 'Request was denied due to user flow control.', {
    'x-acs-retry-after': String(retryAfterMs),
  });
