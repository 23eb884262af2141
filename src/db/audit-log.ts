/**
 * Repository for the audit trail. Entries are written before the request is acted on; the outcome is attached later
 * by entry id or by the bot's request id. Values arrive already redacted (the audit service does that); this layer
 * only stores and reads. Statements are prepared once; rows are parsed into entries at this edge.
 */
import type { Db } from './database.js';

export type AuditDecision = 'allowed' | 'denied';

export interface NewAuditEntry {
  at: number;
  teamId: string;
  userId: string;
  channelId?: string | undefined;
  action: string;
  params: Record<string, unknown>;
  decision: AuditDecision;
  rule: string;
  reason?: string | undefined;
  /** Instance ids, backup file ids and the like, for `query({ subject })`. */
  subjectIds?: readonly string[] | undefined;
  requestId?: string | undefined;
}

export interface AuditEntry {
  id: number;
  at: number;
  teamId: string;
  userId: string;
  channelId: string | undefined;
  action: string;
  params: Record<string, unknown>;
  decision: AuditDecision;
  rule: string;
  reason: string | undefined;
  subjectIds: string[];
  requestId: string | undefined;
  outcome: Record<string, unknown> | undefined;
  outcomeAt: number | undefined;
}

export interface AuditQuery {
  userId?: string | undefined;
  /** One id: matches a whole entry of subject_ids (instance, backup file, task, instance group) or the request id. */
  subject?: string | undefined;
  /** Entries at or after this time (ms). */
  since?: number | undefined;
  /** Entries before this time (ms). */
  until?: number | undefined;
  /** Only these actions (`backup`, `restore`…). */
  actions?: readonly string[] | undefined;
  /** Not these actions (for example the reads: `status`, `list`, `audit`). */
  excludeActions?: readonly string[] | undefined;
  /** Newest first, at most this many (default 50, at most 1000). */
  limit?: number | undefined;
  /** Skips this many of the newest matches (paging). */
  offset?: number | undefined;
}

interface AuditRow {
  id: number;
  at: number;
  team_id: string;
  user_id: string;
  channel_id: string | null;
  action: string;
  params_json: string;
  decision: AuditDecision;
  rule: string;
  reason: string | null;
  subject_ids: string;
  request_id: string | null;
  outcome_json: string | null;
  outcome_at: number | null;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

function parseObject(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    // One damaged row must not stop an export; keep what is there, visibly.
    return { unparsable: text };
  }
}

const splitSubjects = (text: string): string[] => text.split(' ').filter(Boolean);
const joinSubjects = (ids: Iterable<string>): string => {
  const clean = [...new Set([...ids].map((id) => id.trim()).filter((id) => id !== '' && !/\s/.test(id)))];
  return clean.length === 0 ? '' : ` ${clean.join(' ')} `;
};
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    teamId: row.team_id,
    userId: row.user_id,
    channelId: row.channel_id ?? undefined,
    action: row.action,
    params: parseObject(row.params_json) ?? {},
    decision: row.decision,
    rule: row.rule,
    reason: row.reason ?? undefined,
    subjectIds: splitSubjects(row.subject_ids),
    requestId: row.request_id ?? undefined,
    outcome: parseObject(row.outcome_json),
    outcomeAt: row.outcome_at ?? undefined,
  };
}

