/**
 * A fresh in-memory database per test, with the real migrations and repositories (never a mocked database). Call in
 * a `describe`; read `db` and `repos` inside the tests.
 */
import { afterEach, beforeEach } from 'vitest';
import { type Db, openDatabase } from '../../src/db/database.js';
import { createRepositories, type Repositories } from '../../src/db/index.js';

export function useMemoryDatabase(): { readonly db: Db; readonly repos: Repositories } {
  let current: { db: Db; repos: Repositories } | undefined;
  beforeEach(() => {
    const db = openDatabase(':memory:');
    current = { db, repos: createRepositories(db) };
  });
  afterEach(() => {
    current?.db.close();
    current = undefined;
  });
  const open = () => {
    if (!current) throw new Error('useMemoryDatabase: read db and repos inside a test, not while declaring it');
    return current;
  };
  return {
    get db() {
      return open().db;
    },
    get repos() {
      return open().repos;
    },
  };
}
