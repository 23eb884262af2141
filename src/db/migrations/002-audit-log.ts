import type { Migration } from './index.js';

export const auditLog: Migration = {
  version: 2,
  name: 'audit log',
  sql: `
    -- Every request, allowed or denied, written before it is acted on; the outcome is added later.
    -- params_json and outcome_json are redacted by the audit service before they get here.
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      team_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      channel_id TEXT,
      action TEXT NOT NULL,
      params_json TEXT NOT NULL DEFAULT '{}',
      decision TEXT NOT NULL CHECK (decision IN ('allowed', 'denied')),
      rule TEXT NOT NULL,
      reason TEXT,
      -- Space-separated ids (instances, backup files, tasks) with a space at each end, so that
      -- LIKE '% acp-1 %' finds a whole id and never a longer one.
      subject_ids TEXT NOT NULL DEFAULT '',
      request_id TEXT,
      outcome_json TEXT,
      outcome_at INTEGER
    );
    CREATE INDEX audit_log_at ON audit_log (at);
    CREATE INDEX audit_log_user ON audit_log (user_id, at);
    CREATE INDEX audit_log_request ON audit_log (request_id) WHERE request_id IS NOT NULL;
  `,
};
