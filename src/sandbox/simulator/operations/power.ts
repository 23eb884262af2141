/**
 * StopAndroidInstance / StartAndroidInstance (§3.8): asynchronous, answer with RequestId only. The tasks they create
 * are found with DescribeTasks InvokeId=<RequestId>.
 */
import { beginPowerChange, STARTABLE, STOPPABLE } from '../lifecycle.js';
import { type Operation, requireInstances, requireStatus } from './operation.js';

function powerOperation(kind: 'stop' | 'start'): Operation {
  const action = kind === 'stop' ? 'StopAndroidInstance' : 'StartAndroidInstance';
  return {
    mutating: true,
    run({ params, state, now, requestId }) {
      // Optional in the metadata, but a call without ids has nothing to act on.
      const ids = params.list('AndroidInstanceIds', { required: true, max: 100 });
      if (kind === 'stop') params.bool('ForceStop');
      params.oneOf('SaleMode', ['Instance', 'Node']);
      const instances = requireInstances(state, ids);
      requireStatus(instances, kind === 'stop' ? STOPPABLE : STARTABLE, action);
      beginPowerChange(state, now, kind, instances, requestId);
      return {};
    },
  };
}

export const stopAndroidInstance = powerOperation('stop');
export const startAndroidInstance = powerOperation('start');
