/**
 * A denial shown as plain text (a form's field error) cannot mention people, so it names them: the admins and role
 * members it lists, from the people directory's cache (never a Slack call while Slack waits for the form's answer).
 */
import type { AccessDenial } from '../services/access/permissions.js';
import type { Services } from '../services/index.js';

export function withPeopleNames<D extends Pick<AccessDenial, 'admins' | 'members' | 'names'>>(
  services: Pick<Services, 'people'>,
  denial: D,
): D {
  const userIds = [...(denial.admins ?? []), ...(denial.members ?? [])].filter((id) => /^[UW][A-Z0-9]+$/.test(id));
  if (userIds.length === 0) return denial;
  return { ...denial, names: { ...services.people.knownNames(userIds), ...denial.names } };
}
