import { describe, expect, it } from 'vitest';
import { BLOCK } from '../../../src/blocks/ids.js';
import { modalLimitProblems } from '../../../src/blocks/limits.js';
import { buildScheduleModal, rawFromSpec, readScheduleForm } from '../../../src/blocks/schedule-modal.js';
import { type ScheduleSpec, validateScheduleInput } from '../../../src/services/schedules/spec.js';
import { submittedState } from './fixtures.js';

const PATH = 'oss://cloudphone-saved-bucket-test/backups/';

function specOf(raw: Parameters<typeof validateScheduleInput>[0]): ScheduleSpec {
  const checked = validateScheduleInput(raw);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.spec;
}

const SPECS: ScheduleSpec[] = [
  specOf({ name: 'nightly-qa', targets: 'acp-qa*', apps: 'com.example.app', backupPath: PATH, cron: '0 3 * * *' }),
  specOf({
    name: 'weekly',
    targets: 'acp-qa1, ag-prod, acp-qa?',
    apps: 'com.a,com.b',
    backupPath: PATH,
    uploadEndpoint: 'oss-cn-shanghai-internal.aliyuncs.com',
    cron: '30 1 * * 1',
    timeZone: 'Asia/Shanghai',
    keep: '7',
    maxAge: '12h',
    wave: '10%',
    channelId: 'C0OPS',
  }),
  specOf({
    name: 'monthly',
    targets: 'acp-1',
    apps: 'com.a',
    backupPath: PATH,
    cron: '0 2 1 * *',
    maxAge: '30d',
    wave: '500',
  }),
];

describe('the schedule form, filled in to change a schedule', () => {
  it('submitted as shown, gives back the schedule it was filled with', () => {
    for (const spec of SPECS) {
      const view = buildScheduleModal({
        values: rawFromSpec(spec),
        preview: { unmatched: [] },
        changing: spec.name,
        privateMetadata: JSON.stringify({ channelId: 'C1', scheduleName: spec.name }),
      });
      const raw = readScheduleForm(submittedState(view) as never);
      // The name is shown, not asked: the change keeps it.
      expect(raw.name).toBeUndefined();
      expect(specOf({ ...raw, name: spec.name })).toEqual(spec);
    }
  });

  it('says which schedule it changes, with no name field, within Slack limits', () => {
    const [spec] = SPECS as [ScheduleSpec];
    const view = buildScheduleModal({
      values: rawFromSpec(spec),
      preview: { unmatched: [] },
      changing: spec.name,
      privateMetadata: JSON.stringify({ channelId: 'C1', scheduleName: spec.name }),
    });
    expect(view.title.text).toBe('Change schedule');
    expect(JSON.stringify(view.blocks)).toContain('Changing schedule *`nightly-qa`*');
    const inputs = view.blocks.filter((b) => b.type === 'input').map((b) => ('block_id' in b ? b.block_id : ''));
    expect(inputs).not.toContain(BLOCK.scheduleName);
    expect(modalLimitProblems(view)).toEqual([]);
  });
});
