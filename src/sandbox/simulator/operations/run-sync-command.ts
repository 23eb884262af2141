/**
 * RunSyncCommand (§3.10): the practical way to ask an instance about its apps. The phone's shell is phone-shell.ts
 * (`pm list packages`, the bot's app probe); any other command succeeds with empty output. An instance that is not
 * RUNNING gives InvocationStatus FAILED; one whose commands a test made hang (`setAppFaults`) gives RUNNING after the
 * wait, with no output. `TotalCount` is a string, as on the real wire.
 */
import { invalidParameter } from '../api-error.js';
import { gmtTime } from '../format.js';
import { runShell } from '../phone-shell.js';
import { type Operation, requireInstances } from './operation.js';

export const runSyncCommand: Operation = {
  mutating: false,
  run({ params, state, now }) {
    const ids = params.list('InstanceIds', { required: true, max: 50 });
    const content = params.string('CommandContent', { required: true });
    // Case-insensitive; any other value falls back to PlainText, as the SDK's remarks say (§3.10).
    const encoding = params.string('ContentEncoding')?.toLowerCase() === 'base64' ? 'Base64' : 'PlainText';
    const waitTime = params.int('WaitTime', { min: 500, max: 3000, default: 1000 });
    let command = content;
    if (encoding === 'Base64') {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(content)) throw invalidParameter('CommandContent', 'not valid Base64.');
      command = Buffer.from(content, 'base64').toString('utf8');
    }
    const instances = requireInstances(state, ids);
    const invocationId = state.ids.task();
    const data = instances.map((instance) => {
      const running = instance.status === 'RUNNING';
      const hangs = running && state.appFaults.get(instance.id)?.commandTimeout === true;
      return {
        InstanceId: instance.id,
        InvocationId: invocationId,
        InvocationStatus: hangs ? 'RUNNING' : running ? 'SUCCESS' : 'FAILED',
        Output: running && !hangs ? runShell(instance, command) : '',
        // `yyyy-MM-dd HH:mm:ss`, as in the SDK's example (`2022-08-11 17:45:03`), not ISO.
        StartTime: gmtTime(now),
        FinishTime: hangs ? '' : gmtTime(now + (running ? Math.min(waitTime, 50) : 0)),
      };
    });
    return { TotalCount: String(data.length), Data: data };
  },
};
