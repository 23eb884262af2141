import type { Migration } from './index.js';

/**
 * The App Home's reads (issue 16) without scanning the history. A person's open and finished requests come from two
 * per-person indexes (before, `finishedOf` scanned every request twice per Home). Good backups (an instance that
 * succeeded with a file the cloud named) have a partial index in instance order, so the newest per instance is one
 * grouped walk of that index. `good_backups_version` is bumped by triggers whenever the answer of that grouped query
 * could change: a good backup appears or goes, a request's finish time changes, or a deletion's files are deleted.
 * The Home keeps its per-instance backup ages until the version moves (services/home).
 */
export const homeIndexes: Migration = {
  version: 12,
  name: 'home indexes',
  sql: `
    CREATE INDEX requests_user_open ON requests (user_id, created_at)
      WHERE step NOT IN ('draft', 'done') AND finished_at IS NULL;
    CREATE INDEX requests_user_finished ON requests (user_id, finished_at) WHERE finished_at IS NOT NULL;
    CREATE INDEX request_instances_good ON request_instances (instance_id, request_id, backup_file_id)
      WHERE state = 'succeeded' AND backup_file_id IS NOT NULL;

    CREATE TABLE good_backups_version (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      version INTEGER NOT NULL
    );
    INSERT INTO good_backups_version (id, version) VALUES (1, 0);

    CREATE TRIGGER good_backups_instance_insert AFTER INSERT ON request_instances
      WHEN NEW.state = 'succeeded' AND NEW.backup_file_id IS NOT NULL
      BEGIN UPDATE good_backups_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER good_backups_instance_update AFTER UPDATE OF state, backup_file_id, instance_id, request_id
      ON request_instances
      WHEN (OLD.state = 'succeeded' AND OLD.backup_file_id IS NOT NULL)
        OR (NEW.state = 'succeeded' AND NEW.backup_file_id IS NOT NULL)
      BEGIN UPDATE good_backups_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER good_backups_instance_delete AFTER DELETE ON request_instances
      WHEN OLD.state = 'succeeded' AND OLD.backup_file_id IS NOT NULL
      BEGIN UPDATE good_backups_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER good_backups_request_update AFTER UPDATE OF finished_at, created_at, status, detail_json ON requests
      WHEN OLD.finished_at IS NOT NEW.finished_at OR OLD.created_at IS NOT NEW.created_at
        OR (NEW.kind = 'delete' AND (OLD.status IS NOT NEW.status OR OLD.detail_json IS NOT NEW.detail_json))
      BEGIN UPDATE good_backups_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER good_backups_request_insert AFTER INSERT ON requests
      WHEN NEW.kind = 'delete' AND NEW.status = 'deleted'
      BEGIN UPDATE good_backups_version SET version = version + 1 WHERE id = 1; END;
    CREATE TRIGGER good_backups_request_delete AFTER DELETE ON requests
      WHEN OLD.kind = 'delete' AND OLD.status = 'deleted'
      BEGIN UPDATE good_backups_version SET version = version + 1 WHERE id = 1; END;
  `,
};
