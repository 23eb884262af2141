/**
 * Thrown by a step that already set its request's next wake-up (a lookup it needs failed): the runner leaves the
 * request as it is, logs nothing, and runs the step again then.
 */
export class RetryLater extends Error {
  constructor(what = 'step') {
    super(`${what}: retry later`);
  }
}
