import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../../src/sandbox/simulator/api-error.js';
import { Params } from '../../../../src/sandbox/simulator/params.js';

function failure(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
}

describe('Params', () => {
  it('reads repeatList items in numeric index order, not key order, and drops empties and duplicates', () => {
    const raw: Record<string, string> = { 'Ids.10': 'j', 'Ids.2': 'b', 'Ids.1': 'a', 'Ids.3': '', 'Ids.4': 'a' };
    expect(new Params(raw).list('Ids')).toEqual(['a', 'b', 'j']);
    expect(new Params({ 'IdsX.1': 'x', Ids: 'y' }).list('Ids')).toEqual([]);
  });

  it('answers MissingParameter naming the parameter, with a hint when a list was sent as a scalar', () => {
    expect(failure(() => new Params({}).list('AndroidInstanceIdList', { required: true }))).toEqual({
      code: 'MissingParameter',
      message:
        'The input parameter "AndroidInstanceIdList" that is mandatory for processing this request is not supplied.',
    });
    expect(failure(() => new Params({ Ids: '["a"]' }).list('Ids', { required: true }))?.message).toContain('Ids.1');
    expect(failure(() => new Params({ Path: '' }).string('Path', { required: true }))?.code).toBe('MissingParameter');
  });

  it('refuses more items than allowed', () => {
    const raw = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`Ids.${i + 1}`, `v${i}`]));
    expect(failure(() => new Params(raw).list('Ids'))?.code).toBe('InvalidParameter');
    expect(new Params(raw).list('Ids', { max: 101 })).toHaveLength(101);
  });

  it('checks integers, booleans and enumerations', () => {
    const params = new Params({ Max: '101', Bad: '1.5', Flag: 'yes', Ok: 'true', Kind: 'Nope' });
    expect(failure(() => params.int('Max', { min: 1, max: 100, default: 10 }))?.message).toContain('between 1 and 100');
    expect(failure(() => params.int('Bad', { min: 1, max: 100, default: 10 }))?.code).toBe('InvalidParameter');
    expect(params.int('Absent', { min: 1, max: 100, default: 10 })).toBe(10);
    expect(failure(() => params.bool('Flag'))?.code).toBe('InvalidParameter');
    expect(params.bool('Ok')).toBe(true);
    expect(failure(() => params.oneOf('Kind', ['A', 'B']))?.code).toBe('InvalidParameter');
    expect(failure(() => new Params({ 'S.1': 'A', 'S.2': 'C' }).listOf('S', ['A', 'B']))?.message).toContain('"C"');
  });
});
