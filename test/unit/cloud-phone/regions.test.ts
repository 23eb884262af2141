import { describe, expect, it } from 'vitest';
import {
  DOCUMENTED_REGIONS,
  isKnownUploadEndpoint,
  resolveEndpoint,
  UPLOAD_ENDPOINTS,
} from '../../../src/cloud-phone/regions.js';
import { ConfigError } from '../../../src/errors.js';

describe('resolveEndpoint', () => {
  it('uses the documented endpoints without a warning', () => {
    expect(DOCUMENTED_REGIONS).toEqual(['cn-shanghai', 'ap-southeast-1']);
    for (const region of DOCUMENTED_REGIONS) {
      const resolved = resolveEndpoint({ region });
      expect(resolved.url.href).toBe(`https://eds-aic.${region}.aliyuncs.com/`);
      expect(resolved.warning).toBeUndefined();
    }
  });

  it('falls back to the pattern for an undocumented region and says so', () => {
    const resolved = resolveEndpoint({ region: 'cn-hangzhou' });
    expect(resolved.url.host).toBe('eds-aic.cn-hangzhou.aliyuncs.com');
    expect(resolved.warning).toMatch(/cn-hangzhou/);
    expect(resolved.warning).toMatch(/cn-shanghai, ap-southeast-1/);
  });

  it('lets an override win, with or without a scheme', () => {
    expect(resolveEndpoint({ region: 'cn-hangzhou', endpointOverride: 'http://127.0.0.1:9000' }).url.href).toBe(
      'http://127.0.0.1:9000/',
    );
    const bare = resolveEndpoint({ region: 'cn-shanghai', endpointOverride: 'eds-aic-vpc.cn-shanghai.aliyuncs.com' });
    expect(bare.url.href).toBe('https://eds-aic-vpc.cn-shanghai.aliyuncs.com/');
    expect(bare.warning).toBeUndefined();
    expect(resolveEndpoint({ region: 'cn-shanghai', endpointOverride: '  ' }).url.host).toBe(
      'eds-aic.cn-shanghai.aliyuncs.com',
    );
  });

  it('refuses a bad region or override', () => {
    expect(() => resolveEndpoint({ region: 'Shanghai' })).toThrow(ConfigError);
    expect(() => resolveEndpoint({ region: 'cn-shanghai.evil.com/x' })).toThrow(ConfigError);
    expect(() => resolveEndpoint({ region: 'cn-shanghai', endpointOverride: 'ftp://x' })).toThrow(ConfigError);
    expect(() => resolveEndpoint({ region: 'cn-shanghai', endpointOverride: 'http://a:b@x' })).toThrow(ConfigError);
    expect(() => resolveEndpoint({ region: 'cn-shanghai', endpointOverride: 'http://' })).toThrow(ConfigError);
  });
});

describe('UPLOAD_ENDPOINTS', () => {
  it('offers public and internal endpoints for the main regions', () => {
    for (const region of ['cn-shanghai', 'cn-hangzhou', 'cn-beijing', 'cn-shenzhen', 'cn-hongkong', 'ap-southeast-1']) {
      expect(isKnownUploadEndpoint(`oss-${region}.aliyuncs.com`)).toBe(true);
      expect(isKnownUploadEndpoint(`oss-${region}-internal.aliyuncs.com`)).toBe(true);
    }
    expect(isKnownUploadEndpoint('oss-cn-shanghai.evil.com')).toBe(false);
  });

  it('fits a Slack select: unique values, short labels, under 100 options', () => {
    const values = UPLOAD_ENDPOINTS.map((o) => o.value);
    expect(new Set(values).size).toBe(values.length);
    expect(values.length).toBeLessThanOrEqual(100);
    for (const option of UPLOAD_ENDPOINTS) {
      expect(option.value).toMatch(/^oss-[a-z0-9-]+\.aliyuncs\.com$/);
      expect(option.label.length).toBeGreaterThan(0);
      expect(option.label.length).toBeLessThanOrEqual(75);
    }
  });
});
