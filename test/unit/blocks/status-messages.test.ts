import { describe, expect, it } from 'vitest';
import { statusMessage } from '../../../src/blocks/status-messages.js';
import { makeView } from './fixtures.js';

describe('status of a backup over two regions', () => {
  it('shows the region of each cloud task and of each instance the tasks name', () => {
    const request = makeView();
    const message = statusMessage({
      kind: 'backup',
      request: request as never,
      live: [
        { taskId: 't-a', status: 'FINISHED', instanceId: 'acp-a', region: 'cn-shanghai' },
        { taskId: 't-b', status: 'FAILED', instanceId: 'acp-b', region: 'cn-hangzhou' },
      ],
    });
    const text = JSON.stringify(message.blocks);
    expect(text).toMatch(/`t-a`[^•]*on `acp-a` · in `cn-shanghai`/);
    expect(text).toMatch(/`t-b`[^•]*on `acp-b` · in `cn-hangzhou`/);
    const byInstance = text.slice(text.indexOf('By instance'), text.indexOf('Cloud tasks'));
    expect(byInstance).toMatch(/acp-a[^•]*· in `cn-shanghai`/);
    expect(byInstance).toMatch(/acp-b[^•]*· in `cn-hangzhou`/);
    // No task named acp-c: no region is made up for it.
    expect(byInstance.slice(byInstance.indexOf('acp-c'))).not.toContain(' in `');
  });
});
