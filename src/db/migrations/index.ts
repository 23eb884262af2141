import { initialSchema } from './001-initial.js';
import { auditLog } from './002-audit-log.js';
import { restores } from './003-restores.js';
import { tasksByRequest } from './004-tasks-by-request.js';
import { unfinishedByWake } from './005-unfinished-by-wake.js';
import { onePipeline } from './006-one-pipeline.js';
import { stoppedPhones } from './007-stopped-phones.js';
import { approvals } from './008-approvals.js';
import { schedules } from './009-schedules.js';
import { appFacts } from './010-app-facts.js';
import { scheduleRuns } from './011-schedule-runs.js';
import { homeIndexes } from './012-home-indexes.js';
import { cancels } from './013-cancels.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. Append only. */
export const migrations: readonly Migration[] = [
  initialSchema,
  auditLog,
  restores,
  tasksByRequest,
  unfinishedByWake,
  onePipeline,
  stoppedPhones,
  approvals,
  schedules,
  appFacts,
  scheduleRuns,
  homeIndexes,
  cancels,
];
