/**
 * Where the API lives, and which OSS endpoints a person may pick for uploads. See shared/docs/cloud-phone-api.md §6.
 */
import { ConfigError } from '../errors.js';

/** Regions with a documented eds-aic endpoint. Phones in other "biz regions" are still served from these. */
export const DOCUMENTED_REGIONS: readonly string[] = Object.freeze(['cn-shanghai', 'ap-southeast-1']);

const REGION_PATTERN = /^[a-z]{2}(-[a-z0-9]+)+$/;

export interface ResolvedEndpoint {
  url: URL;
  /** Set when the endpoint is a guess (an undocumented region); the caller should log it once at startup. */
  warning?: string | undefined;
}

/**
 * The API endpoint for a region. `endpointOverride` (a URL, or a bare host meaning https) wins, which is how tests
 * and the simulator point the client elsewhere. An undocumented region falls back to `eds-aic.<region>.aliyuncs.com`,
 * the pattern the SDK uses, with a warning because that host is not documented to exist.
 */
export function resolveEndpoint(options: { region: string; endpointOverride?: string | undefined }): ResolvedEndpoint {
  const { region, endpointOverride } = options;
  if (endpointOverride !== undefined && endpointOverride.trim() !== '') {
    return { url: parseEndpointOverride(endpointOverride.trim()) };
  }
  if (!REGION_PATTERN.test(region)) {
    throw new ConfigError([`cloud phone region "${region}" is not a region id such as cn-shanghai`]);
  }
  const url = new URL(`https://eds-aic.${region}.aliyuncs.com/`);
  if (DOCUMENTED_REGIONS.includes(region)) return { url };
  return {
    url,
    warning:
      `eds-aic has no documented endpoint for region ${region}; trying ${url.host}. ` +
      `Documented regions: ${DOCUMENTED_REGIONS.join(', ')}.`,
  };
}

function parseEndpointOverride(value: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError([`cloud phone endpoint override "${value}" is not a URL`]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError([`cloud phone endpoint override "${value}" must be http or https`]);
  }
  if (url.username || url.password) {
    throw new ConfigError(['cloud phone endpoint override must not contain credentials']);
  }
  return url;
}

// ---------------------------------------------------------------------------------------------------------------------
// OSS upload endpoints offered in the backup modal

/** OSS regions offered for uploads, with the names the console uses. */
const OSS_REGIONS: ReadonlyArray<readonly [region: string, name: string]> = [
  ['cn-shanghai', 'China (Shanghai)'],
  ['cn-hangzhou', 'China (Hangzhou)'],
  ['cn-beijing', 'China (Beijing)'],
  ['cn-shenzhen', 'China (Shenzhen)'],
  ['cn-qingdao', 'China (Qingdao)'],
  ['cn-zhangjiakou', 'China (Zhangjiakou)'],
  ['cn-guangzhou', 'China (Guangzhou)'],
  ['cn-chengdu', 'China (Chengdu)'],
  ['cn-hongkong', 'China (Hong Kong)'],
  ['ap-southeast-1', 'Singapore'],
  ['ap-northeast-1', 'Japan (Tokyo)'],
  ['ap-southeast-5', 'Indonesia (Jakarta)'],
  ['eu-central-1', 'Germany (Frankfurt)'],
  ['us-west-1', 'US (Silicon Valley)'],
  ['us-east-1', 'US (Virginia)'],
];

export interface UploadEndpointOption {
  value: string;
  label: string;
}

/**
 * Internal endpoints first for each region: they are the right choice when the bucket is in the phone's region
 * (doc §3.1, §3.11), and the public one otherwise.
 */
export const UPLOAD_ENDPOINTS: readonly UploadEndpointOption[] = Object.freeze(
  OSS_REGIONS.flatMap(([region, name]) => [
    Object.freeze({ value: `oss-${region}-internal.aliyuncs.com`, label: `${name}, internal (same region)` }),
    Object.freeze({ value: `oss-${region}.aliyuncs.com`, label: `${name}, public` }),
  ]),
);

export function isKnownUploadEndpoint(value: string): boolean {
  return UPLOAD_ENDPOINTS.some((option) => option.value === value);
}

/** The region an OSS endpoint host serves (`oss-<region>[-internal].aliyuncs.com`), or undefined for other hosts. */
export function ossEndpointRegion(host: string): { region: string; internal: boolean } | undefined {
  const match = /^oss-([a-z]{2}(?:-[a-z0-9]+)+?)(-internal)?\.aliyuncs\.com$/.exec(host.trim().toLowerCase());
  // `oss-rg-china-mainland` and the like are acceleration endpoints, which serve no one region.
  if (!match || !REGION_PATTERN.test(match[1] as string) || match[1]?.startsWith('rg-')) return undefined;
  return { region: match[1] as string, internal: match[2] !== undefined };
}

/** The OSS endpoint a phone in `region` uploads through to a bucket in its own region: the internal one. */
export function internalUploadEndpoint(region: string): string {
  return `oss-${region}-internal.aliyuncs.com`;
}
