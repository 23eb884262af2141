/**
 * The audit trail: every request, allowed or denied, is recorded before it is acted on, and its outcome later.
 * Parameters and outcomes are redacted here, defensively, whatever the caller passes: secrets must never reach SQLite.
 */
import type { AuditEntry, AuditLogRepository, AuditQuery } from '../../db/audit-log.js';
import { UsageError } from '../../errors.js';
import { REDACTED, SECRET_KEY } from '../../logger.js';
import type { Actor } from '../backup/model.js';
import type { Clock } from '../pipeline/ports.js';
import type { AccessDecision } from './permissions.js';

// ---------------------------------------------------------------------------------------------------------------
// Redaction

// Keys that name secrets (SECRET_KEY, shared with the logger) are dropped entirely, at any depth.

const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  // Slack tokens: bot, user, app-level, refresh/config.
  /xox[abeoprs](?:\.xox[a-z])?-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  // Alibaba Cloud STS security tokens start with CAIS.
  /\bCAIS[A-Za-z0-9+/=]{20,}/g,
  // AccessKey secrets: 30 letters and digits, mixed case with a digit (instance and file ids never look like this).
  /\b(?=[A-Za-z0-9]{0,29}[a-z])(?=[A-Za-z0-9]{0,29}[A-Z])(?=[A-Za-z0-9]{0,29}[0-9])[A-Za-z0-9]{30}\b/g,
  // Bearer credentials in free text.
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
];
/** Signed URLs: keep the URL, drop the credential-bearing query values. */
const SECRET_QUERY = /([?&][^=&\s]*(?:signature|token|secret|accesskeyid|credential)[^=&\s]*=)[^&\s#]*/gi;

const MAX_DEPTH = 8;
const MAX_STRING = 2_000;
const MAX_ITEMS = 200;

/** Replaces secret-looking substrings of one string. */
export function redactText(text: string): string {
  let out = text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}…` : text;
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, REDACTED);
  return out.replace(SECRET_QUERY, `$1${REDACTED}`);
}

/**
 * A copy of `value` safe to store: keys that name secrets removed, secret-looking strings replaced, long strings and
 * lists cut, cycles and non-JSON values dropped.
 */
export function redactSecrets(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value !== 'object') return undefined; // functions, symbols, bigint, undefined
  if (depth >= MAX_DEPTH || seen.has(value)) return REDACTED;
  seen.add(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) {
    return value.slice(0, MAX_ITEMS).map((item) => redactSecrets(item, depth + 1, seen) ?? null);
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) continue;
    const clean = redactSecrets(inner, depth + 1, seen);
    if (clean !== undefined) out[redactText(key)] = clean;
  }
  return out;
}

function redactRecord(value: Record<string, unknown> | undefined): Record<string, unknown> {
  const clean = redactSecrets(value ?? {});
  return clean && typeof clean === 'object' && !Array.isArray(clean) ? (clean as Record<string, unknown>) : {};
}

/** Ids worth searching for: instances, instance groups, backup files, tasks. */
const SUBJECT_ID = /^(?:acp|ag|bf|t)-[A-Za-z0-9_-]+$/;

function collectSubjects(value: unknown, into: Set<string>, depth = 0): Set<string> {
  if (depth > MAX_DEPTH) return into;
  if (typeof value === 'string') {
    if (SUBJECT_ID.test(value)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectSubjects(item, into, depth + 1);
  } else if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) collectSubjects(inner, into, depth + 1);
  }
  return into;
}

// ---------------------------------------------------------------------------------------------------------------
// Durations

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const MAX_LOOKBACK_MS = 10 * 366 * 86_400_000;

/** A `--since` as read: a span back from "now", or a fixed time. */
export type Since = { agoMs: number } | { at: number };

const SINCE_HINT = 'use 30m, 12h, 7d, 2w or a date such as 2025-01-31';

/** A real calendar date (rejects 2025-02-30, which Date.parse would roll into March). */
function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * The one grammar for `--since` (the audit command and the export): a duration back from now (`30m`, `12h`, `7d`,
 * `2w`, `45s`) or a date (`2025-01-31`, ISO 8601 with time). Throws UsageError naming the bad text.
 */
export function readSince(text: string): Since {
  const trimmed = text.trim();
  const duration = /^(\d{1,6})\s*([smhdw])$/i.exec(trimmed);
  if (duration) {
    const amount = Number(duration[1]);
    const ms = amount * (UNIT_MS[(duration[2] ?? '').toLowerCase()] ?? 0);
    if (amount === 0 || ms > MAX_LOOKBACK_MS) {
      throw new UsageError(`--since ${trimmed}: give a duration between 1s and 10 years, such as 7d`, 'since');
    }
    return { agoMs: ms };
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
  if (date && isCalendarDate(Number(date[1]), Number(date[2]), Number(date[3]))) {
    const at = Date.parse(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed.replace(' ', 'T'));
    if (!Number.isNaN(at)) return { at };
  }
  throw new UsageError(`--since "${trimmed}" is not a duration or date; ${SINCE_HINT}`, 'since');
}

/** Epoch ms for a read `--since`. */
export function sinceEpoch(since: Since, now: number): number {
  return 'at' in since ? since.at : now - since.agoMs;
}

/** `--since` text to epoch ms (see {@link readSince}). */
export function parseSince(text: string, now: number): number {
  return sinceEpoch(readSince(text), now);
}

// ---------------------------------------------------------------------------------------------------------------
// The service

export interface AuditOutcome {
  /** For example submitted, succeeded, partial, failed. */
  status: string;
  taskIds?: readonly string[] | undefined;
  backupFileIds?: readonly string[] | undefined;
  errors?:
    | readonly { instanceId?: string | undefined; code: string; message: string; requestId?: string | undefined }[]
    | undefined;
  [detail: string]: unknown;
}

export interface RecordDecisionInput {
  actor: Actor;
  channelId?: string | undefined;
  action: string;
  /** What was asked (instances, apps, path, endpoint, backup file ids…). Redacted before it is stored. */
  params?: Record<string, unknown> | undefined;
  decision: AccessDecision;
  /** The bot's `req-…` when there is one already (else `linkRequest` later). */
  requestId?: string | undefined;
}

/** Actions that only read: hidden from `/cloudphone audit` unless asked for. */
export const READ_ACTIONS: readonly string[] = ['status', 'list', 'audit'];
export const AUDIT_PAGE_SIZE = 25;

/** `/cloudphone audit` as a query: who, what, since when, which action, reads or not, which page. */
export interface AuditSearch {
  userId?: string | undefined;
  subject?: string | undefined;
  /** Epoch ms. */
  since?: number | undefined;
  action?: string | undefined;
  /** Show reads too. */
  all: boolean;
  /** 1-based. */
  page: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  page: number;
  hasMore: boolean;
  /** True when reads were left out (no `--all`, no `--action`). */
  readsHidden: boolean;
}

export interface AuditTrail {
  /** Records a decision, allowed or denied, before anything is acted on. Returns the entry id. */
  recordDecision(input: RecordDecisionInput): number;
  /** Attaches the bot's request id to an entry recorded before the id existed. */
  linkRequest(entryId: number, requestId: string): void;
  /**
   * Records (replaces) the outcome for a request id (`req-…`) or an entry id: task ids, backup file ids, errors.
   * Returns how many entries were updated (0 when none matched).
   */
  recordOutcome(requestIdOrEntryId: string | number, outcome: AuditOutcome): number;
  /** Recent entries, newest first. */
  recent(filter?: AuditQuery): AuditEntry[];
  /** The trail's clock (ms): what entries are stamped with, so what `--since 7d` counts back from. */
  now(): number;
  /** One page of `/cloudphone audit`, newest first. */
  search(query: AuditSearch): AuditPage;
}

export function createAuditTrail(deps: { repo: AuditLogRepository; clock: Clock }): AuditTrail {
  const { repo, clock } = deps;
  return {
    recordDecision(input) {
      const params = redactRecord(input.params);
      return repo.record({
        at: clock.now(),
        teamId: input.actor.teamId,
        userId: input.actor.userId,
        channelId: input.channelId,
        action: input.action,
        params,
        decision: input.decision.allowed ? 'allowed' : 'denied',
        rule: input.decision.rule,
        reason: input.decision.allowed ? undefined : redactText(input.decision.reason),
        subjectIds: [...collectSubjects(params, new Set())],
        requestId: input.requestId,
      });
    },
    linkRequest(entryId, requestId) {
      repo.linkRequest(entryId, requestId);
    },
    recordOutcome(requestIdOrEntryId, outcome) {
      const clean = redactRecord(outcome);
      const subjects = collectSubjects([clean.taskIds, clean.backupFileIds], new Set());
      return repo.setOutcome(requestIdOrEntryId, clean, { at: clock.now(), subjectIds: [...subjects] });
    },
    recent(filter = {}) {
      return repo.query(filter);
    },
    now: () => clock.now(),
    search(query) {
      const readsHidden = !query.all && query.action === undefined;
      const page = Math.max(1, Math.floor(query.page));
      // One more than a page, to know whether there is a next one.
      const rows = repo.query({
        userId: query.userId,
        subject: query.subject,
        since: query.since,
        actions: query.action === undefined ? undefined : [query.action],
        excludeActions: readsHidden ? READ_ACTIONS : undefined,
        limit: AUDIT_PAGE_SIZE + 1,
        offset: (page - 1) * AUDIT_PAGE_SIZE,
      });
      return { entries: rows.slice(0, AUDIT_PAGE_SIZE), page, hasMore: rows.length > AUDIT_PAGE_SIZE, readsHidden };
    },
  };
}
