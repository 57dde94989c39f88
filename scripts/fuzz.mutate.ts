// Mutations for the fuzz script: ONNX models changed as bytes and as protobuf messages (ops,
// attributes, dims, names, external data, initializers), recipes changed as lines and tokens.
// Each mutation is drawn from a seeded generator, so a case replays from its seed.

import { decodeMessage, encode, type Msg } from '../runtime/onnx/codec.ts';

export type Rand = () => number;

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Values that break assumptions: zero, negative, huge, beyond 2^31 and 2^53, fractional, NaN. */
const NASTY_INTS = [0, -1, -2, 1, 2, 7, 65535, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, 1e5];
const NASTY_FLOATS = [0, -1, 1e30, -1e30, Number.NaN, Number.POSITIVE_INFINITY, 1e-30, 0.5];
const NASTY_NAMES = [
  '',
  'a/b',
  'a:b',
  '\x1b[31mred\x1b[0m',
  'line\nbreak',
  'nul\x00',
  '\u202eevil',
  'x'.repeat(5000),
  '..',
  'p2o.Conv.0',
];
const OPS = [
  'Conv',
  'Relu',
  'Add',
  'MatMul',
  'Gemm',
  'Reshape',
  'Concat',
  'Foo',
  'ConstantOfShape',
  'Expand',
  'Range',
  'Tile',
  'Resize',
  'MaxPool',
  'If',
  'Loop',
  '',
];

function nodesOf(m: Msg): Msg[] {
  return ((m.graph as Msg)?.node as Msg[]) ?? [];
}

