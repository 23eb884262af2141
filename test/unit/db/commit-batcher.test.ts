import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createCommitBatcher } from '../../../src/db/commit-batcher.js';

/** The bot's connection and a second one that sees only what is committed, as another process would. */
function setup() {
  const path = join(mkdtempSync(join(tmpdir(), 'commit-batcher-')), 'test.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
  `);
  const reader = new Database(path, { readonly: true });
  const committed = () =>
    (reader.prepare('SELECT id FROM parent ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  const insert = (id: number) => db.prepare('INSERT INTO parent (id) VALUES (?)').run(id);
  return { db, committed, insert, batcher: createCommitBatcher(db) };
}

describe('the commit batcher', () => {
  it('commits the writes queued in one turn together, and settles each only once committed', async () => {
    const { batcher, committed, insert } = setup();
    const seenBySecond: number[][] = [];
    const settled: number[][] = [];
    await Promise.all([
      batcher.run(() => insert(1)).then(() => settled.push(committed())),
      batcher.run(() => {
        // Same transaction: the first write is not committed yet, so another connection cannot see it.
        seenBySecond.push(committed());
        insert(2);
      }),
    ]);
    expect(seenBySecond).toEqual([[]]);
    expect(settled).toEqual([[1, 2]]);
    // A later turn is a later commit.
    await batcher.run(() => insert(3));
    expect(committed()).toEqual([1, 2, 3]);
  });

  it('rolls back a failing piece alone and passes its error to its caller', async () => {
    const { batcher, committed, insert } = setup();
    const results = await Promise.allSettled([
      batcher.run(() => insert(1)),
      batcher.run(() => {
        insert(2);
        throw new Error('bad piece');
      }),
      batcher.run(() => {
        insert(3);
        return 'three';
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('bad piece'));
    expect((results[2] as PromiseFulfilledResult<string>).value).toBe('three');
    expect(committed()).toEqual([1, 3]);
  });

  it('rejects every piece when the commit itself fails, and writes none of them', async () => {
    const { batcher, committed, insert, db } = setup();
    const results = await Promise.allSettled([
      batcher.run(() => insert(1)),
      // A deferred foreign key is checked at COMMIT: the whole transaction fails there.
      batcher.run(() => db.prepare('INSERT INTO child (id, parent_id) VALUES (1, 99)').run()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY/);
    expect(committed()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    // And the next batch works.
    await batcher.run(() => insert(2));
    expect(committed()).toEqual([2]);
  });
});
