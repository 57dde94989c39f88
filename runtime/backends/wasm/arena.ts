// Buffer planning: every value a program computes gets an address in one arena, reusing the bytes
// of values whose last reader has run (first fit, largest first), so a whole graph's activations
// fit in a few of its largest tensors.

/** Buffers start on 64-byte lines; 64 spare bytes after each let vector loads run past the end. */
const ALIGN = 64;
const SLACK = 64;

export interface Interval {
  name: string;
  bytes: number;
  /** First step that writes it (-1: before the first step, e.g. a graph input). */
  from: number;
  /** Last step that reads it (Infinity: kept to the end). */
  to: number;
}

/** Offsets (from the arena's base) for each interval, and the arena's size in bytes. */
export function planArena(intervals: readonly Interval[]): { offsets: Map<string, number>; size: number } {
  const order = [...intervals].sort((a, b) => b.bytes - a.bytes || a.from - b.from);
  const placed: { at: number; end: number; from: number; to: number }[] = [];
  const offsets = new Map<string, number>();
  let size = 0;
  for (const v of order) {
    const need = Math.ceil((v.bytes + SLACK) / ALIGN) * ALIGN;
    // address ranges already taken by buffers alive at the same time, lowest first
    const busy = placed.filter((p) => p.from <= v.to && v.from <= p.to).sort((a, b) => a.at - b.at);
    let at = 0;
    for (const p of busy) {
      if (p.at - at >= need) break;
      at = Math.max(at, p.end);
    }
    placed.push({ at, end: at + need, from: v.from, to: v.to });
    offsets.set(v.name, at);
    size = Math.max(size, at + need);
  }
  return { offsets, size };
}