function bytesMutation(r: Rand, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b);
  switch (int(r, 0, 3)) {
    case 0: {
      for (let i = int(r, 1, 8); i > 0; i--) out[int(r, 0, out.length - 1)] = int(r, 0, 255);
      return out;
    }
    case 1:
      return out.subarray(0, int(r, 0, out.length - 1));
    case 2: {
      const at = int(r, 0, out.length);
      const junk = Uint8Array.from({ length: int(r, 1, 64) }, () => int(r, 0, 255));
      return new Uint8Array([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
    }
    default: {
      const at = int(r, 0, out.length - 1);
      return new Uint8Array([...out, ...out.subarray(at, Math.min(out.length, at + 4096))]);
    }
  }
}

function attributeMutation(r: Rand, a: Msg): void {
  switch (int(r, 0, 5)) {
    case 0:
      a.ints = Array.from({ length: int(r, 0, 5) }, () => pick(r, NASTY_INTS));
      a.type = 7;
      delete a.i;
      break;
    case 1:
      a.i = pick(r, NASTY_INTS);
      a.type = 2;
      delete a.ints;
      break;
    case 2:
      a.f = pick(r, NASTY_FLOATS);
      a.type = 1;
      break;
    case 3:
      a.type = int(r, 0, 20); // a type that disagrees with the value, or none known
      break;
    case 4:
      a.name = pick(r, [
        'group',
        'strides',
        'pads',
        'dilations',
        'kernel_shape',
        'axis',
        'perm',
        'to',
        'mode',
      ]);
      break;
    default:
      a.floats = new Float32Array([pick(r, NASTY_FLOATS), pick(r, NASTY_FLOATS)]);
      a.type = 6;
  }
}

function dimMutation(r: Rand, vi: Msg): void {
  const dims = ((((vi.type as Msg)?.tensor_type as Msg)?.shape as Msg)?.dim as Msg[]) ?? [];
  if (!dims.length) return;
  const d = pick(r, dims);
  if (r() < 0.5) {
    d.dim_value = pick(r, NASTY_INTS);
    delete d.dim_param;
  } else {
    d.dim_param = pick(r, NASTY_NAMES);
    delete d.dim_value;
  }
}

/** One structural change to a decoded ModelProto; returns a short description. */
function structureMutation(r: Rand, m: Msg, fifo: string): string {
  const g = m.graph as Msg;
  const nodes = nodesOf(m);
  const inits = (g.initializer as Msg[]) ?? [];
  const node = nodes.length ? pick(r, nodes) : undefined;
  const choice = int(r, 0, 13);
  if (!node && choice < 6) return 'none';
  switch (choice) {
    case 0:
      node!.op_type = pick(r, OPS);
      return `op_type ${String(node!.op_type)}`;
    case 1: {
      const attrs = (node!.attribute as Msg[]) ?? [];
      if (!attrs.length) node!.attribute = [{ name: 'group', type: 2, i: 0 }];
      else attributeMutation(r, pick(r, attrs));
      return `attribute of ${String(node!.op_type)}`;
    }
    case 2: {
      const ins = (node!.input as string[]) ?? [];
      if (r() < 0.5) ins.push(...Array.from({ length: int(r, 1, 5) }, () => pick(r, ins.concat(''))));
      else ins.splice(int(r, 0, ins.length), 1);
      node!.input = ins;
      return `inputs of ${String(node!.op_type)}`;
    }
    case 3:
      node!.name = pick(r, [...NASTY_NAMES, String(pick(r, nodes).name ?? '')]);
      return 'node name';
    case 4:
      node!.output = [pick(r, NASTY_NAMES)];
      return 'node output';
    case 5: {
      const other = pick(r, nodes);
      node!.input = [...((node!.input as string[]) ?? []), ...((other.output as string[]) ?? [])];
      return 'edge (maybe a cycle)';
    }
    case 6:
      for (const vi of [...((g.input as Msg[]) ?? []), ...((g.output as Msg[]) ?? [])])
        if (r() < 0.5) dimMutation(r, vi);
      return 'graph dims';
    case 7: {
      if (!inits.length) return 'none';
      const t = pick(r, inits);
      const dims = ((t.dims as number[]) ?? []).slice();
      if (dims.length) dims[int(r, 0, dims.length - 1)] = pick(r, NASTY_INTS);
      t.dims = dims;
      return 'initializer dims';
    }
    case 8: {
      if (!inits.length) return 'none';
      const t = pick(r, inits);
      t.data_type = int(r, 0, 30);
      return 'initializer data_type';
    }
    case 9: {
      if (!inits.length) return 'none';
      const t = pick(r, inits);
      const location = pick(r, [
        fifo,
        'folder',
        '../outside.bin',
        '/dev/zero',
        'missing.bin',
        'x'.repeat(300),
        'data.bin',
      ]);
      t.data_location = 1;
      t.external_data = [
        { key: 'location', value: location },
        { key: 'offset', value: String(pick(r, [0, 1, 2 ** 40])) },
        { key: 'length', value: String(pick(r, [4, 2 ** 33, 0])) },
      ];
      delete t.raw_data;
      delete t.float_data;
      return `external data ${location.slice(0, 20)}`;
    }
    case 10: {
      const dims = pick(r, [
        [40000, 40000],
        [2 ** 31, 2 ** 31],
        [1, 2 ** 40],
        [-1, 4],
        [0, 3],
      ]);
      const shape = {
        name: 'fz_shape',
        data_type: 7,
        dims: [dims.length],
        raw_data: new Uint8Array(BigInt64Array.from(dims.map(BigInt)).buffer),
      };
      g.initializer = [...inits, shape];
      g.node = [
        ...nodes,
        {
          op_type: pick(r, ['ConstantOfShape', 'Expand', 'Reshape']),
          input: ['fz_shape'],
          output: ['fz_out'],
          name: 'fz',
        },
      ];
      g.output = [...((g.output as Msg[]) ?? []), { name: 'fz_out' }];
      return `big ${dims.join('x')}`;
    }
    case 11:
      m.opset_import = [{ domain: '', version: pick(r, [0, 1, 7, 11, 13, 21, 99, 2 ** 40]) }];
      return 'opset';
    case 12:
      m.ir_version = pick(r, [0, 1, 3, 99, -1]);
      return 'ir_version';
    default:
      if (nodes.length > 1) g.node = nodes.slice().reverse();
      return 'node order';
  }
}

/** A mutated model: protobuf-level changes (most often), or raw byte damage. */
export function mutateModel(r: Rand, bytes: Uint8Array, fifo: string): { bytes: Uint8Array; what: string } {
  if (r() < 0.25) return { bytes: bytesMutation(r, bytes), what: 'bytes' };
  const m = decodeMessage('ModelProto', bytes, 0, bytes.length, 'fuzz');
  const whats: string[] = [];
  for (let i = int(r, 1, 3); i > 0; i--) whats.push(structureMutation(r, m, fifo));
  return { bytes: encode('ModelProto', m), what: whats.join(', ') };
}

const NASTY_TOKENS = [
  '0',
  '-1',
  '1e309',
  '999999999999',
  '0.5',
  '200%',
  '-5%',
  '3..1',
  '"p2o.Conv.0"',
  'p2o.Conv.99',
  '/(a+)+$/',
  '"\x1b[2J"',
  '{',
  '}',
  'include',
  '*',
  '1x0',
  '99999x99999',
];
const NASTY_LINES = [
  'include "/dev/zero"',
  'include "self.squish"',
  'include "fifo"',
  `calibrate { images "${'a'.repeat(70000)}*.png" }`,
  'calibrate { random  samples 1000000 }',
  'model {\n  input x: float32[2147483648, 3, 48, 192]\n}',
  'model {\n  input x: float32[1, 3, 99999, 99999]\n}',
  'target size <= 1KB',
  'quantize weights of * { bits 0 }',
  'prune channels of * { sparsity 100% }',
  'factorize conv { rank 0 }',
  'cluster weights of * { clusters 1000000 }',
  'output { opset 99 }',
  '{'.repeat(10000),
];

/** A mutated recipe: lines dropped, doubled or added, tokens replaced or damaged. */
export function mutateRecipe(r: Rand, text: string): { text: string; what: string } {
  const lines = text.split('\n');
  const whats: string[] = [];
  for (let i = int(r, 1, 3); i > 0; i--) {
    const at = int(r, 0, Math.max(0, lines.length - 1));
    switch (int(r, 0, 4)) {
      case 0:
        lines.splice(at, 1);
        whats.push('drop line');
        break;
      case 1:
        lines.splice(at, 0, lines[at] ?? '');
        whats.push('double line');
        break;
      case 2:
        lines.splice(at, 0, pick(r, NASTY_LINES));
        whats.push('nasty line');
        break;
      case 3: {
        const words = (lines[at] ?? '').split(' ');
        if (words.length) words[int(r, 0, words.length - 1)] = pick(r, NASTY_TOKENS);
        lines[at] = words.join(' ');
        whats.push('token');
        break;
      }
      default: {
        const line = lines[at] ?? '';
        const k = int(r, 0, line.length);
        lines[at] = line.slice(0, k) + String.fromCharCode(int(r, 0, 0x7f)) + line.slice(k + 1);
        whats.push('char');
      }
    }
  }
  return { text: lines.join('\n'), what: whats.join(', ') };
}
