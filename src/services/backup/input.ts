/**
 * Checking a backup request as a person typed it (modal or inline command) and turning it into a {@link BackupSpec}.
 *
 * The messages are for the person: each one names the offending value and says what to fix. They are Slack mrkdwn
 * (values in code spans, escaped with `blocks/escape`), because the brief asks for values quoted the way Slack shows
 * them; `fieldErrors` in `blocks/backup-modal` turns them into plain text for modal field errors.
 *
 * Nothing here throws on any input: hostile values (null, objects, huge strings, odd unicode) become messages.
 */
import { z } from 'zod';
import { codePointLength, inlineCode } from '../../blocks/escape.js';
import { ANDROID_PACKAGE_NAME } from '../verify/app-probe.js';
import type { BackupSpec } from './model.js';

/** The fields a person fills in; the keys of `validateBackupInput`'s errors. */
export type BackupField = 'instanceIds' | 'apps' | 'uploadEndpoint' | 'backupPath' | 'backupFileName' | 'description';

export const BACKUP_FIELDS: readonly BackupField[] = [
  'instanceIds',
  'apps',
  'uploadEndpoint',
  'backupPath',
  'backupFileName',
  'description',
];

export type BackupFieldErrors = Partial<Record<BackupField, string>>;

export type BackupValidation = { ok: true; spec: BackupSpec } | { ok: false; errors: BackupFieldErrors };

/**
 * A backup request before validation, as `readBackupForm` and `parseCommand` produce it. Lists may be one text
 * (comma, space or newline separated) or an array of such texts.
 */
export interface BackupRawInput {
  instanceIds?: string | readonly string[] | undefined;
  apps?: string | readonly string[] | undefined;
  uploadEndpoint?: string | undefined;
  backupPath?: string | undefined;
  backupFileName?: string | undefined;
  description?: string | undefined;
  stopBeforeBackup?: boolean | undefined;
  startAfterBackup?: boolean | undefined;
}

/** Limits and names the checks (and the help texts that describe them) share. */
export const BACKUP_LIMITS = {
  /** BackupApp takes a list of instances; one request is capped so its progress fits one parent message. */
  maxInstances: 500,
  maxApps: 50,
  /** `acp-` plus this many letters and digits at most. */
  maxInstanceIdSuffix: 64,
  maxPackageName: 255,
  maxBucketName: 63,
  minBucketName: 3,
  /** OSS object keys are at most 1023 bytes; the whole URL is held to about that. */
  maxBackupPath: 1024,
  maxEndpoint: 128,
  maxFileName: 100,
  maxDescription: 256,
  /** Raw list text longer than this is refused before it is split (a paste accident or an attack). */
  maxListText: 100_000,
} as const;

/** The service writes backups only to OSS buckets with this prefix (cloud-phone-api.md §3.11). */
export const BACKUP_BUCKET_PREFIX = 'cloudphone-saved-bucket-';

export const EXAMPLES = {
  instanceId: 'acp-2ze3abc…',
  packageName: 'com.example.app',
  backupPath: 'oss://cloudphone-saved-bucket-example/backups/',
  uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
} as const;

/** A check result: the normalised value, or the message for the person. */
export type Check<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const fail = (message: string): Check<never> => ({ ok: false, message });

/** How a value is named in a message: truncated, escaped, in a code span. */
const show = (value: string): string => inlineCode(value, 40);

