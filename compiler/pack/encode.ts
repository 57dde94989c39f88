// Writing the parts of a version 2 .sqz into its value stream (docs/sqz.md "Value stream"), as
// chooseCodings decided: raw bits, a static canonical Huffman code after its code-length table, or
// the adaptive model of the part's group (the model code the reader decodes with).

import { CODING } from '../../runtime/sqz/format.ts';
import { codeGamma, FloatModel, IntModel } from '../../runtime/sqz/models.ts';
import type { BitCoder } from '../../runtime/sqz/range.ts';
import type { ModelSpec } from '../../runtime/sqz/table.ts';
import { canonicalCodes, huffmanLengths } from '../codec/huffman.ts';
import { frequencies } from './choose.ts';
import type { Part } from './parts.ts';

function writeStatic(c: BitCoder, p: Part): void {
  const lengths = huffmanLengths(frequencies(p));
  const codes = canonicalCodes(lengths);
  let used = 0;
  for (const l of lengths) if (l) used++;
  codeGamma(c, used, 'table size');
  let prev = -1;
  for (let s = 0; s < lengths.length; s++) {
    if (!lengths[s]) continue;
    codeGamma(c, s - prev - 1, 'table');
    c.direct(5, lengths[s]! - 1);
    prev = s;
  }
  for (let i = 0; i < p.data.length; i++) c.direct(lengths[p.data[i]!]!, codes[p.data[i]!]!);
}

/** Encodes parts in stream order with one fresh model per model-table entry. */
export class PartWriter {
  private readonly models: (IntModel | FloatModel)[];

  constructor(
    private readonly c: BitCoder,
    table: ModelSpec[],
  ) {
    this.models = table.map((s) => (s.kind === 'int' ? new IntModel(s) : new FloatModel()));
  }

  write(p: Part): void {
    const { c, models } = this;
    const d = p.data;
    if (p.coding === CODING.adaptive) {
      const model = models[p.model]!;
      if (model instanceof IntModel) for (let i = 0; i < d.length; i++) model.code(c, d[i]!);
      else for (let i = 0; i < d.length; i++) model.code(c, d[i]!, p.mantissa);
    } else if (p.coding === CODING.static) {
      if (d.length) writeStatic(c, p);
    } else if (p.float) {
      const m = p.mantissa;
      for (let i = 0; i < d.length; i++) {
        const kept = d[i]! >>> (23 - m);
        c.direct(8, kept >>> (1 + m));
        c.direct(1 + m, kept % 2 ** (1 + m));
      }
    } else for (let i = 0; i < d.length; i++) c.direct(p.bits, d[i]!);
  }
}
