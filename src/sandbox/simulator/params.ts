/**
 * Reads an operation's parameters from the flattened query (`Name.N` for lists, cf. cloud-phone-api.md §2) and
 * answers the way the gateway does: `MissingParameter` when a required one is absent or empty, `InvalidParameter`
 * for a bad value. Unknown parameters are ignored, as the gateway ignores them.
 */
import { invalidParameter, missingParameter } from './api-error.js';

export interface ListOptions {
  required?: boolean;
  /** The metadata's maxItems; 100 for most lists here. */
  max?: number;
}

export interface IntOptions {
  min: number;
  max: number;
  default: number;
}

export class Params {
  constructor(readonly raw: Readonly<Record<string, string>>) {}

  string(name: string, options: { required: true }): string;
  string(name: string, options?: { required?: boolean }): string | undefined;
  string(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.raw[name];
    if (value === undefined || value === '') {
      if (options.required) throw this.missing(name);
      return undefined;
    }
    return value;
  }

  /** `Name.1`, `Name.2`, … in index order; empty items dropped, duplicates kept once. */
  list(name: string, options: ListOptions = {}): string[] {
    const pattern = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)$`);
    const items: [number, string][] = [];
    for (const [key, value] of Object.entries(this.raw)) {
      const match = pattern.exec(key);
      if (match && value !== '') items.push([Number(match[1]), value]);
    }
    if (items.length === 0) {
      if (options.required) throw this.missing(name);
      return [];
    }
    const max = options.max ?? 100;
    if (items.length > max) throw invalidParameter(name, `at most ${max} items are allowed, got ${items.length}.`);
    items.sort((a, b) => a[0] - b[0]);
    return [...new Set(items.map(([, value]) => value))];
  }

  int(name: string, options: IntOptions): number {
    const raw = this.string(name);
    if (raw === undefined) return options.default;
    if (!/^-?\d+$/.test(raw)) throw invalidParameter(name, `"${raw}" is not an integer.`);
    const value = Number(raw);
    if (value < options.min || value > options.max) {
      throw invalidParameter(name, `must be between ${options.min} and ${options.max}, got ${value}.`);
    }
    return value;
  }

  bool(name: string): boolean | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw invalidParameter(name, `"${raw}" is not true or false.`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw invalidParameter(name, `"${raw}" is not one of ${allowed.join(', ')}.`);
    }
    return raw as T;
  }

  /** Like `list` but every item must be one of `allowed`. */
  listOf<T extends string>(name: string, allowed: readonly T[], options: ListOptions = {}): T[] {
    const items = this.list(name, options);
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item)) {
        throw invalidParameter(name, `"${item}" is not one of ${allowed.join(', ')}.`);
      }
    }
    return items as T[];
  }

  private missing(name: string) {
    // A list sent as a scalar (`Name=a` or a JSON array) is the commonest client bug; say so.
    const scalarList = this.raw[name] !== undefined && this.raw[name] !== '';
    return missingParameter(name, scalarList ? ` Lists are sent as ${name}.1, ${name}.2, ….` : '');
  }
}
