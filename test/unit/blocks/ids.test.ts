import { describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, COMMAND, OPTION } from '../../../src/blocks/ids.js';

describe('ids', () => {
  it('are unique within their kind and within Slack length limits', () => {
    for (const group of [CALLBACK, BLOCK, ACTION, OPTION]) {
      const values = Object.values(group) as string[];
      expect(new Set(values).size).toBe(values.length);
      for (const value of values) {
        expect(value.length).toBeGreaterThan(0);
        expect(value.length).toBeLessThanOrEqual(75);
      }
    }
  });
  it('name the command and the agreed ids', () => {
    expect(COMMAND).toBe('/cloudphone');
    expect(OPTION).toEqual({ stopBefore: 'stop_before', startAfter: 'start_after' });
    expect(ACTION.markVerified).toBeTruthy();
    expect(CALLBACK.backupModal).toBeTruthy();
  });
});
