/**
 * The service's two date formats. ISO fields (task StartTime/FinishTime, GmtExpired) are UTC with second precision.
 * `Gmt*` fields and the DescribeBackupFiles StartTime/EndTime filters are `yyyy-MM-dd HH:mm:ss` with no zone; the
 * docs don't say which zone (§9.8), China-site examples suggest Beijing time, so we write UTC+8. A client must not
 * read these as UTC.
 */
import { acsDate } from '../../cloud-phone/sign.js';

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

export function isoTime(ms: number): string {
  return acsDate(new Date(ms));
}

export function gmtTime(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** `yyyy-MM-dd HH:mm:ss` (UTC+8) to epoch ms; undefined when malformed. */
export function parseGmtTime(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms - BEIJING_OFFSET_MS;
}

/** `yyyyMMddHHmmss` (UTC+8), as in the documented backup object name `acp-…_2024052014****.ab`. */
export function compactTime(ms: number): string {
  return gmtTime(ms).replace(/[- :]/g, '');
}
