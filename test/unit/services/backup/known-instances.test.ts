import { describe, expect, it } from 'vitest';
import { createKnownInstances } from '../../../../src/services/backup/known-instances.js';

describe('known instances', () => {
  const known = (unknownOf: (ids: readonly string[]) => Promise<readonly string[] | undefined>) =>
    createKnownInstances({ unknownOf });

  it('names every unknown id under the instances field, and says where to pick real ones', async () => {
    const check = known(async (ids) => ids.filter((id) => id.startsWith('acp-x')));
    expect(await check.check(['acp-ok', 'acp-x1', 'acp-x2'], 'form')).toEqual({
      instanceIds:
        'No instances `acp-x1`, `acp-x2` in this account and region: check the ids, or pick them from the list.',
    });
    // The inline command has no list of its own: the form's is named.
    expect((await check.check(['acp-x1'], 'command'))?.instanceIds).toBe(
      'No instance `acp-x1` in this account and region: check the id, or pick from the list in the form (`/cloudphone backup`).',
    );
  });

  it('refuses nothing when every id is known or the bot cannot tell in time', async () => {
    expect(await known(async () => []).check(['acp-ok'], 'form')).toBeUndefined();
    expect(await known(async () => undefined).check(['acp-x1'], 'form')).toBeUndefined();
    expect(await known(() => Promise.reject(new Error('late'))).check(['acp-x1'], 'command')).toBeUndefined();
  });
});
