/**
 * What a schedule backs up: instance ids (`acp-…`), id globs (`acp-qa*`) and instance groups (`ag-…`), resolved at each
 * run against the fleet's listing (DescribeAndroidInstances, paged). A target that matches nothing is reported by the
 * caller, never skipped silently.
 */
import { type Check, checkInstanceId } from '../backup/input.js';
import type { InstanceSummary } from '../fleet/instance-directory.js';

export type Target =
  | { kind: 'instance'; text: string }
  | { kind: 'glob'; text: string; pattern: RegExp }
  | { kind: 'group'; text: string };

const GROUP_ID = /^ag-[a-z0-9]+$/;
/** A glob: the id alphabet plus `*` (any run) and `?` (one character), starting with `acp-`. */
const INSTANCE_GLOB = /^acp-[a-z0-9*?]*$/;
export const MAX_TARGETS = 100;

function globPattern(glob: string): RegExp {
  const body = glob.replace(/[*?]/g, (wildcard) => (wildcard === '*' ? '[a-z0-9]*' : '[a-z0-9]'));
  return new RegExp(`^${body}$`);
}

/** Checks one target as a person typed it. */
export function checkTarget(raw: string): Check<Target> {
  const text = raw.trim();
  if (GROUP_ID.test(text)) return { ok: true, value: { kind: 'group', text } };
  if (/[*?]/.test(text)) {
    if (INSTANCE_GLOB.test(text)) return { ok: true, value: { kind: 'glob', text, pattern: globPattern(text) } };
    return {
      ok: false,
      message: `\`${text.slice(0, 40)}\` is not a target pattern: a pattern starts with \`acp-\` and uses lowercase letters, digits, \`*\` and \`?\`, like \`acp-qa*\`.`,
    };
  }
  if (text.startsWith('ag-')) {
    return {
      ok: false,
      message: `\`${text.slice(0, 40)}\` is not an instance group id: groups look like \`ag-…\` in lowercase letters and digits.`,
    };
  }
  const id = checkInstanceId(text);
  if (!id.ok) {
    return {
      ok: false,
      message: `${id.message} A target is an instance id, a pattern like \`acp-qa*\` or a group \`ag-…\`.`,
    };
  }
  return { ok: true, value: { kind: 'instance', text: id.value } };
}

/** Parses stored target texts (already checked when the schedule was saved). */
export function parseTargets(texts: readonly string[]): Target[] {
  return texts.map((text) => {
    const checked = checkTarget(text);
    if (!checked.ok) throw new Error(`stored schedule target ${text} no longer parses`);
    return checked.value;
  });
}

function matches(target: Target, instance: InstanceSummary): boolean {
  switch (target.kind) {
    case 'instance':
      return instance.instanceId === target.text;
    case 'glob':
      return target.pattern.test(instance.instanceId);
    case 'group':
      return instance.instanceGroupId === target.text;
  }
}

export interface ResolvedTargets {
  /** Every instance some target matched, once each, in listing order. */
  instances: InstanceSummary[];
  /** The targets (as typed) that matched no instance in the listing. */
  unmatched: string[];
}

/** Resolves targets against a listing of the fleet. */
export function resolveTargets(targets: readonly Target[], listing: readonly InstanceSummary[]): ResolvedTargets {
  const hit = new Set<string>();
  const chosen = new Set<string>();
  const instances: InstanceSummary[] = [];
  for (const instance of listing) {
    let taken = false;
    for (const target of targets) {
      if (!matches(target, instance)) continue;
      hit.add(target.text);
      taken = true;
    }
    if (taken && !chosen.has(instance.instanceId)) {
      chosen.add(instance.instanceId);
      instances.push(instance);
    }
  }
  return { instances, unmatched: targets.map((t) => t.text).filter((text) => !hit.has(text)) };
}
