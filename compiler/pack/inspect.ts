// What `squish inspect` shows for a .sqz container: per weight layer the stage bytes and the bits
// per weight of the coded tensors (read back through runtime/sqz, record sizes as stored).

import type { Model } from '../../runtime/ir/model.ts';
import { readSqz, sqzPayload } from '../../runtime/sqz/read.ts';
import { packStages, type StageReport } from './stages.ts';

export function sqzStages(bytes: Uint8Array, source = '.sqz file'): { model: Model; stages: StageReport } {
  const sizes = new Map<string, number>();
  const model = readSqz(bytes, source, (label, n) => sizes.set(label, n));
  const { payload } = sqzPayload(bytes, source);
  // payload: varint raw graph size, varint deflated size, deflated graph, …
  let pos = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = payload[pos++]!;
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
  };
  varint();
  const graph = varint();
  return { model, stages: packStages(model, sizes, graph, bytes.length) };
}

/** The table `squish inspect FILE.sqz` prints after the usual one. */
export function stagesTable(s: StageReport): string {
  const rows = [...s.layers, s.total].map((l) => [
    l.name,
    l.op,
    String(l.params),
    String(l.nonzero),
    String(l.dense_bytes),
    String(l.pruned_bytes),
    String(l.clustered_bytes),
    String(l.coded_bytes),
    l.bits_per_weight.toFixed(2),
  ]);
  const head = [
    'layer',
    'op',
    'params',
    'nonzero',
    'dense B',
    'pruned B',
    'clustered B',
    'coded B',
    'bits/weight',
  ];
  const w = head.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[c]!.length))));
  const line = (r: string[]) =>
    `${r.map((x, c) => (c >= 2 ? x.padStart(w[c]!) : x.slice(0, w[c]!).padEnd(w[c]!))).join('  ')}\n`;
  let out = `\n.sqz     weights by stage (dense fp32 → pruned → clustered/quantized → coded)\n`;
  out += line(head);
  for (const r of rows) out += line(r);
  out += `graph    ${s.graph_bytes} bytes deflated (structure, names, metadata, tensors not coded on their own); file ${s.file_bytes} bytes\n`;
  return out;
}
