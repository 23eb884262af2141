import { describe, expect, it } from 'vitest';
import { endedTaskOutcome, lostTaskOutcome } from '../../../../src/services/pipeline/task-outcome.js';

describe('what a DescribeTasks state means for the instance', () => {
  it('treats Finished as success, Failed/Skipped/PartFinished as failure, anything else as still running', () => {
    expect(endedTaskOutcome({ status: 'Finished' }, 'backup')).toEqual({ state: 'succeeded' });
    expect(endedTaskOutcome({ status: 'Failed', errorCode: 'AppNotInstalled', errorMsg: 'no app' }, 'backup')).toEqual({
      state: 'failed',
      errorCode: 'AppNotInstalled',
      errorMessage: 'no app',
    });
    expect(endedTaskOutcome({ status: 'PartFinished', errorCode: '', errorMsg: '' }, 'restore')).toEqual({
      state: 'failed',
      errorCode: 'PartFinished',
      errorMessage: 'the restore task ended PartFinished',
    });
    expect(endedTaskOutcome({ status: 'Skipped' }, 'backup')?.state).toBe('failed');
    expect(endedTaskOutcome({ status: 'Processing' }, 'backup')).toBeUndefined();
    expect(endedTaskOutcome({ status: 'Waiting' }, 'restore')).toBeUndefined();
  });

  it('says which task the API stopped returning', () => {
    expect(lostTaskOutcome('t-1')).toEqual({
      state: 'failed',
      errorCode: 'TaskNotFound',
      errorMessage: 'DescribeTasks no longer returns task t-1',
    });
  });
});
