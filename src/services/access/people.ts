/**
 * People by handle, for `/cloudphone audit @alex` when Slack did not turn `@alex` into a mention (it does only for
 * handles it recognises, with `should_escape: true`). Slack itself is passed in as one function that reads one page
 * of `users.list`, so this module never imports a Slack client. The whole directory is read (every page) and cached
 * for `ttlMs`; concurrent lookups share one read; a failed read is not cached.
 */

export interface DirectoryPerson {
  id: string;
  /** The legacy username (`name`). */
  name?: string | undefined;
  displayName?: string | undefined;
  realName?: string | undefined;
  deleted?: boolean | undefined;
  isBot?: boolean | undefined;
}

export interface PeoplePage {
  people: readonly DirectoryPerson[];
  /** Empty or absent on the last page. */
  nextCursor?: string | undefined;
}

export interface PeopleDirectoryOptions {
  /** One page of `users.list` from `cursor` (undefined for the first). */
  listPage: (cursor: string | undefined) => Promise<PeoplePage>;
  ttlMs: number;
  now?: (() => number) | undefined;
  /** A guard against a cursor that never ends. */
  maxPages?: number | undefined;
}

export type HandleLookup =
  | { found: true; userId: string }
  | { found: false; reason: 'none' }
  | { found: false; reason: 'several'; userIds: string[] };

export interface PeopleDirectory {
  /** The person whose handle, display name or full name is `handle` (without `@`, any case). */
  findByHandle(handle: string): Promise<HandleLookup>;
  /**
   * The names of these people as far as the directory already knows them (user id → display or full name), never
   * waiting for Slack: where an answer must come within Slack's 3 seconds (a form's error). With nothing cached, a
   * read is started for the next time and the answer is empty.
   */
  knownNames(userIds: readonly string[]): Record<string, string>;
}

const normalise = (text: string | undefined): string => (text ?? '').trim().replace(/^@/, '').toLowerCase();

export function createPeopleDirectory(options: PeopleDirectoryOptions): PeopleDirectory {
  const now = options.now ?? Date.now;
  const maxPages = options.maxPages ?? 500;
  let cached: { people: DirectoryPerson[]; expiresAt: number } | undefined;
  let reading: Promise<DirectoryPerson[]> | undefined;

  async function readAll(): Promise<DirectoryPerson[]> {
    const people: DirectoryPerson[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const result = await options.listPage(cursor);
      people.push(...result.people);
      cursor = result.nextCursor || undefined;
      if (cursor === undefined) break;
    }
    return people;
  }

  async function everyone(): Promise<DirectoryPerson[]> {
    if (cached && now() < cached.expiresAt) return cached.people;
    if (!reading) {
      const askedAt = now();
      reading = readAll()
        .then((people) => {
          cached = { people, expiresAt: askedAt + options.ttlMs };
          return people;
        })
        .finally(() => {
          reading = undefined;
        });
    }
    return reading;
  }

  return {
    knownNames(userIds) {
      if (!cached || now() >= cached.expiresAt) {
        everyone().catch(() => undefined);
        if (!cached) return {};
      }
      const wanted = new Set(userIds);
      const names: Record<string, string> = {};
      for (const person of cached.people) {
        const name = person.displayName || person.realName || person.name;
        if (wanted.has(person.id) && name) names[person.id] = name;
      }
      return names;
    },
    async findByHandle(handle) {
      const wanted = normalise(handle);
      const people = (await everyone()).filter((person) => !person.deleted && !person.isBot);
      // The handle (username) is unique; display and full names are not, so they are only a fallback.
      const byName = people.filter((person) => normalise(person.name) === wanted);
      const matches =
        byName.length > 0
          ? byName
          : people.filter((p) => normalise(p.displayName) === wanted || normalise(p.realName) === wanted);
      if (matches.length === 1 && matches[0]) return { found: true, userId: matches[0].id };
      if (matches.length === 0) return { found: false, reason: 'none' };
      return { found: false, reason: 'several', userIds: matches.map((person) => person.id) };
    },
  };
}
