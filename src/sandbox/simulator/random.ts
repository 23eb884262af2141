/**
 * Seeded randomness. Every random choice the simulator makes (ids, task outcomes, faults) comes from one of these
 * streams, so a run with the same seed and the same requests gives the same answers. Each concern has its own stream
 * so that, say, turning on a fault does not change which backups fail.
 */
import { createHash } from 'node:crypto';

/** Returns a number in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for test fixtures (not for anything secret). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream per (seed, name). */
export function streamFor(seed: number | string, name: string): Rng {
  const digest = createHash('sha256').update(`${seed}\u0000${name}`).digest();
  return mulberry32(digest.readUInt32BE(0));
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX_UPPER = '0123456789ABCDEF';

function pick(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rng() * alphabet.length)];
  return out;
}

/** A stable id from a name, for fixtures that must not depend on the seed (the default fleet). */
export function stableId(prefix: string, name: string, length = 17): string {
  const digest = createHash('sha256').update(name).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += LOWER_ALNUM[(digest[i] ?? 0) % LOWER_ALNUM.length];
  return `${prefix}${out}`;
}

/** Id shapes follow the documented examples: `acp-8at8h6ejkadjh****`, `bf-…`, `t-…`, RequestId as an upper-case UUID. */
export class IdGenerator {
  constructor(private readonly rng: Rng) {}

  instance(): string {
    return `acp-${pick(this.rng, LOWER_ALNUM, 17)}`;
  }
  group(): string {
    return `ag-${pick(this.rng, LOWER_ALNUM, 16)}`;
  }
  task(): string {
    return `t-${pick(this.rng, LOWER_ALNUM, 17)}`;
  }
  backupFile(): string {
    return `bf-${pick(this.rng, LOWER_ALNUM, 17)}`;
  }
  requestId(): string {
    const hex = pick(this.rng, HEX_UPPER, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
