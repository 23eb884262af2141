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

describe('status of a backup with named instances', () => {
  it("puts each instance's name beside its id on the cloud task lines", () => {
    const request = makeView();
    const named = { ...request, spec: { ...request.spec, instanceNames: { 'acp-a': 'support-01' } } };
    const message = statusMessage({
      kind: 'backup',
      request: named as never,
      live: [
        { taskId: 't-a', status: 'RUNNING', instanceId: 'acp-a' },
        { taskId: 't-b', status: 'RUNNING', instanceId: 'acp-b' },
      ],
    });
    const tasks = JSON.stringify(message.blocks).split('Cloud tasks')[1] ?? '';
    expect(tasks).toContain('on `acp-a` support-01');
    // An instance the cloud gave no name for shows its id alone.
    expect(tasks).toMatch(/on `acp-b`(?! \w)/);
  });
});