const INSTANCE_ID = /^acp-[a-z0-9]+$/;
const BUCKET_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const UPLOAD_ENDPOINT = /^oss-[a-z0-9]+(?:-[a-z0-9]+)*\.aliyuncs\.com$/;
/** What a backup file name may hold: the set object storage and shells treat the same everywhere. */
const FILE_NAME_CHARACTERS = /[A-Za-z0-9._-]/g;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const CONTROL_EXCEPT_NEWLINE_TAB = /(?![\n\t])[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** Separators people use between list items: whitespace, commas (also full-width and ideographic) and semicolons. */
const LIST_SEPARATOR = /[\s,;，、；]+/u;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Splits list text on commas, semicolons and any whitespace (newlines included); trims, drops empties, dedupes. */
export function splitList(text: string): string[] {
  if (typeof text !== 'string') return [];
  const seen = new Set<string>();
  for (const part of text.split(LIST_SEPARATOR)) {
    const item = part.trim();
    if (item !== '') seen.add(item);
  }
  return [...seen];
}

/** Checks one instance id (`acp-` and lowercase letters and digits). */
export function checkInstanceId(raw: string): Check<string> {
  const value = raw.trim();
  if (value === '') return fail(`Enter an instance id, like \`${EXAMPLES.instanceId}\`.`);
  const maxLength = 4 + BACKUP_LIMITS.maxInstanceIdSuffix;
  if (value.length > maxLength) {
    return fail(
      `${show(value)} is too long for an instance id: ids are \`acp-\` and at most ${BACKUP_LIMITS.maxInstanceIdSuffix} letters and digits.`,
    );
  }
  if (INSTANCE_ID.test(value)) return ok(value);
  const lower = value.toLowerCase();
  if (INSTANCE_ID.test(lower))
    return fail(`${show(value)} is not an instance id: ids are lowercase, like ${show(lower)}.`);
  if (lower.startsWith('acp-')) {
    return fail(`${show(value)} is not an instance id: after \`acp-\` use only lowercase letters and digits.`);
  }
  return fail(`${show(value)} is not an instance id: ids look like \`${EXAMPLES.instanceId}\`.`);
}

/** Checks one Android package name (applicationId rules). */
export function checkPackageName(raw: string): Check<string> {
  const value = raw.trim();
  if (value === '') return fail(`Enter an app package name, like \`${EXAMPLES.packageName}\`.`);
  if (value.length > BACKUP_LIMITS.maxPackageName) {
    return fail(`${show(value)} is too long for a package name: at most ${BACKUP_LIMITS.maxPackageName} characters.`);
  }
  if (ANDROID_PACKAGE_NAME.test(value)) return ok(value);
  const segments = value.split('.');
  if (segments.length < 2) {
    return fail(
      `${show(value)} is not a package name: it needs at least two parts separated by dots, like \`${EXAMPLES.packageName}\`.`,
    );
  }
  if (segments.some((s) => s === '')) {
    return fail(`${show(value)} is not a package name: it has an empty part (two dots in a row, or a dot at an end).`);
  }
  const badStart = segments.find((s) => !/^[A-Za-z]/.test(s));
  if (badStart !== undefined) {
    return fail(
      `${show(value)} is not a package name: each part must start with a letter, and ${show(badStart)} does not.`,
    );
  }
  return fail(`${show(value)} is not a package name: use only letters, digits and \`_\` between the dots.`);
}

/** Checks an OSS folder URL and normalises it to `oss://bucket/dir/` (lowercase scheme, one trailing slash). */
export function checkBackupPath(raw: string): Check<string> {
  const value = raw.trim();
  const example = `\`${EXAMPLES.backupPath}\``;
  if (value === '') return fail(`Enter the OSS folder to back up to, like ${example}.`);
  if (value.length > BACKUP_LIMITS.maxBackupPath) {
    return fail(`${show(value)} is too long: an OSS folder URL is at most ${BACKUP_LIMITS.maxBackupPath} characters.`);
  }
  if (CONTROL.test(value)) {
    return fail(`${show(value)} contains invisible or control characters (such as a line break); remove them.`);
  }
  if (!/^oss:\/\//i.test(value)) {
    return fail(`${show(value)} is not an OSS folder: it must start with \`oss://\`, like ${example}.`);
  }
  const rest = value.slice('oss://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const dir = slash === -1 ? '' : rest.slice(slash + 1);
  if (
    bucket.length < BACKUP_LIMITS.minBucketName ||
    bucket.length > BACKUP_LIMITS.maxBucketName ||
    !BUCKET_NAME.test(bucket)
  ) {
    return fail(
      `${show(bucket)} is not a valid bucket name: use ${BACKUP_LIMITS.minBucketName}–${BACKUP_LIMITS.maxBucketName} lowercase letters, digits and hyphens, not starting or ending with a hyphen.`,
    );
  }
  // A bucket that is exactly the prefix ends with a hyphen, so the name check above already refused it.
  if (!bucket.startsWith(BACKUP_BUCKET_PREFIX)) {
    return fail(
      `The bucket ${show(bucket)} can't be used: the cloud phone service only writes backups to buckets whose names start with \`${BACKUP_BUCKET_PREFIX}\`. Use one of those, like ${example}.`,
    );
  }
  if (dir === '' || dir === '/') {
    return fail(`Add a folder after the bucket, like ${show(`oss://${bucket}/backups/`)}.`);
  }
  if (dir.includes('\\')) return fail(`${show(value)} contains a backslash: separate folders with \`/\`.`);
  const normalisedDir = dir.endsWith('/') ? dir : `${dir}/`;
  const segments = normalisedDir.slice(0, -1).split('/');
  if (segments.some((s) => s === '')) {
    return fail(`${show(value)} has an empty folder name (\`//\`): remove the extra slash.`);
  }
  if (segments.some((s) => s === '..' || s === '.')) {
    return fail(`${show(value)} contains \`..\` or \`.\` as a folder name: give the folder path without them.`);
  }
  const normalised = `oss://${bucket}/${normalisedDir}`;
  if (normalised.length > BACKUP_LIMITS.maxBackupPath) {
    return fail(`${show(value)} is too long: an OSS folder URL is at most ${BACKUP_LIMITS.maxBackupPath} characters.`);
  }
  return ok(normalised);
}

/** Checks an OSS endpoint host (`oss-<region>[-internal].aliyuncs.com`, no scheme), lowercased. */
export function checkUploadEndpoint(raw: string): Check<string> {
  const value = raw.trim();
  const example = `\`${EXAMPLES.uploadEndpoint}\``;
  if (value === '') return fail(`Choose the OSS endpoint to upload through, like ${example}.`);
  if (value.length > BACKUP_LIMITS.maxEndpoint) {
    return fail(`${show(value)} is too long for an OSS endpoint: give the host only, like ${example}.`);
  }
  const host = value.toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(host)) {
    return fail(`${show(value)} includes a scheme: give the host only, without \`https://\`, like ${example}.`);
  }
  if (host.includes('/')) return fail(`${show(value)} includes a path: give the host only, like ${example}.`);
  if (UPLOAD_ENDPOINT.test(host)) return ok(host);
  return fail(
    `${show(value)} is not an OSS endpoint: endpoints look like \`oss-<region>.aliyuncs.com\`, or ${example} when the bucket is in the phones' region.`,
  );
}

/** Checks an optional backup file name; blank means none. */
export function checkBackupFileName(raw: string): Check<string | undefined> {
  const value = raw.trim();
  if (value === '') return ok(undefined);
  const length = codePointLength(value);
  if (length > BACKUP_LIMITS.maxFileName) {
    return fail(
      `${show(value)} is too long: a backup file name is at most ${BACKUP_LIMITS.maxFileName} characters (this one has ${length}).`,
    );
  }
  if (value.includes('/') || value.includes('\\')) {
    return fail(`${show(value)} contains \`/\` or \`\\\`: a file name can't contain slashes; put folders in the path.`);
  }
  if (CONTROL.test(value)) {
    return fail(`${show(value)} contains invisible or control characters (such as a line break); remove them.`);
  }
  if (value === '.' || value === '..') {
    return fail(`${show(value)} is not a file name (it means a folder); use letters, digits, \`.\`, \`_\` or \`-\`.`);
  }
  if (PERCENT_ESCAPE.test(value)) {
    return fail(
      `${show(value)} contains percent-encoding (such as \`%2F\` or \`%2E\`), which storage may read as a slash or a dot; type the name plainly with letters, digits, \`.\`, \`_\` or \`-\`.`,
    );
  }
  const stray = [...new Set(value.replace(FILE_NAME_CHARACTERS, ''))];
  if (stray.length > 0) {
    const shown = stray.slice(0, 5).map((c) => (c === ' ' ? 'space' : inlineCode(c, 4)));
    return fail(
      `${show(value)} contains ${shown.join(', ')}: a backup file name may use only letters, digits, \`.\`, \`_\` and \`-\` (e.g. \`nightly-2025.06.01\`).`,
    );
  }
  return ok(value);
}

/** Checks an optional description; blank means none. Line breaks and tabs are allowed. */
export function checkDescription(raw: string): Check<string | undefined> {
  const value = raw.replace(/\r\n?/g, '\n').trim();
  if (value === '') return ok(undefined);
  const length = codePointLength(value);
  if (length > BACKUP_LIMITS.maxDescription) {
    return fail(
      `The description is too long: at most ${BACKUP_LIMITS.maxDescription} characters (this one has ${length}). Shorten it.`,
    );
  }
  if (CONTROL_EXCEPT_NEWLINE_TAB.test(value)) {
    return fail('The description contains invisible or control characters; remove them (line breaks are fine).');
  }
  return ok(value);
}

interface ListRules {
  /** Plural noun for messages: "instance ids". */
  noun: string;
  /** Noun for the count message: "instances". */
  countNoun: string;
  max: number;
  example: string;
  check: (item: string) => Check<string>;
}

const INSTANCE_LIST: ListRules = {
  noun: 'instance ids',
  countNoun: 'instances',
  max: BACKUP_LIMITS.maxInstances,
  example: `\`${EXAMPLES.instanceId}\``,
  check: checkInstanceId,
};

const APP_LIST: ListRules = {
  noun: 'app package names',
  countNoun: 'apps',
  max: BACKUP_LIMITS.maxApps,
  example: `\`${EXAMPLES.packageName}\``,
  check: checkPackageName,
};

/** Shows at most this many bad items in one message; the rest are counted. */
const MAX_ITEM_MESSAGES = 3;

function checkList(raw: unknown, rules: ListRules): Check<string[]> {
  const texts: string[] = [];
  if (raw === undefined || raw === null) {
    // nothing entered
  } else if (typeof raw === 'string') {
    texts.push(raw);
  } else if (Array.isArray(raw)) {
    if (raw.length > BACKUP_LIMITS.maxListText) {
      return fail(`That's too many ${rules.noun} (${raw.length}); one request takes at most ${rules.max}.`);
    }
    for (const item of raw) {
      if (typeof item !== 'string') return fail(`${capitalise(rules.noun)} must be text, not ${typeName(item)}.`);
      texts.push(item);
    }
  } else {
    return fail(`${capitalise(rules.noun)} must be text, not ${typeName(raw)}.`);
  }
  const totalLength = texts.reduce((n, t) => n + t.length, 0);
  if (totalLength > BACKUP_LIMITS.maxListText) {
    return fail(
      `That's too much text for ${rules.noun} (${totalLength} characters); one request takes at most ${rules.max} ${rules.countNoun}.`,
    );
  }
  const items = splitList(texts.join('\n'));
  if (items.length === 0) {
    return fail(`Enter at least one of the ${rules.noun}, like ${rules.example} (one per line or comma separated).`);
  }
  if (items.length > rules.max) {
    return fail(
      `You listed ${items.length} ${rules.countNoun}; one request takes at most ${rules.max}. Split them into several requests.`,
    );
  }
  const problems: string[] = [];
  let bad = 0;
  const values: string[] = [];
  for (const item of items) {
    const result = rules.check(item);
    if (result.ok) {
      values.push(result.value);
    } else {
      bad += 1;
      if (problems.length < MAX_ITEM_MESSAGES) problems.push(result.message);
    }
  }
  if (bad > 0) {
    const more = bad - problems.length;
    return fail(more > 0 ? `${problems.join(' ')} (and ${more} more not valid)` : problems.join(' '));
  }
  // Checks may normalise (trim), so dedupe again.
  return ok([...new Set(values)]);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function requiredText<T>(label: string, check: (value: string) => Check<T>) {
  return (raw: unknown): Check<T> => {
    if (raw === undefined || raw === null) return check('');
    if (typeof raw !== 'string') return fail(`${label} must be text, not ${typeName(raw)}.`);
    return check(raw);
  };
}

function optionalText<T>(label: string, check: (value: string) => Check<T>) {
  return (raw: unknown): Check<T | undefined> => {
    if (raw === undefined || raw === null) return ok(undefined);
    if (typeof raw !== 'string') return fail(`${label} must be text, not ${typeName(raw)}.`);
    return check(raw);
  };
}

function readFlag(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') return !['false', '0', 'no', 'off'].includes(raw.trim().toLowerCase());
  // Missing (or unreadable) means the default: both options are on unless a person turned them off.
  return true;
}

/** A zod schema around a check: the check's message becomes the issue's message. */
function fromCheck<T>(check: (raw: unknown) => Check<T>) {
  // `.optional()` first: zod 4 runs a transform on an absent key only when the key is allowed to be absent.
  return z
    .unknown()
    .optional()
    .transform((raw, ctx): T => {
      const result = check(raw);
      if (result.ok) return result.value;
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    });
}

export const InstanceId = fromCheck(requiredText('An instance id', checkInstanceId));
export type InstanceId = z.infer<typeof InstanceId>;

export const PackageName = fromCheck(requiredText('An app package name', checkPackageName));
export type PackageName = z.infer<typeof PackageName>;

export const OssBackupPath = fromCheck(requiredText('The OSS folder', checkBackupPath));
export type OssBackupPath = z.infer<typeof OssBackupPath>;

export const UploadEndpoint = fromCheck(requiredText('The OSS endpoint', checkUploadEndpoint));
export type UploadEndpoint = z.infer<typeof UploadEndpoint>;

export const BackupFileName = fromCheck(optionalText('The backup file name', checkBackupFileName));
export type BackupFileName = z.infer<typeof BackupFileName>;

export const Description = fromCheck(optionalText('The description', checkDescription));
export type Description = z.infer<typeof Description>;

export const InstanceIdList = fromCheck((raw) => checkList(raw, INSTANCE_LIST));
export const PackageNameList = fromCheck((raw) => checkList(raw, APP_LIST));

const Flag = z.unknown().optional().transform(readFlag);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole backup request. Parses a {@link BackupRawInput} (or anything) into a {@link BackupSpec}. */
export const BackupForm = z
  .preprocess(
    (raw) => (isRecord(raw) ? raw : {}),
    z.object({
      instanceIds: InstanceIdList,
      apps: PackageNameList,
      uploadEndpoint: UploadEndpoint,
      backupPath: OssBackupPath,
      backupFileName: BackupFileName,
      description: Description,
      stopBeforeBackup: Flag,
      startAfterBackup: Flag,
    }),
  )
  .transform((form): BackupSpec => {
    const spec: BackupSpec = {
      instanceIds: form.instanceIds,
      apps: form.apps,
      uploadEndpoint: form.uploadEndpoint,
      backupPath: form.backupPath,
      stopBeforeBackup: form.stopBeforeBackup,
      startAfterBackup: form.startAfterBackup,
    };
    if (form.backupFileName !== undefined) spec.backupFileName = form.backupFileName;
    if (form.description !== undefined) spec.description = form.description;
    return spec;
  });
export type BackupForm = z.infer<typeof BackupForm>;

const UNREADABLE = 'The request could not be read. Open the form again (or retype the command) and try once more.';

/** The first message per field of a failed `BackupForm` parse. Never empty. */
export function backupFieldErrors(error: z.ZodError): BackupFieldErrors {
  const errors: BackupFieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path[0];
    if (typeof key === 'string' && (BACKUP_FIELDS as readonly string[]).includes(key)) {
      const field = key as BackupField;
      errors[field] ??= issue.message;
    }
  }
  if (Object.keys(errors).length === 0) errors.instanceIds = UNREADABLE;
  return errors;
}

/**
 * Validates a raw backup request. Returns the spec, or one message per bad field saying what to fix. Never throws.
 */
export function validateBackupInput(raw: unknown): BackupValidation {
  try {
    const result = BackupForm.safeParse(raw);
    if (result.success) return { ok: true, spec: result.data };
    return { ok: false, errors: backupFieldErrors(result.error) };
  } catch {
    // Only reachable with objects whose getters throw (or similar); there is nothing specific to say.
    return { ok: false, errors: { instanceIds: UNREADABLE } };
  }
}
