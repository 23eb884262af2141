import { describe, expect, it } from 'vitest';
import {
  beginBackup,
  beginDelete,
  beginPowerChange,
  beginRecover,
  compatibilityProblem,
  imageFactsOf,
} from '../../../../src/sandbox/simulator/lifecycle.js';
import { appDataBytes, type SimState, type SimTask } from '../../../../src/sandbox/simulator/state.js';
import { makeState, T0, TEST_TIMING } from './support.js';

const { stopMs, startMs, taskWaitMs, taskProcessMs, backupMs, recoverMs, deleteMs } = TEST_TIMING;
const DIR = 'oss://cloudphone-saved-bucket-test/backups/';

function children(state: SimState, parent: SimTask): SimTask[] {
  return parent.childIds.map((id) => state.tasks.get(id)!);
}

describe('stop and start', () => {
  it('moves RUNNING → STOPPING → STOPPED while the tasks go Waiting → Processing → Finished', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-01');
    const parent = beginPowerChange(state, T0, 'stop', [phone], 'REQ-1');
    const [child] = children(state, parent);

    expect(phone.status).toBe('STOPPING');
    expect(parent).toMatchObject({ type: 'StopInstance', level: 1, status: 'Waiting', invokeId: 'REQ-1' });
    expect(child).toMatchObject({ level: 2, parentId: parent.id, instanceId: phone.id, status: 'Waiting' });

    at(taskWaitMs);
    expect(child?.status).toBe('Processing');
    expect(parent.status).toBe('Processing');
    expect(child?.startedAt).toBe(T0 + taskWaitMs);

    at(taskWaitMs + stopMs - 1);
    expect(phone.status).toBe('STOPPING');

    at(taskWaitMs + stopMs);
    expect(phone.status).toBe('STOPPED');
    expect(child?.status).toBe('Finished');
    // The batch reports a little after its last child, never at the same instant.
    expect(parent.status).toBe('Processing');

    at(taskWaitMs + stopMs + taskProcessMs);
    expect(parent.status).toBe('Finished');
    expect(parent.finishedAt).toBe(T0 + taskWaitMs + stopMs + taskProcessMs);
  });

  it('starts a STOPPED instance through STARTING', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-02');
    beginPowerChange(state, T0, 'start', [phone], 'REQ-2');
    expect(phone.status).toBe('STARTING');
    at(taskWaitMs + startMs);
    expect(phone.status).toBe('RUNNING');
  });

  it('applies a late replay exactly as if time had been watched', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-01');
    const parent = beginPowerChange(state, T0, 'stop', [phone], 'REQ');
    at(60_000);
    const [child] = children(state, parent);
    expect(child?.finishedAt).toBe(T0 + taskWaitMs + stopMs);
    expect(phone.modifiedAt).toBe(T0 + taskWaitMs + stopMs);
  });

  it('an injected failure leaves the instance where it was and fails the task with the given code', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-01');
    state.injectedFailures.set(phone.id, [{ code: 'StopFailed', message: 'agent did not answer' }]);
    const parent = beginPowerChange(state, T0, 'stop', [phone], 'REQ');
    at(taskWaitMs + stopMs + taskProcessMs);
    expect(phone.status).toBe('RUNNING');
    expect(children(state, parent)[0]).toMatchObject({
      status: 'Failed',
      errorCode: 'StopFailed',
      errorMsg: 'agent did not answer',
    });
    expect(parent.status).toBe('Failed');
    expect(state.injectedFailures.has(phone.id)).toBe(false);
  });

  it('a status forced meanwhile (as setInstanceStatus does) is not undone by the pending transition', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-01');
    beginPowerChange(state, T0, 'stop', [phone], 'REQ');
    state.holdStatus(phone, 'UNAVAILABLE', T0 + 1);
    at(taskWaitMs + stopMs + taskProcessMs);
    expect(phone.status).toBe('UNAVAILABLE');
  });
});

