import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../../src/db/checkpointer.js';
import { openDatabase } from '../../../src/db/database.js';

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
    for (let waited = 0; statSync(path).size < sizeBefore + 3_000_000 && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(statSync(path).size).toBeGreaterThan(sizeBefore + 3_000_000);
    await checkpointer!.stop();
    db.close();
  });

  it('does nothing for an in-memory database', () => {
    const db = openDatabase(':memory:');
    expect(startCheckpointer(db)).toBeUndefined();
    db.close();
  });
});
