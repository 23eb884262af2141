/**
 * Pure helpers for the benchmark: percentiles, number formatting and the one aligned table it prints. No I/O here,
 * so test/unit/bench covers them.
 */

/**
 * Nearest-rank percentile (the smallest sample with at least p% of the samples at or below it). Returns NaN for no
 * samples. `p` is 0–100; p=0 gives the minimum, p=100 the maximum.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile p must be within 0..100, got ${p}`);
  const values = samples.filter((value) => Number.isFinite(value));
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function max(samples: readonly number[]): number {
  return samples.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
}

/** Milliseconds for people: `0.84 ms`, `12.3 ms`, `845 ms`, `2.35 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const abs = Math.abs(ms);
  if (abs < 10) return `${ms.toFixed(2)} ms`;
  if (abs < 100) return `${ms.toFixed(1)} ms`;
  if (abs < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Bytes as MB (10^6), one decimal. */
export function formatMb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A ratio as `0.031` → `3.1%`. */
export function formatPercent(fraction: number, digits = 1): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Integers with thousands separators: `10000` → `10,000`. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A ratio as `x` times: `100` → `100×`, `1.5` → `1.50×`. */
export function formatTimes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10 ? `${Math.round(value).toLocaleString('en-US')}×` : `${value.toFixed(2)}×`;
}

export type Verdict = 'OK' | 'MISSED' | 'INFO' | 'FAILED';

export interface Row {
  metric: string;
  measured: string;
  target: string;
  /** Ratio against the target or the reference, then the verdict. */
  ratio: string;
  verdict: Verdict;
}

export const TABLE_HEADER = ['metric', 'measured', 'target', 'ratio', 'verdict'] as const;

/**
 * Renders rows as a plain-text table: columns padded to the widest cell and separated by ` | `, a rule under the
 * header, no trailing spaces. Cells containing newlines are flattened to spaces so the table stays aligned.
 */
export function renderTable(rows: readonly Row[]): string {
  const cells = [
    [...TABLE_HEADER],
    ...rows.map((row) => [row.metric, row.measured, row.target, row.ratio, row.verdict]),
  ].map((line) => line.map((cell) => cell.replace(/\s*\n\s*/g, ' ')));
  const widths = TABLE_HEADER.map((_, column) => Math.max(...cells.map((line) => (line[column] ?? '').length)));
  const format = (line: string[]) =>
    line
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join(' | ')
      .trimEnd();
  const [head, ...body] = cells;
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [format(head ?? []), rule, ...body.map(format)].join('\n');
}

/** `OK` when `ok`, else `MISSED`. */
export function verdict(ok: boolean): Verdict {
  return ok ? 'OK' : 'MISSED';
}

/** A small seeded PRNG (mulberry32), so the bench's random spacing is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * For one task: the poll that saw it finished (the first poll at or after `finishedAt`) and the poll before it, from
 * the times the task was polled. The interval in effect is the gap between the two; with no poll before, it counts
 * from `startedAt` (when tracking began). Undefined when no poll came after the finish.
 */
export function detectionOf(
  pollTimes: readonly number[],
  finishedAt: number,
  startedAt: number,
): { detectedAt: number; intervalMs: number } | undefined {
  const sorted = [...pollTimes].sort((a, b) => a - b);
  const index = sorted.findIndex((at) => at >= finishedAt);
  if (index === -1) return undefined;
  const detectedAt = sorted[index] as number;
  const previous = index > 0 ? (sorted[index - 1] as number) : startedAt;
  return { detectedAt, intervalMs: detectedAt - previous };
}

/** A message's `blocks` as the Web API received them: an array, or the JSON text of one (form-encoded calls). */
export function parseBlocks(raw: unknown): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      return [];
    }
  }
  return [];
}

/** Characters under `text` keys anywhere in the blocks, as Slack's aggregate `msg_blocks_too_long` check counts. */
export function blockChars(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + blockChars(item), 0);
  if (value && typeof value === 'object') {
    let n = 0;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'text' && typeof inner === 'string') n += inner.length;
      else n += blockChars(inner);
    }
    return n;
  }
  return 0;
}
