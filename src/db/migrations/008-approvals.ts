import type { Migration } from './index.js';

/**
 * Two-person approval (issue 17): what a waiting restore or deletion needs (copied from the policy's rule when it was
 * confirmed, so a later edit of the file does not change it), where the approvers were asked, and each decision. The
 * request itself waits in the shared request table at its `approval` step; expiry is its wake time.
 */
export const approvals: Migration = {
  version: 8,
  name: 'approvals',
  sql: `
    CREATE TABLE approvals (
      request_id TEXT PRIMARY KEY REFERENCES requests(id),
      rule TEXT NOT NULL,
      action TEXT NOT NULL,
      approvers_json TEXT NOT NULL,
      required INTEGER NOT NULL,
      channel_id TEXT,
      instance_ids_json TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'waiting',
      asks_json TEXT,
      waiting_posted_at INTEGER,
      created_at INTEGER NOT NULL,
      settled_at INTEGER
    );
    CREATE TABLE approval_decisions (
      request_id TEXT NOT NULL REFERENCES approvals(request_id),
      user_id TEXT NOT NULL,
      decision TEXT NOT NULL,
      reason TEXT,
      decided_at INTEGER NOT NULL,
      shown_at INTEGER,
      PRIMARY KEY (request_id, user_id)
    );
  `,
};
