/** A restore as its messages show it: its record, the bot's checks after it, and both kinds of verification. */
import type { Repositories } from '../../db/index.js';
import type { RestoreRecord } from '../../db/restore-requests.js';

export function restoreView(repos: Repositories, id: string): RestoreRecord | undefined {
  const record = repos.restores.get(id);
  return (
    record && {
      ...record,
      verification: repos.verifications.forRequest(id),
      automaticVerification: repos.verifications.automaticFor(id),
      checks: repos.appFacts.checksFor(id),
    }
  );
}
