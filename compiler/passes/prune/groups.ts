// Channel dependency groups (as Torch-Pruning's DepGraph): every channel of every NCHW value is an
// element; ops that keep channels aligned (activations, BN, pooling, Resize, elementwise with
// broadcast constants, residual Add, SE gate Mul, depthwise convs) join elements, Concat joins
// them at offsets. A component of joined elements is removed as one unit: its Conv/ConvTranspose
// output rows, its consumers' input columns (Conv, ConvTranspose, Flatten/Reshape → Gemm/MatMul
// rows at stride H·W), BN parameters and broadcast constants. An op the analysis does not follow
// blocks the components it touches, with the reason.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import type { ValueType } from '../../../runtime/ir/shape/index.ts';

/** What removing one element's channel does. */
export type ChannelAction =
  | { kind: 'out'; node: Node; c: number } // Conv / ConvTranspose output channel (weight rows + bias)
  | { kind: 'in'; node: Node; c: number } // Conv / ConvTranspose input channel (group 1)
  | { kind: 'dw'; node: Node; c: number } // depthwise conv: in c = out c
  | { kind: 'rows'; node: Node; start: number; count: number } // Gemm/MatMul weight rows (after Flatten)
  | { kind: 'const'; node: Node; input: number; axis: number; c: number } // broadcast constant operand
  | { kind: 'bn'; node: Node; c: number }; // BatchNormalization / InstanceNormalization params

export interface ChannelUnit {
  /** Element ids (value name, channel) in this unit. */
  values: { name: string; c: number }[];
  actions: ChannelAction[];
  /** Why this unit cannot be removed (first reason found), if so. */
  blocked?: string;
}

export interface LayerGroup {
  /** Non-depthwise Conv/ConvTranspose nodes whose output channels this group removes. */
  leaders: Node[];
  units: ChannelUnit[];
  blocked?: string;
}

const UNARY = new Set([
  'Relu',
  'Clip',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'LeakyRelu',
  'Tanh',
  'Identity',
  'Elu',
  'Selu',
  'Softplus',
  'Softsign',
  'Neg',
  'Abs',
  'Sqrt',
  'Exp',
  'Log',
  'Erf',
  'Cast',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Dropout',
  'Resize',
  'Upsample',
  'Floor',
  'Ceil',
  'Round',
]);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Pow', 'PRelu']);
const NORMS = new Set(['BatchNormalization', 'InstanceNormalization']);

export type TypeOf = (name: string) => ValueType | undefined;