describe('app backup', () => {
  it('creates a BACKUPING file, shows progress, and returns the instance to its prior state', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-02'); // STOPPED, has com.tencent.mm and com.taobao.taobao
    const apps = ['com.tencent.mm', 'com.taobao.taobao'];
    const { parent, entries } = beginBackup(
      state,
      T0,
      { instances: [phone], apps, dir: DIR, uploadEndpoint: 'x' },
      'R',
    );
    const [entry] = entries;
    const file = entry!.file;

    expect(phone.status).toBe('BACKUPING');
    expect(file).toMatchObject({ status: 'BACKUPING', instanceId: phone.id, apps, taskId: entry!.task.id });
    expect(file.path.startsWith(`${DIR}${phone.id}_`)).toBe(true);
    expect(file.path.endsWith('.ab')).toBe(true);
    expect(file.name).toBe(file.path.slice(DIR.length));
    expect(parent).toMatchObject({ type: 'BackupFile', level: 1 });

    at(taskWaitMs + backupMs / 2);
    expect(state.rateOf(phone, T0 + taskWaitMs + backupMs / 2)).toBe(50);

    at(taskWaitMs + backupMs + taskProcessMs);
    expect(phone.status).toBe('STOPPED');
    expect(state.rateOf(phone, T0 + 10_000)).toBe(100);
    expect(file.status).toBe('AVAILABLE');
    expect(file.sizeBytes).toBe(appDataBytes(phone.id, apps[0]!) + appDataBytes(phone.id, apps[1]!));
    expect(file.source).toEqual(imageFactsOf(phone));
    expect(entry!.task.status).toBe('Finished');
    expect(parent.status).toBe('Finished');
  });

  it('fails an instance whose requested app is not installed', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-04'); // nothing installed
    const { entries } = beginBackup(
      state,
      T0,
      { instances: [phone], apps: ['com.tencent.mm'], dir: DIR, uploadEndpoint: 'x' },
      'R',
    );
    at(taskWaitMs + backupMs);
    expect(entries[0]?.task).toMatchObject({ status: 'Failed', errorCode: 'AppNotInstalled' });
    expect(entries[0]?.task.errorMsg).toContain('com.tencent.mm');
    expect(entries[0]?.file.status).toBe('BACKUP_FAILED');
    expect(phone.status).toBe('BACKUP_FAILED');
    expect(phone.errorCode).toBe('AppNotInstalled');
    expect(state.rateOf(phone, T0 + 10_000)).toBeLessThan(100);
  });

  it('reports PartFinished when some instances fail and Failed when all do', () => {
    const { state, byName, at } = makeState();
    const good = byName('support-02');
    const bad = byName('support-04');
    const mixed = beginBackup(
      state,
      T0,
      { instances: [good, bad], apps: ['com.tencent.mm'], dir: DIR, uploadEndpoint: 'x' },
      'R1',
    );
    at(taskWaitMs + backupMs + taskProcessMs);
    expect(mixed.parent.status).toBe('PartFinished');

    const allBad = beginBackup(
      state,
      T0 + 1000,
      { instances: [bad], apps: ['com.nope'], dir: DIR, uploadEndpoint: 'x' },
      'R2',
    );
    at(1000 + taskWaitMs + backupMs + taskProcessMs);
    expect(allBad.parent.status).toBe('Failed');
  });

  it('fails backups of RUNNING instances at the configured rate and never those of STOPPED ones', () => {
    const always = makeState({ runningBackupFailureRate: 1 });
    const running = always.byName('support-01');
    const stopped = always.byName('support-02');
    const { entries } = beginBackup(
      always.state,
      T0,
      { instances: [running, stopped], apps: ['com.tencent.mm'], dir: DIR, uploadEndpoint: 'x' },
      'R',
    );
    always.at(taskWaitMs + backupMs);
    expect(entries.map((entry) => entry.task.errorCode)).toEqual(['AppDataChanged', '']);
    expect(running.status).toBe('BACKUP_FAILED');
    expect(stopped.status).toBe('STOPPED');
  });

  it('decides which running backups fail from the seed, reproducibly', () => {
    const outcomes = (seed: number) => {
      const { state, byName, at } = makeState({ seed, runningBackupFailureRate: 0.5 });
      const phone = byName('support-01');
      const results: string[] = [];
      for (let i = 0; i < 12; i++) {
        const start = i * 1000;
        state.holdStatus(phone, 'RUNNING', T0 + start);
        const { entries } = beginBackup(
          state,
          T0 + start,
          { instances: [phone], apps: ['com.tencent.mm'], dir: DIR, uploadEndpoint: 'x' },
          `R${i}`,
        );
        at(start + taskWaitMs + backupMs);
        results.push(entries[0]!.task.status);
      }
      return results;
    };
    const first = outcomes(7);
    expect(outcomes(7)).toEqual(first);
    expect(first).toContain('Failed');
    expect(first).toContain('Finished');
  });

  it('gives each backup of the same instance in the same second its own object path', () => {
    const { state, byName } = makeState();
    const phone = byName('support-02');
    const request = { instances: [phone], apps: ['com.tencent.mm'], dir: DIR, uploadEndpoint: 'x' };
    const first = beginBackup(state, T0, request, 'R1').entries[0]!.file;
    state.holdStatus(phone, 'STOPPED', T0);
    const second = beginBackup(state, T0, request, 'R2').entries[0]!.file;
    expect(second.path).not.toBe(first.path);
    expect(second.path.endsWith('.ab')).toBe(true);
  });
});