export function createAuditLogRepository(db: Db) {
  const insert = db.prepare(`INSERT INTO audit_log
    (at, team_id, user_id, channel_id, action, params_json, decision, rule, reason, subject_ids, request_id)
    VALUES (@at, @teamId, @userId, @channelId, @action, @paramsJson, @decision, @rule, @reason, @subjectIds, @requestId)`);
  const byId = db.prepare('SELECT id, subject_ids FROM audit_log WHERE id = ?');
  const byRequest = db.prepare('SELECT id, subject_ids FROM audit_log WHERE request_id = ?');
  const update = db.prepare('UPDATE audit_log SET outcome_json = ?, outcome_at = ?, subject_ids = ? WHERE id = ?');
  const link = db.prepare('UPDATE audit_log SET request_id = ? WHERE id = ?');
  const select = db.prepare(`SELECT * FROM audit_log
    WHERE (@userId IS NULL OR user_id = @userId)
      AND (@subject IS NULL OR subject_ids LIKE @subjectLike ESCAPE '\\' OR request_id = @subject)
      AND at >= @since AND at < @until
      AND (@actions IS NULL OR action IN (SELECT value FROM json_each(@actions)))
      AND (@excluded IS NULL OR action NOT IN (SELECT value FROM json_each(@excluded)))
    ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`);
  const forward = db.prepare('SELECT * FROM audit_log WHERE at >= ? AND at < ? ORDER BY at, id');

  const setOutcomeTx = db.transaction(
    (key: number | string, outcomeJson: string, at: number, subjectIds: readonly string[]): number => {
      const rows = (typeof key === 'number' ? [byId.get(key)] : byRequest.all(key)).filter(Boolean) as {
        id: number;
        subject_ids: string;
      }[];
      for (const row of rows) {
        update.run(outcomeJson, at, joinSubjects([...splitSubjects(row.subject_ids), ...subjectIds]), row.id);
      }
      return rows.length;
    },
  );

  return {
    /** Writes one entry and returns its id. Call before acting on the request. */
    record(entry: NewAuditEntry): number {
      return Number(
        insert.run({
          at: entry.at,
          teamId: entry.teamId,
          userId: entry.userId,
          channelId: entry.channelId ?? null,
          action: entry.action,
          paramsJson: JSON.stringify(entry.params),
          decision: entry.decision,
          rule: entry.rule,
          reason: entry.reason ?? null,
          subjectIds: joinSubjects(entry.subjectIds ?? []),
          requestId: entry.requestId ?? null,
        }).lastInsertRowid,
      );
    },

    /**
     * Sets (replaces) the outcome of the entry with this id, or of every entry with this request id (`req-…`), at
     * `options.at` (ms, default now), and adds `options.subjectIds` (task and backup file ids) to what
     * `query({ subject })` finds. Store only redacted outcomes (the audit service does). Returns how many changed.
     */
    setOutcome(
      idOrRequestId: number | string,
      outcome: Record<string, unknown>,
      options: { at?: number | undefined; subjectIds?: readonly string[] | undefined } = {},
    ): number {
      return setOutcomeTx(idOrRequestId, JSON.stringify(outcome), options.at ?? Date.now(), options.subjectIds ?? []);
    },

    /** Attaches the request id created after the decision was recorded. */
    linkRequest(id: number, requestId: string): void {
      link.run(requestId, id);
    },

    /** Recent entries, newest first. */
    query(filter: AuditQuery = {}): AuditEntry[] {
      const subject = filter.subject?.trim() || null;
      const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(filter.limit ?? DEFAULT_LIMIT)));
      const rows = select.all({
        userId: filter.userId ?? null,
        subject,
        subjectLike: subject === null ? null : `% ${likeEscape(subject)} %`,
        since: filter.since ?? 0,
        until: filter.until ?? Number.MAX_SAFE_INTEGER,
        actions: filter.actions ? JSON.stringify(filter.actions) : null,
        excluded: filter.excludeActions ? JSON.stringify(filter.excludeActions) : null,
        limit,
        offset: Math.max(0, Math.floor(filter.offset ?? 0)),
      }) as AuditRow[];
      return rows.map(toEntry);
    },

    /** Every entry from `since` (ms) on, oldest first, streamed (for the export). */
    *iterate(filter: { since: number; until?: number | undefined }): Generator<AuditEntry> {
      for (const row of forward.iterate(filter.since, filter.until ?? Number.MAX_SAFE_INTEGER)) {
        yield toEntry(row as AuditRow);
      }
    },
  };
}

export type AuditLogRepository = ReturnType<typeof createAuditLogRepository>;
