import { describe, expect, it } from 'vitest';
import type { HomeRequest } from '../../../src/services/home/service.js';
import { threadLinks } from '../../../src/slack/home-publisher.js';

function request(id: string, parent?: { channel: string; ts: string }): HomeRequest {
  return {
    id,
    kind: 'backup',
    status: 'Finished',
    step: 'done',
    createdAt: 0,
    finishedAt: 1,
    parent,
    total: 1,
    ended: 1,
    failed: 0,
  };
}

describe('threadLinks', () => {
  it("builds Slack's message link from the parent message, with or without the workspace's trailing slash", () => {
    const requests = [request('req-a', { channel: 'C0BACKUPS', ts: '1700000000.000200' }), request('req-b')];
    const links = threadLinks('https://acme.slack.com/', requests);
    expect(links.get('req-a')).toBe('https://acme.slack.com/archives/C0BACKUPS/p1700000000000200');
    // A request whose parent message was not posted yet is listed by id only.
    expect(links.has('req-b')).toBe(false);
    expect(threadLinks('https://acme.slack.com', requests).get('req-a')).toBe(
      'https://acme.slack.com/archives/C0BACKUPS/p1700000000000200',
    );
  });

  it('gives no links when Slack did not say where the workspace is', () => {
    const requests = [request('req-a', { channel: 'C0BACKUPS', ts: '1700000000.000200' })];
    expect(threadLinks(undefined, requests).size).toBe(0);
    expect(threadLinks('acme.slack.com', requests).size).toBe(0);
  });
});
