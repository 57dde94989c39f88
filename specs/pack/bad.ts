// A hand-made .sqz with a valid checksum whose sparse index stream decodes past its tensor: the
// model's initializer `name` (uint8) as a 10-element record with gaps 5 and 7 (→ position 13).
import { ByteWriter } from '../../compiler/pack/bytes.ts';
import { writeStream } from '../../compiler/pack/encode.ts';
import { assembleSqz } from '../../compiler/pack/write.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { exportModel } from '../../runtime/onnx/export.ts';
import { LAYOUT, STORAGE, VALUES } from '../../runtime/sqz/format.ts';

export function pastTensorSqz(model: Model, name: string): Uint8Array {
  const g = model.graph;
  const names = [...g.initializers.keys()];
  const t = g.initializers.get(name)!;
  g.initializers.set(name, { dtype: 'uint8', dims: [0], data: new Uint8Array(0) });
  const graph = exportModel(model);
  g.initializers.set(name, t);
  const rec = new ByteWriter().u8(STORAGE.raw).varint(1).varint(10).u8(VALUES.uint);
  rec.u8(LAYOUT.sparse).u8(4).varint(2);
  writeStream(rec, [5, 7], 16);
  writeStream(rec, [1, 1], 256);
  return assembleSqz(graph, [{ index: names.indexOf(name), bytes: rec.finish() }]).bytes;
}
