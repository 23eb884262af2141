import { describe, expect, it } from 'vitest';
import { internalUploadEndpoint, ossEndpointRegion } from '../../../../src/cloud-phone/regions.js';
import type { BackupSpec } from '../../../../src/services/backup/model.js';
import {
  createUploadRegions,
  endpointFollowingRegion,
  uploadRegionErrors,
} from '../../../../src/services/backup/upload-region.js';

const HZ = 'oss-cn-hangzhou-internal.aliyuncs.com';
const SH = 'oss-cn-shanghai-internal.aliyuncs.com';
const REGIONS = { 'acp-sh1': 'cn-shanghai', 'acp-sh2': 'cn-shanghai', 'acp-hz1': 'cn-hangzhou' };

const spec = (instanceIds: string[], uploadEndpoint: string): BackupSpec => ({
  instanceIds,
  apps: ['com.example.app'],
  uploadEndpoint,
  backupPath: 'oss://cloudphone-saved-bucket-x/backups/',
  stopBeforeBackup: true,
  startAfterBackup: true,
});

describe('ossEndpointRegion', () => {
  it.each([
    ['oss-cn-hangzhou-internal.aliyuncs.com', { region: 'cn-hangzhou', internal: true }],
    ['oss-cn-hangzhou.aliyuncs.com', { region: 'cn-hangzhou', internal: false }],
    ['OSS-AP-SOUTHEAST-1-INTERNAL.aliyuncs.com', { region: 'ap-southeast-1', internal: true }],
    ['oss-accelerate.aliyuncs.com', undefined],
    ['oss-rg-china-mainland.aliyuncs.com', undefined],
    ['example.com', undefined],
  ])('%s serves %o', (host, expected) => {
    expect(ossEndpointRegion(host)).toEqual(expected);
  });

  it('round-trips the internal endpoint of a region', () => {
    expect(ossEndpointRegion(internalUploadEndpoint('eu-central-1'))).toEqual({
      region: 'eu-central-1',
      internal: true,
    });
  });
});

describe('uploadRegionErrors', () => {
  it('accepts an endpoint of the instances’ region, and one whose region it cannot tell', () => {
    expect(uploadRegionErrors(spec(['acp-sh1', 'acp-sh2'], SH), REGIONS)).toBeUndefined();
    expect(uploadRegionErrors(spec(['acp-sh1'], 'oss-cn-shanghai.aliyuncs.com'), REGIONS)).toBeUndefined();
    expect(uploadRegionErrors(spec(['acp-sh1'], 'oss-accelerate.aliyuncs.com'), REGIONS)).toBeUndefined();
  });

  it('leaves instances the cloud does not know to the backup itself', () => {
    expect(uploadRegionErrors(spec(['acp-unknown'], HZ), REGIONS)).toBeUndefined();
    expect(uploadRegionErrors(spec(['acp-unknown', 'acp-hz1'], HZ), REGIONS)).toBeUndefined();
  });

  it('refuses an endpoint of another region, naming both and the endpoint to choose', () => {
    const errors = uploadRegionErrors(spec(['acp-sh1', 'acp-sh2'], 'oss-cn-hangzhou.aliyuncs.com'), REGIONS);
    expect(Object.keys(errors ?? {})).toEqual(['uploadEndpoint']);
    expect(errors?.uploadEndpoint).toContain('`oss-cn-hangzhou.aliyuncs.com` is in `cn-hangzhou`');
    expect(errors?.uploadEndpoint).toContain('`acp-sh1`, `acp-sh2` are in `cn-shanghai`');
    expect(errors?.uploadEndpoint).toContain(`Choose \`${SH}\``);
  });

  it('refuses instances in two regions under the instances, whatever the endpoint', () => {
    const errors = uploadRegionErrors(spec(['acp-sh1', 'acp-hz1', 'acp-sh2'], SH), REGIONS);
    expect(Object.keys(errors ?? {})).toEqual(['instanceIds']);
    expect(errors?.instanceIds).toContain(
      'in 2 regions: `acp-sh1`, `acp-sh2` in `cn-shanghai`; `acp-hz1` in `cn-hangzhou`',
    );
  });
});

describe('endpointFollowingRegion', () => {
  it('keeps an endpoint of the instances’ region, public or internal', () => {
    expect(endpointFollowingRegion(['acp-hz1'], REGIONS, 'oss-cn-hangzhou.aliyuncs.com')).toBe(
      'oss-cn-hangzhou.aliyuncs.com',
    );
  });

  it('moves to the internal endpoint of the instances’ region', () => {
    expect(endpointFollowingRegion(['acp-hz1'], REGIONS, SH)).toBe(HZ);
  });

  it('keeps the fallback for mixed or unknown instances', () => {
    expect(endpointFollowingRegion(['acp-hz1', 'acp-sh1'], REGIONS, SH)).toBe(SH);
    expect(endpointFollowingRegion(['acp-unknown'], REGIONS, SH)).toBe(SH);
  });
});

describe('createUploadRegions', () => {
  const lookups: string[][] = [];
  const regions = (enabled: boolean, fail = false) =>
    createUploadRegions({
      enabled,
      regionsOf: async (ids) => {
        lookups.push([...ids]);
        if (fail) throw new Error('cloud down');
        return REGIONS;
      },
    });

  it('asks nothing and changes nothing with one configured region', async () => {
    lookups.length = 0;
    const one = regions(false);
    expect(await one.endpointFor(['acp-hz1'], SH)).toBe(SH);
    expect(await one.settle(spec(['acp-hz1'], SH), { endpointTyped: true })).toEqual({
      ok: true,
      spec: spec(['acp-hz1'], SH),
    });
    expect(lookups).toEqual([]);
  });

  it('follows the region when the endpoint was not typed, and checks a typed one as it is', async () => {
    const several = regions(true);
    expect(await several.settle(spec(['acp-hz1'], SH), { endpointTyped: false })).toEqual({
      ok: true,
      spec: spec(['acp-hz1'], HZ),
    });
    const typed = await several.settle(spec(['acp-hz1'], SH), { endpointTyped: true });
    expect(typed.ok).toBe(false);
  });

  it('fails closed, saying to try again, when the cloud does not say where the instances are', async () => {
    const down = regions(true, true);
    const settled = await down.settle(spec(['acp-hz1'], HZ), { endpointTyped: true });
    expect(settled).toMatchObject({ ok: false, errors: { instanceIds: expect.stringContaining('Try again') } });
    // The form still opens, with the usual endpoint.
    expect(await down.endpointFor(['acp-hz1'], SH)).toBe(SH);
  });
});
