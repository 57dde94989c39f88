// Duplicate-constant merging: constants (initializers and Constant nodes) with the same dtype,
// dims and bytes become one; every use points at the first. Exact by construction.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Pass } from '../engine/pass.ts';

function fingerprint(t: Tensor): string | undefined {
  const d = t.data;
  if (Array.isArray(d)) return undefined;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  // FNV-1a over the bytes, then the full bytes compared on a hash hit
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return `${t.dtype}|${t.dims.join('x')}|${bytes.length}|${(h >>> 0).toString(16)}`;
}

function sameBytes(a: Tensor, b: Tensor): boolean {
  const x = a.data as Uint8Array;
  const y = b.data as Uint8Array;
  const p = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const q = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  return true;
}

/** Merge duplicate constants of `g`; returns how many uses were redirected. */
export function dedupeConstants(g: Graph): number {
  const names: string[] = [...g.initializers.keys()].filter((n) => !g.isInput(n));
  for (const n of g.nodes) if (n.opType === 'Constant' && n.outputs[0]) names.push(n.outputs[0]);
  const firsts = new Map<string, { name: string; t: Tensor }[]>();
  let merged = 0;
  for (const name of names) {
    if (g.isOutput(name)) continue;
    const t = g.constant(name);
    if (!t) continue;
    const key = fingerprint(t);
    if (!key) continue;
    const bucket = firsts.get(key) ?? [];
    const same = bucket.find((b) => sameBytes(b.t, t));
    if (same) merged += g.replaceAllUsesWith(name, same.name) > 0 ? 1 : 0;
    else {
      bucket.push({ name, t });
      firsts.set(key, bucket);
    }
  }
  return merged;
}

export const dedupeConstantsPass: Pass = {
  name: 'dedupe-constants',
  run: (model: Model) => ({ changed: dedupeConstants(model.graph) > 0 }),
};
