import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultFleet, loadFleetFile } from '../../../../src/sandbox/simulator/fleet.js';
import { makeState } from './support.js';

describe('default fleet', () => {
  const fleet = defaultFleet();
  const distinct = (key: keyof (typeof fleet)[number]) => new Set(fleet.map((seed) => seed[key])).size;

  it('covers the cases the bot must handle', () => {
    expect(fleet).toHaveLength(8);
    expect(new Set(fleet.map((seed) => seed.status))).toEqual(new Set(['RUNNING', 'STOPPED']));
    expect(distinct('imageVersion')).toBe(2);
    expect(new Set(fleet.map((seed) => seed.bizImageType))).toEqual(new Set(['System', 'User']));
    expect(distinct('instanceType')).toBe(2);
    expect(distinct('serverType')).toBe(2);
    expect(distinct('groupId')).toBe(4);
    expect(fleet.every((seed) => /^acp-[a-z0-9]{17}$/.test(seed.id ?? ''))).toBe(true);
    expect(fleet.every((seed) => /^ag-[a-z0-9]{16}$/.test(seed.groupId ?? ''))).toBe(true);
    expect(fleet.some((seed) => (seed.packages ?? []).length === 0)).toBe(true);
  });

  it('keeps the ids the simulator README documents', () => {
    expect(Object.fromEntries(fleet.map((seed) => [seed.name, seed.id]))).toEqual({
      'support-01': 'acp-5im2h81vop0g97yye',
      'support-02': 'acp-s8ipbb7tojojqe0dg',
      'support-03': 'acp-xxtyfjr0e39h6shfp',
      'support-04': 'acp-b1jvqmlrz4rkv9m2p',
      'qa-01': 'acp-3hezoxev6u9w1z0r9',
      'qa-02': 'acp-w7cgtfp7a31rbsm10',
      'sales-01': 'acp-uo4ie0n3o827cy7ar',
      'beta-01': 'acp-6tzr3zyivn2uubec3',
    });
  });

  it('has ids that do not depend on the seed, so docs can quote them', () => {
    const a = makeState({ seed: 1 });
    const b = makeState({ seed: 'other' });
    expect([...a.state.instances.keys()]).toEqual([...b.state.instances.keys()]);
    expect(a.byName('support-01').id).toBe(defaultFleet()[0]?.id);
  });
});

describe('fleet files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-fleet-'));

  it('reads an array of seeds or an object with "instances"', () => {
    const arrayFile = join(dir, 'array.json');
    writeFileSync(arrayFile, JSON.stringify([{ name: 'a', status: 'STOPPED', packages: ['com.x'] }]));
    expect(loadFleetFile(arrayFile)).toEqual([{ name: 'a', status: 'STOPPED', packages: ['com.x'] }]);
    const objectFile = join(dir, 'object.json');
    writeFileSync(objectFile, JSON.stringify({ instances: [{ id: 'acp-abc' }] }));
    expect(loadFleetFile(objectFile)).toEqual([{ id: 'acp-abc' }]);
  });

  it('names every problem in a bad file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ status: 'ASLEEP', id: 'i-123' }]));
    expect(() => loadFleetFile(bad)).toThrow(/- 0\.status: /);
    expect(() => loadFleetFile(bad)).toThrow(/- 0\.id: /);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{');
    expect(() => loadFleetFile(broken)).toThrow(/Cannot read fleet file/);
  });
});
