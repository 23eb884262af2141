import type { InputBlock, ModalView } from '@slack/types';
import type { BackupRequestView, InstanceProgress } from '../../../src/services/backup/model.js';

/** A request view with sensible defaults; override what a test is about. */
export function makeView(overrides: Partial<BackupRequestView> = {}): BackupRequestView {
  const instances: InstanceProgress[] = overrides.instances ?? [
    { instanceId: 'acp-a', state: 'succeeded', backupFileId: 'bf-a1', backupFileName: 'a.ab', sizeBytes: 10_227_168 },
    { instanceId: 'acp-b', state: 'failed', errorCode: 'BackupFailed', errorMessage: 'disk full', requestId: 'RID-B' },
    { instanceId: 'acp-c', state: 'skipped', errorMessage: 'instance not found' },
  ];
  return {
    id: 'req-42',
    actor: { userId: 'U0123ABC', teamId: 'T1' },
    channelId: 'C0123',
    spec: {
      instanceIds: instances.map((i) => i.instanceId),
      apps: ['com.example.app', 'com.example.chat'],
      uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
      backupPath: 'oss://cloudphone-saved-bucket-demo/backups/',
      stopBeforeBackup: true,
      startAfterBackup: true,
    },
    status: 'partial',
    createdAt: new Date('2026-03-01T10:00:00Z'),
    finishedAt: new Date('2026-03-01T10:12:30Z'),
    simulated: false,
    ...overrides,
    instances,
  };
}

/** `n` instances; every `failEvery`-th fails with a long, hostile message. */
export function manyInstances(
  n: number,
  failEvery: number,
  message = 'The instance is busy & <!channel> can not',
): InstanceProgress[] {
  return Array.from({ length: n }, (_, i): InstanceProgress => {
    const instanceId = `acp-2ze3abcdefgh${String(i).padStart(4, '0')}`;
    if (failEvery > 0 && i % failEvery === 0) {
      return {
        instanceId,
        state: 'failed',
        errorCode: 'InstanceStateInvalid',
        errorMessage: message,
        requestId: `9F3C2D1A-${String(i).padStart(4, '0')}-4A5B-8C7D-0E1F2A3B4C5D`,
        stoppedByBot: true,
      };
    }
    return {
      instanceId,
      state: 'succeeded',
      backupFileId: `bf-2ze3abcdefgh${String(i).padStart(4, '0')}`,
      backupFileName: `acp-2ze3abcdefgh${String(i).padStart(4, '0')}_20260301100000.ab`,
      sizeBytes: 1_000_000 + i,
      stoppedByBot: true,
    };
  });
}

/**
 * The `view.state.values` Slack would send if the person submitted `view` as built (initial values kept), with
 * `overrides` replacing whole entries by block id.
 */
export function submittedState(view: ModalView, overrides: Record<string, Record<string, unknown>> = {}) {
  const values: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const block of view.blocks) {
    if (block.type !== 'input') continue;
    const input = block as InputBlock;
    const element = input.element as unknown as Record<string, unknown>;
    const actionId = String(element.action_id);
    let entry: Record<string, unknown>;
    if (element.type === 'plain_text_input') {
      entry = { type: 'plain_text_input', value: element.initial_value ?? null };
    } else if (element.type === 'static_select') {
      entry = { type: 'static_select', selected_option: element.initial_option ?? null };
    } else if (element.type === 'checkboxes' || element.type === 'multi_external_select') {
      entry = { type: element.type, selected_options: element.initial_options ?? [] };
    } else if (element.type === 'conversations_select') {
      entry = { type: 'conversations_select', selected_conversation: element.initial_conversation ?? null };
    } else {
      throw new Error(`unexpected element ${String(element.type)}`);
    }
    values[String(input.block_id)] = { [actionId]: entry };
  }
  for (const [blockId, byAction] of Object.entries(overrides)) {
    values[blockId] = byAction as Record<string, Record<string, unknown>>;
  }
  return values;
}