describe('app restore', () => {
  function backedUp(name = 'support-02') {
    const context = makeState();
    const source = context.byName(name);
    const { entries } = beginBackup(
      context.state,
      T0,
      { instances: [source], apps: ['com.taobao.taobao'], dir: DIR, uploadEndpoint: 'x' },
      'B',
    );
    context.at(taskWaitMs + backupMs + taskProcessMs);
    return { ...context, file: entries[0]!.file, start: taskWaitMs + backupMs + taskProcessMs };
  }

  it('installs the backed-up apps on a compatible RUNNING target', () => {
    const { state, byName, at, file, start } = backedUp();
    const target = byName('support-03');
    expect(target.packages).not.toContain('com.taobao.taobao');
    const parent = beginRecover(state, T0 + start, { instances: [target], file, path: file.path }, 'R');

    expect(target.status).toBe('RECOVERING');
    expect(file.status).toBe('RECOVERING');
    at(start + taskWaitMs + recoverMs - 1);
    expect(target.status).toBe('RECOVERING');
    at(start + taskWaitMs + recoverMs + taskProcessMs);
    expect(target.status).toBe('RUNNING');
    expect(target.packages).toContain('com.taobao.taobao');
    expect(file.status).toBe('AVAILABLE');
    expect(parent.status).toBe('Finished');
  });

  it('replaces an app that already exists instead of listing it twice', () => {
    const { state, byName, at, file, start } = backedUp();
    const target = byName('support-03');
    target.packages.push('com.taobao.taobao');
    beginRecover(state, T0 + start, { instances: [target], file, path: file.path }, 'R');
    at(start + taskWaitMs + recoverMs);
    expect(target.packages.filter((app) => app === 'com.taobao.taobao')).toHaveLength(1);
  });

  it.each([
    ['qa-01', 'ImageTypeMismatch'],
    ['beta-01', 'ImageVersionMismatch'],
    ['sales-01', 'ArchitectureMismatch'],
  ])('refuses an incompatible target (%s → %s), quickly, leaving RECOVER_FAILED', (name, code) => {
    const { state, byName, at, file, start } = backedUp();
    const target = byName(name);
    const before = [...target.packages];
    const parent = beginRecover(state, T0 + start, { instances: [target], file, path: file.path }, 'R');
    at(start + taskWaitMs);
    const [child] = children(state, parent);
    expect(child).toMatchObject({ status: 'Failed', errorCode: code });
    expect(target.status).toBe('RECOVER_FAILED');
    expect(target.errorCode).toBe(code);
    expect(target.packages).toEqual(before);
    expect(file.status).toBe('RECOVERY_FAILED');
  });

  it('does not mind a different instance type or image id when kind, version and architecture agree', () => {
    const { file } = backedUp();
    const target = { ...file.source, instanceType: 'acp.basic.large', imageId: 'imgc-other' };
    expect(compatibilityProblem(file.source, target)).toEqual({ ok: true });
  });

  it('fails with FilePathNotFound when the path does not name the backup object', () => {
    const { state, byName, at, file, start } = backedUp();
    const target = byName('support-03');
    const parent = beginRecover(state, T0 + start, { instances: [target], file, path: DIR }, 'R');
    at(start + taskWaitMs);
    expect(children(state, parent)[0]).toMatchObject({ status: 'Failed', errorCode: 'FilePathNotFound' });
  });

  it('keeps the file RECOVERING until the last of several restores ends', () => {
    const { state, byName, at, file, start } = backedUp();
    const first = byName('support-01');
    const second = byName('support-03');
    beginRecover(state, T0 + start, { instances: [first], file, path: file.path }, 'R1');
    beginRecover(state, T0 + start + 50, { instances: [second], file, path: file.path }, 'R2');
    at(start + taskWaitMs + recoverMs);
    expect(file.status).toBe('RECOVERING');
    at(start + 50 + taskWaitMs + recoverMs);
    expect(file.status).toBe('AVAILABLE');
  });
});

describe('backup file deletion', () => {
  it('shows DELETING, then the file is gone; deleting it again meanwhile changes nothing', () => {
    const { state, byName, at } = makeState();
    const phone = byName('support-02');
    const { entries } = beginBackup(
      state,
      T0,
      { instances: [phone], apps: ['com.tencent.mm'], dir: DIR, uploadEndpoint: 'x' },
      'B',
    );
    const file = entries[0]!.file;
    at(taskWaitMs + backupMs);
    beginDelete(state, T0 + 1000, [file]);
    expect(file.status).toBe('DELETING');
    at(1000 + deleteMs / 2);
    beginDelete(state, T0 + 1000 + deleteMs / 2, [file]);
    at(1000 + deleteMs);
    expect(state.backupFiles.has(file.id)).toBe(false);
    expect(state.timeline.pending()).toEqual([]);
  });
});
