import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageKindOf } from '../../../../src/services/fleet/instance-facts.js';
import {
  assessTarget,
  compatibilityProblems,
  crossRegionRefusal,
  includedTargets,
} from '../../../../src/services/restore/compat.js';
import type { ImageFacts, RestoreTarget, TargetFacts } from '../../../../src/services/restore/model.js';

const source: ImageFacts = {
  imageId: 'imgc-pub',
  imageVersion: '3.5.3.867',
  instanceType: 'acp.basic.small',
  imageKind: 'public',
  serverType: 'cpm.gx7.10xlarge',
};
const running = (facts: Partial<TargetFacts> = {}): TargetFacts => ({ ...source, status: 'RUNNING', ...facts });

describe('restore compatibility', () => {
  it('maps BizImageType to public or custom, and nothing to unknown', () => {
    expect(imageKindOf('System')).toBe('public');
    expect(imageKindOf('User')).toBe('custom');
    expect(imageKindOf(undefined)).toBeUndefined();
    expect(imageKindOf(' ')).toBeUndefined();
  });

  it('names each rule a target breaks, with both values', () => {
    expect(compatibilityProblems(source, source)).toEqual([]);
    expect(compatibilityProblems(source, { ...source, imageKind: 'custom' })).toEqual([
      { code: 'ImageKindMismatch', fact: 'imageKind', source: 'public', target: 'custom' },
    ]);
    expect(compatibilityProblems(source, { ...source, serverType: 'cpm.gx8.16xlarge' })[0]?.code).toBe(
      'ArchitectureMismatch',
    );
    expect(compatibilityProblems(source, { ...source, imageVersion: '3.6.1.1012' })[0]?.code).toBe(
      'ImageVersionMismatch',
    );
    expect(compatibilityProblems(source, { ...source, instanceType: 'acp.perf.large' })[0]?.code).toBe(
      'InstanceTypeMismatch',
    );
  });

  it('treats an unknown fact as a problem rather than a match', () => {
    expect(compatibilityProblems({ ...source, imageVersion: undefined }, source)[0]?.code).toBe('SourceFactUnknown');
    expect(compatibilityProblems(source, { ...source, serverType: '' })[0]?.code).toBe('TargetFactUnknown');
  });

  it('changing any one fact of a compatible target gives exactly one problem (property)', () => {
    const facts = ['imageKind', 'imageVersion', 'serverType', 'instanceType'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...facts), fc.stringMatching(/^[a-z0-9.]{1,12}$/), (fact, value) => {
        fc.pre(value !== source[fact]);
        const problems = compatibilityProblems(source, { ...source, [fact]: value });
        expect(problems).toHaveLength(1);
        expect(problems[0]?.fact).toBe(fact);
      }),
    );
  });

  it('decides each target: ready, needs a start, or refused with the reason', () => {
    expect(assessTarget({ facts: source }, running())).toEqual({ verdict: 'ready' });
    expect(assessTarget({ facts: source }, running({ status: 'STOPPED' }))).toEqual({ verdict: 'needs-start' });
    expect(assessTarget({ facts: source }, running({ status: 'RECOVER_FAILED' })).verdict).toBe('needs-start');
    expect(assessTarget({ facts: source }, running({ status: 'BACKUPING' }))).toMatchObject({
      verdict: 'refused',
      code: 'UnsuitableStatus',
    });
    // Incompatible and stopped: refused, never offered a start.
    expect(assessTarget({ facts: source }, running({ status: 'STOPPED', imageKind: 'custom' }))).toMatchObject({
      verdict: 'refused',
      code: 'ImageKindMismatch',
    });
    expect(assessTarget({ facts: source }, undefined)).toMatchObject({ verdict: 'refused', code: 'InstanceNotFound' });
    expect(assessTarget({ unknownReason: 'gone' }, running())).toEqual({
      verdict: 'refused',
      code: 'SourceUnknown',
      reason: 'gone',
    });
  });

  it('includes ready targets, and stopped ones only when the person chose to start them', () => {
    const targets = [
      { instanceId: 'acp-a', verdict: 'ready' },
      { instanceId: 'acp-b', verdict: 'needs-start' },
      { instanceId: 'acp-c', verdict: 'refused' },
    ] as RestoreTarget[];
    expect(includedTargets({ targets, startStopped: false }).map((t) => t.instanceId)).toEqual(['acp-a']);
    expect(includedTargets({ targets, startStopped: true }).map((t) => t.instanceId)).toEqual(['acp-a', 'acp-b']);
  });
});

describe('restores across regions', () => {
  it('refuses a target in another region than the backup, naming both; same or unknown regions pass', () => {
    expect(crossRegionRefusal('ap-southeast-1', 'cn-shanghai')).toEqual({
      verdict: 'refused',
      code: 'CrossRegion',
      reason:
        "the backup is in ap-southeast-1 and this instance in cn-shanghai; a restore stays within the backup's region",
    });
    expect(crossRegionRefusal('cn-shanghai', 'cn-shanghai')).toBeUndefined();
    expect(crossRegionRefusal(undefined, 'cn-shanghai')).toBeUndefined();
    expect(crossRegionRefusal('cn-shanghai', undefined)).toBeUndefined();
  });
});
