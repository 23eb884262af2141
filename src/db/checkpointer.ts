/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits the 1000th page of the
 * write-ahead log copies it into the database file and syncs it, inside that commit: measured here, most audit
 * inserts took 0.06 ms and those took up to 21 ms. In the bot that commit is usually one made while Slack waits for
 * an acknowledgement. So the bot's connection never checkpoints (`wal_autocheckpoint = 0`), and a worker thread with
 * a connection of its own runs a PASSIVE checkpoint every `intervalMs` (PASSIVE never blocks the bot's readers or
 * writers; what it cannot copy yet it copies next time). Closing the bot's connection still checkpoints at the end.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './database.js';

export interface Checkpointer {
  stop(): Promise<void>;
}

// Plain CommonJS given as source: the worker then needs no TypeScript loader (tests and `npm run dev` run from src/).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(
  db: Db,
  options: { intervalMs?: number; onError?: (message: string) => void } = {},
): Checkpointer | undefined {
  // An in-memory database has no WAL and no file a second connection could open.
  if (db.memory) return undefined;
  db.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      path: db.name,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 1_000,
    },
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      // A worker that died on its own (it could not open the file, say) must not leave the log growing forever.
      if (!stopping && db.open) db.pragma('wal_autocheckpoint = 1000');
      resolve();
    });
  });
  worker.on('message', (message: { error?: string }) => {
    if (message.error) options.onError?.(message.error);
  });
  worker.on('error', (error) => options.onError?.(error.message));
  // Never what keeps the process alive.
  worker.unref();
  return {
    async stop() {
      stopping = true;
      // Referenced again while it closes: otherwise nothing keeps the process alive for this wait.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
