import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../../src/db/checkpointer.js';
import { openDatabase } from '../../../src/db/database.js';
import { waitUntil } from '../../support/wait-until.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileDb() {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  dirs.push(dir);
  const path = join(dir, 'bot.db');
  return { db: openDatabase(path), path };
}

describe('background WAL checkpoints', () => {
  it('turns off checkpoints in commits and copies the log into the database from a worker', async () => {
    const { db, path } = fileDb();
    const checkpointer = startCheckpointer(db, { intervalMs: 20 });
    expect(checkpointer).toBeDefined();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)');
    const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
    // Well past the 1,000 pages at which a commit would have checkpointed by itself.
    db.transaction(() => {
      for (let i = 0; i < 4_000; i++) insert.run('x'.repeat(1_000));
    })();
    const sizeBefore = statSync(path).size;
    // The worker copies the pages into the database file without any call on this connection.
    await waitUntil(() => statSync(path).size > sizeBefore + 3_000_000, {
      timeoutMs: 5_000,
      description: 'the WAL pages copied into the database file',
    });
    await checkpointer!.stop();
    db.close();
  });

  it('does nothing for an in-memory database', () => {
    const db = openDatabase(':memory:');
    expect(startCheckpointer(db)).toBeUndefined();
    db.close();
  });
});
