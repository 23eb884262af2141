/**
 * RunSyncCommand (§3.10): the practical way to list an instance's apps. `pm list packages -3` prints
 * `package:<name>` lines for the installed third-party packages; `pm list packages` adds system packages; any other
 * command succeeds with empty output. An instance that is not RUNNING gives InvocationStatus FAILED.
 * `TotalCount` is a string, as on the real wire.
 */
import { invalidParameter } from '../api-error.js';
import { gmtTime } from '../format.js';
import type { SimInstance } from '../state.js';
import { type Operation, requireInstances } from './operation.js';

const SYSTEM_PACKAGES = ['android', 'com.android.phone', 'com.android.settings', 'com.android.systemui'];

function output(command: string, instance: SimInstance): string {
  const words = command.trim().split(/\s+/);
  if (words[0] !== 'pm' || words[1] !== 'list' || words[2] !== 'packages') return '';
  const flags = words.slice(3);
  const packages = flags.includes('-3') ? instance.packages : [...SYSTEM_PACKAGES, ...instance.packages];
  return packages.map((name) => `package:${name}\n`).join('');
}

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
      return {
        InstanceId: instance.id,
        InvocationId: invocationId,
        InvocationStatus: running ? 'SUCCESS' : 'FAILED',
        Output: running ? output(command, instance) : '',
        // `yyyy-MM-dd HH:mm:ss`, as in the SDK's example (`2022-08-11 17:45:03`), not ISO.
        StartTime: gmtTime(now),
        FinishTime: gmtTime(now + (running ? Math.min(waitTime, 50) : 0)),
      };
    });
    return { TotalCount: String(data.length), Data: data };
  },
};
