import { describe, expect, it } from 'vitest';
import { compactTime, gmtTime, isoTime, parseGmtTime } from '../../../../src/sandbox/simulator/format.js';

const MS = Date.UTC(2026, 4, 20, 2, 3, 4);

describe('date formats', () => {
  it('writes ISO fields in UTC to the second', () => {
    expect(isoTime(MS + 999)).toBe('2026-05-20T02:03:04Z');
  });

  it('writes Gmt fields as yyyy-MM-dd HH:mm:ss in UTC+8 and reads them back', () => {
    expect(gmtTime(MS)).toBe('2026-05-20 10:03:04');
    expect(parseGmtTime('2026-05-20 10:03:04')).toBe(MS);
    expect(parseGmtTime('2026-05-20T10:03:04Z')).toBeUndefined();
    expect(compactTime(MS)).toBe('20260520100304');
  });
});
