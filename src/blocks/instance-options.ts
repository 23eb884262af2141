/**
 * The answer to the instance picker's `block_suggestion`: at most MAX_SUGGESTIONS options, each showing the id,
 * the name, the status and the region. When more match, they come under a group label that says to type more.
 */
import type { Option, PlainTextOption } from '@slack/types';
import type { InstanceSummary } from '../services/fleet/instance-directory.js';
import { truncate } from './escape.js';
import { SLACK_LIMITS } from './limits.js';

/**
 * Suggestions per search. Slack allows 100; its menu shows about eight at a time, and 50 halves an answer that is
 * written while others wait for theirs (in the bench, the answer's write was a third of a search's CPU).
 */
export const MAX_SUGGESTIONS = 50;

export type InstanceOptionsAnswer =
  | { options: PlainTextOption[] }
  | { option_groups: { label: { type: 'plain_text'; text: string }; options: PlainTextOption[] }[] };

function optionFor(instance: InstanceSummary): PlainTextOption {
  const name = instance.name ? ` · ${instance.name}` : '';
  const where = instance.region ? `, ${instance.region}` : '';
  const text = truncate(`${instance.instanceId}${name} (${instance.status}${where})`, SLACK_LIMITS.optionText);
  return { text: { type: 'plain_text', text, emoji: false }, value: instance.instanceId };
}

/** Options for the suggestions; `more` puts them under a label saying that more match. */
export function instanceOptions(result: {
  instances: readonly InstanceSummary[];
  more: boolean;
}): InstanceOptionsAnswer {
  // An id too long for an option value could not be picked intact; the cloud's ids are far shorter.
  const options = result.instances
    .filter((i) => i.instanceId.length > 0 && i.instanceId.length <= SLACK_LIMITS.optionValue)
    .slice(0, MAX_SUGGESTIONS)
    .map(optionFor);
  if (!result.more) return { options };
  const label = `First ${options.length} matches: type more of an id or name to narrow`;
  return {
    option_groups: [{ label: { type: 'plain_text', text: truncate(label, SLACK_LIMITS.optionText) }, options }],
  };
}

/** The picked instance ids in a submission's state entry (a `multi_external_select`); never throws. */
export function pickedValues(selected: unknown): string[] {
  if (!Array.isArray(selected)) return [];
  return selected.flatMap((o: Option | null) =>
    typeof o === 'object' && o !== null && typeof (o as { value?: unknown }).value === 'string'
      ? [(o as { value: string }).value]
      : [],
  );
}
