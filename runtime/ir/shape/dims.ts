// Dims that may be symbolic: numbers when known, strings (a dim_param name or an expression over
// them, e.g. "(H+1)/2") when not. '?' is an unknown dim with no name.

import type { Tensor } from '../tensor.ts';
import type { Dim, ValueType } from '../types.ts';

export type { Dim, ValueType };

export const isNum = (d: Dim | undefined): d is number => typeof d === 'number';

function wrap(d: Dim): string {
  const s = String(d);
  return /^[\w.?]+$/.test(s) ? s : `(${s})`;
}

/** Split a symbolic dim into (rest, constant term): "H+3" → ["H", 3]. */
function splitConst(d: string): [string, number] {
  let depth = 0;
  for (let i = d.length - 1; i > 0; i--) {
    const c = d[i];
    if (c === ')') depth++;
    else if (c === '(') depth--;
    else if (depth === 0 && (c === '+' || c === '-')) {
      const tail = d.slice(i + 1);
      if (/^\d+$/.test(tail)) return [d.slice(0, i), c === '+' ? Number(tail) : -Number(tail)];
      return [d, 0];
    } else if (depth === 0 && (c === '*' || c === '/')) return [d, 0];
  }
  return [d, 0];
}

function unwrap(s: string): string {
  if (!s.startsWith('(') || !s.endsWith(')')) return s;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')') depth--;
    if (depth === 0 && i < s.length - 1) return s;
  }
  return s.slice(1, -1);
}

function withConst(base: string, c: number): Dim {
  if (c === 0) return unwrap(base);
  return c > 0 ? `${base}+${c}` : `${base}-${-c}`;
}

export function add(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return a + b;
  if (b === 0) return a;
  if (a === 0) return b;
  if (isNum(b)) {
    const [h, c] = splitConst(unwrap(a as string));
    return withConst(h, c + b);
  }
  if (isNum(a)) return add(b, a);
  return `${wrap(a)}+${wrap(b)}`;
}

export function sub(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return a - b;
  if (a === b) return 0;
  if (isNum(b)) return add(a, -b);
  return `${wrap(a)}-${wrap(b)}`;
}

/** Split a product into numeric coefficient and symbolic factors: "2*H*W" → [2, ["H","W"]]. */
function factors(d: Dim): [number, string[]] {
  if (isNum(d)) return [d, []];
  const s = unwrap(d);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && (c === '+' || c === '-' || c === '/')) return [1, [wrap(s)]];
    else if (depth === 0 && c === '*') {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  let k = 1;
  const syms: string[] = [];
  for (const p of parts) {
    if (/^\d+$/.test(p)) k *= Number(p);
    else syms.push(p);
  }
  return [k, syms];
}

function fromFactors(k: number, syms: string[]): Dim {
  if (k === 0) return 0;
  if (!syms.length) return k;
  const sorted = [...syms].sort();
  return k === 1 ? (sorted.length === 1 ? unwrap(sorted[0]!) : sorted.join('*')) : `${k}*${sorted.join('*')}`;
}

export function mul(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === 0 || b === 0) return 0;
  const [ka, sa] = factors(a);
  const [kb, sb] = factors(b);
  return fromFactors(ka * kb, [...sa, ...sb]);
}

/** floor(a / b) */
export function floorDiv(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return Math.floor(a / b);
  if (b === 1) return a;
  const [ka, sa] = factors(a);
  const [kb, sb] = factors(b);
  // cancel common symbolic factors (dims are positive)
  const rest = [...sa];
  const den: string[] = [];
  for (const f of sb) {
    const i = rest.indexOf(f);
    if (i >= 0) rest.splice(i, 1);
    else den.push(f);
  }
  if (!den.length && ka % kb === 0) return fromFactors(ka / kb, rest);
  const num = fromFactors(ka, rest);
  const d = fromFactors(kb, den);
  if (isNum(num) && isNum(d)) return Math.floor(num / d);
  if (isNum(a) || isNum(b) || typeof num === 'number' || d === 1)
    return d === 1 ? num : `${wrap(num)}/${wrap(d)}`;
  return `${wrap(num)}/${wrap(d)}`;
}

/** ceil(a / b) */
export function ceilDiv(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return Math.ceil(a / b);
  if (b === 1) return a;
  return `ceil(${a}/${wrap(b)})`;
}

/** One broadcast dim (numpy rules); undefined when two known dims clash. */
export function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (isNum(a) && isNum(b)) return undefined;
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  return a === '?' ? b : a;
}

export function broadcastShapes(shapes: (Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const rank = Math.max(0, ...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s!.length - rank + i;
      if (k < 0) continue;
      const b = broadcastDim(d, s![k]!);
      if (b === undefined) {
        throw new Error(`shapes [${shapes.map((x) => x!.join(',')).join('] and [')}] do not broadcast`);
      }
      d = b;
    }
    out.push(d);
  }
  return out;
}

export function product(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) p = mul(p, d);
  return p;
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Elementwise values of a small integer tensor (rank ≤ 1, ≤ 64 elements) as dims, else undefined. */
export function tensorDims(t: Tensor | undefined): Dim[] | undefined {
  if (!t || t.dims.length > 1 || t.dtype === 'string') return undefined;
  const d = t.data;
  if (Array.isArray(d) || d.length > 64) return undefined;
  const out: Dim[] = [];
  for (let i = 0; i < d.length; i++) out.push(Number(d[i]!));
  return out;
}
