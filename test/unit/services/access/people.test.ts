import { describe, expect, it } from 'vitest';
import { createPeopleDirectory, type DirectoryPerson } from '../../../../src/services/access/people.js';

/** A users.list stand-in: `perPage` people a page, counting the pages read. */
function pagedList(people: DirectoryPerson[], perPage: number) {
  const reads: (string | undefined)[] = [];
  return {
    reads,
    async listPage(cursor: string | undefined) {
      reads.push(cursor);
      const offset = cursor === undefined ? 0 : Number(cursor);
      const next = offset + perPage < people.length ? String(offset + perPage) : '';
      return { people: people.slice(offset, offset + perPage), nextCursor: next };
    },
  };
}

const crowd: DirectoryPerson[] = Array.from({ length: 250 }, (_, i) => ({ id: `U${i}`, name: `person${i}` }));

describe('people directory', () => {
  it('finds a handle on a later page, any case, with or without @', async () => {
    const list = pagedList([...crowd, { id: 'UALEX', name: 'alex', realName: 'Alex Smith' }], 100);
    const people = createPeopleDirectory({ listPage: list.listPage, ttlMs: 60_000 });
    expect(await people.findByHandle('@Alex')).toEqual({ found: true, userId: 'UALEX' });
    expect(list.reads).toEqual([undefined, '100', '200']);
    // Cached: no second read within the ttl.
    expect(await people.findByHandle('alex')).toEqual({ found: true, userId: 'UALEX' });
    expect(list.reads).toHaveLength(3);
  });

  it('falls back to display or full name, says when several match, and ignores bots and deactivated people', async () => {
    const list = pagedList(
      [
        { id: 'U1', name: 'jsmith', displayName: 'sam' },
        { id: 'U2', name: 'sjones', displayName: 'sam' },
        { id: 'U3', name: 'robot', isBot: true },
        { id: 'U4', name: 'gone', deleted: true },
      ],
      2,
    );
    const people = createPeopleDirectory({ listPage: list.listPage, ttlMs: 60_000 });
    expect(await people.findByHandle('sam')).toEqual({ found: false, reason: 'several', userIds: ['U1', 'U2'] });
    expect(await people.findByHandle('robot')).toEqual({ found: false, reason: 'none' });
    expect(await people.findByHandle('gone')).toEqual({ found: false, reason: 'none' });
  });

  it('reads again after the ttl, and does not keep a failed read', async () => {
    let now = 0;
    let fail = true;
    let reads = 0;
    const people = createPeopleDirectory({
      ttlMs: 1_000,
      now: () => now,
      async listPage() {
        reads += 1;
        if (fail) throw new Error('ratelimited');
        return { people: [{ id: 'UALEX', name: 'alex' }] };
      },
    });
    await expect(people.findByHandle('alex')).rejects.toThrow('ratelimited');
    fail = false;
    expect(await people.findByHandle('alex')).toEqual({ found: true, userId: 'UALEX' });
    now = 2_000;
    await people.findByHandle('alex');
    expect(reads).toBe(3);
  });

  it('names people from what it already read, never waiting: the first ask starts a read and names nobody', async () => {
    const list = pagedList(
      [
        { id: 'UALEX', name: 'alex', displayName: 'Alex', realName: 'Alex Doe' },
        { id: 'UKIM', name: 'kim', realName: 'Kim Lee' },
      ],
      100,
    );
    const people = createPeopleDirectory({ listPage: list.listPage, ttlMs: 60_000 });
    expect(people.knownNames(['UALEX', 'UKIM'])).toEqual({});
    expect(list.reads).toHaveLength(1);
    await people.findByHandle('alex');
    expect(people.knownNames(['UALEX', 'UKIM', 'UNOBODY'])).toEqual({ UALEX: 'Alex', UKIM: 'Kim Lee' });
    expect(list.reads).toHaveLength(1);
  });
});
