/**
 * /healthz and /metrics. Health is the facts an operator acts on: the database takes writes, the runner loop is
 * ticking, when the cloud last answered, and which phones the bot stopped and could not start again (degraded: the
 * bot works, but people are without their phones until someone starts them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/database.js';
import type { Clock } from '../services/pipeline/ports.js';
import type { Metrics } from './metrics.js';

export interface HealthState {
  lastTickAt: number | undefined;
  lastCloudSuccessAt: number | undefined;
  lastCloudErrorCode: string | undefined;
}

/** A phone the bot stopped for a backup and gave up starting again. */
export interface LeftStoppedPhone {
  instanceId: string;
  requestId: string;
  stoppedAt: number;
  errorCode: string | undefined;
}

export interface HealthReport {
  /** False when the bot cannot work (HTTP 503). */
  ok: boolean;
  /** `degraded`: the bot works, but left phones stopped (listed in `phonesLeftStopped`). */
  status: 'ok' | 'degraded' | 'down';
  database: { writable: boolean; error?: string };
  poller: { alive: boolean; lastTickAt: string | null };
  cloud: { lastSuccessAt: string | null; lastErrorCode: string | null };
  phonesLeftStopped: { instanceId: string; requestId: string; stoppedAt: string; errorCode: string | null }[];
}

export function checkHealth(deps: {
  db: Db;
  state: HealthState;
  clock: Clock;
  maxTickAgeMs: number;
  leftStopped?: () => readonly LeftStoppedPhone[];
}): HealthReport {
  const { db, state, clock } = deps;
  let writable = true;
  let error: string | undefined;
  try {
    // A real write, rolled back: proves the file and its WAL accept writes without leaving anything behind.
    db.transaction(() => {
      db.prepare('CREATE TEMP TABLE IF NOT EXISTS health_probe (at INTEGER)').run();
      db.prepare('INSERT INTO health_probe (at) VALUES (?)').run(clock.now());
      throw new RollbackProbe();
    })();
  } catch (caught) {
    if (!(caught instanceof RollbackProbe)) {
      writable = false;
      error = caught instanceof Error ? caught.message : String(caught);
    }
  }
  const alive = state.lastTickAt !== undefined && clock.now() - state.lastTickAt <= deps.maxTickAgeMs;
  const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());
  const left = writable ? (deps.leftStopped?.() ?? []) : [];
  const ok = writable && alive;
  return {
    ok,
    status: !ok ? 'down' : left.length > 0 ? 'degraded' : 'ok',
    database: { writable, ...(error ? { error } : {}) },
    poller: { alive, lastTickAt: iso(state.lastTickAt) },
    cloud: { lastSuccessAt: iso(state.lastCloudSuccessAt), lastErrorCode: state.lastCloudErrorCode ?? null },
    phonesLeftStopped: left.map((phone) => ({
      instanceId: phone.instanceId,
      requestId: phone.requestId,
      stoppedAt: new Date(phone.stoppedAt).toISOString(),
      errorCode: phone.errorCode ?? null,
    })),
  };
}

class RollbackProbe extends Error {}

export function opsRoutes(deps: { health: () => HealthReport; metrics: Metrics }) {
  return [
    {
      path: '/healthz',
      method: 'GET',
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        const report = deps.health();
        res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(report));
      },
    },
    {
      path: '/metrics',
      method: 'GET',
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        deps.metrics.registry.metrics().then(
          (body) => {
            res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
            res.end(body);
          },
          (error: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(error));
          },
        );
      },
    },
  ];
}