export function channelGroups(g: Graph, typeOf: TypeOf): LayerGroup[] {
  const base = new Map<string, number>();
  const width: number[] = [];
  const parent: number[] = [];
  const blocked = new Map<number, string>();
  const actions = new Map<number, ChannelAction[]>();
  const names: { name: string; c: number }[] = [];
  const channels = (name: string): number | undefined => {
    if (g.constant(name)) return undefined;
    const s = typeOf(name)?.shape;
    if (!s || s.length < 3 || typeof s[1] !== 'number') return undefined;
    return s[1];
  };
  const rank = (name: string): number => typeOf(name)?.shape?.length ?? 0;
  const id = (name: string, c: number): number => {
    let b = base.get(name);
    if (b === undefined) {
      b = parent.length;
      base.set(name, b);
      const C = channels(name)!;
      for (let i = 0; i < C; i++) {
        parent.push(b + i);
        names.push({ name, c: i });
      }
      width.push(C);
    }
    return b + c;
  };
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const union = (a: number, b: number) => {
    parent[find(a)] = find(b);
  };
  const act = (e: number, a: ChannelAction) => {
    let l = actions.get(e);
    if (!l) actions.set(e, (l = []));
    l.push(a);
  };
  const block = (name: string, why: string) => {
    const C = channels(name);
    if (C === undefined) return;
    for (let c = 0; c < C; c++) if (!blocked.has(id(name, c))) blocked.set(id(name, c), why);
  };
  const joinAll = (a: string, b: string) => {
    const C = channels(a)!;
    for (let c = 0; c < C; c++) union(id(a, c), id(b, c));
  };

  for (const i of g.inputs)
    if (!g.initializers.has(i.name)) block(i.name, `it comes from the graph input ${i.name}`);
  for (const o of g.outputs) block(o.name, `it reaches the graph output ${o.name}`);

  for (const n of g.topoOrder()) {
    const x = n.inputs[0] ?? '';
    const xc = channels(x);
    const y = n.outputs[0] ?? '';
    const yc = channels(y);
    const what = `${n.opType} ${n.name || y}`;
    const group = (n.attrs.group as number | undefined) ?? 1;
    if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && g.constant(n.inputs[1] ?? '')) {
      if (xc === undefined || yc === undefined) {
        block(x, `${what}: unknown channel count`);
        block(y, `${what}: unknown channel count`);
      } else if (n.opType === 'Conv' && group > 1 && group === xc && group === yc) {
        for (let c = 0; c < xc; c++) {
          union(id(x, c), id(y, c));
          act(id(y, c), { kind: 'dw', node: n, c });
        }
      } else if (group > 1) {
        block(x, `${what} is a grouped convolution (group ${group}) that is not depthwise`);
        block(y, `${what} is a grouped convolution (group ${group}) that is not depthwise`);
      } else {
        for (let c = 0; c < xc; c++) act(id(x, c), { kind: 'in', node: n, c });
        for (let c = 0; c < yc; c++) act(id(y, c), { kind: 'out', node: n, c });
      }
      continue;
    }
    // inputs with channels this op does not follow
    const dataIns = n.inputs.filter((v) => v && channels(v) !== undefined);
    if (!dataIns.length) {
      if (yc !== undefined) block(y, `${what} produces it and squish cannot trace its channels`);
      continue;
    }
    if (UNARY.has(n.opType) && xc !== undefined && yc === xc && dataIns.length === 1 && dataIns[0] === x) {
      if ((n.opType === 'Resize' || n.opType === 'Upsample') && n.inputs.length > 3 && n.inputs[3]) {
        block(x, `${what} has a sizes input naming the channel count`);
        block(y, `${what} has a sizes input naming the channel count`);
      } else joinAll(x, y);
      continue;
    }
    if (NORMS.has(n.opType) && xc !== undefined && yc === xc) {
      joinAll(x, y);
      for (let c = 0; c < xc; c++) act(id(x, c), { kind: 'bn', node: n, c });
      continue;
    }
    if (BINARY.has(n.opType) && yc !== undefined) {
      const yr = rank(y);
      let ok = true;
      n.inputs.forEach((v, k) => {
        if (!v) return;
        const vc = channels(v);
        if (vc !== undefined) {
          if (vc === yc && rank(v) === yr) joinAll(v, y);
          else if (vc !== 1) ok = false;
          return;
        }
        const t = g.constant(v);
        const s = t ? [...t.dims] : (typeOf(v)?.shape ?? []);
        const axis = s.length - (yr - 1);
        if (axis < 0 || s[axis] === 1) return; // broadcast over channels
        if (!t || s[axis] !== yc) {
          ok = false;
          return;
        }
        for (let c = 0; c < yc; c++) act(id(y, c), { kind: 'const', node: n, input: k, axis, c });
      });
      if (!ok) {
        for (const v of dataIns) block(v, `${what}: operand shapes do not line up on the channel axis`);
        block(y, `${what}: operand shapes do not line up on the channel axis`);
      }
      continue;
    }
    if (n.opType === 'Concat' && yc !== undefined) {
      const r = rank(y);
      const axis = ((n.attrs.axis as number) + r) % r;
      if (axis === 1 && n.inputs.every((v) => channels(v) !== undefined)) {
        let off = 0;
        for (const v of n.inputs) {
          const vc = channels(v)!;
          for (let c = 0; c < vc; c++) union(id(v, c), id(y, off + c));
          off += vc;
        }
        continue;
      }
    }
    if ((n.opType === 'Flatten' || n.opType === 'Reshape') && xc !== undefined) {
      const s = typeOf(x)?.shape ?? [];
      const spatial = s
        .slice(2)
        .reduce<number | undefined>(
          (a, d) => (a !== undefined && typeof d === 'number' ? a * d : undefined),
          1,
        );
      const ys = typeOf(y)?.shape;
      const flat = ys?.length === 2 && spatial !== undefined && ys[1] === xc * spatial;
      const users = g.consumers(y);
      const dense =
        users.length > 0 &&
        users.every(
          (u) =>
            u.inputs[0] === y &&
            !!g.constant(u.inputs[1] ?? '') &&
            (u.opType === 'MatMul' || (u.opType === 'Gemm' && !u.attrs.transA)),
        );
      if (flat && dense && (n.opType === 'Reshape' || ((n.attrs.axis as number | undefined) ?? 1) === 1)) {
        for (const u of users)
          for (let c = 0; c < xc; c++)
            act(id(x, c), { kind: 'rows', node: u, start: c * spatial!, count: spatial! });
        continue;
      }
    }
    for (const v of dataIns) block(v, `${what}: squish cannot follow channels through ${n.opType}`);
    for (const o of n.outputs) if (o) block(o, `${what} produces it and squish cannot trace its channels`);
  }

  // components → units → layer groups keyed by their leaders
  const units = new Map<number, ChannelUnit>();
  for (let e = 0; e < parent.length; e++) {
    const r = find(e);
    let u = units.get(r);
    if (!u) units.set(r, (u = { values: [], actions: [] }));
    u.values.push(names[e]!);
    u.actions.push(...(actions.get(e) ?? []));
    const why = blocked.get(e);
    if (why && !u.blocked) u.blocked = why;
  }
  const groups = new Map<string, LayerGroup>();
  const leaderId = new Map<Node, number>();
  for (const u of units.values()) {
    const leaders = [...new Set(u.actions.filter((a) => a.kind === 'out').map((a) => a.node))];
    if (!leaders.length) continue; // nothing produces these channels with weights (e.g. the input)
    if (!u.blocked && !u.actions.some((a) => a.kind === 'in' || a.kind === 'rows'))
      u.blocked = 'no layer consumes these channels (removing them would change an output)';
    for (const l of leaders) if (!leaderId.has(l)) leaderId.set(l, leaderId.size);
    const key = leaders
      .map((l) => leaderId.get(l)!)
      .sort((a, b) => a - b)
      .join(',');
    let grp = groups.get(key);
    if (!grp) groups.set(key, (grp = { leaders, units: [] }));
    grp.units.push(u);
  }
  for (const grp of groups.values())
    if (grp.units.every((u) => u.blocked)) grp.blocked = grp.units[0]!.blocked;
  return [...groups.values()];
}
