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

/** Elements (value, channel) joined into components (union–find), with their actions and blocks. */
class ChannelElements {
  private readonly base = new Map<string, number>();
  private readonly parent: number[] = [];
  private readonly blocked = new Map<number, string>();
  private readonly actions = new Map<number, ChannelAction[]>();
  private readonly names: { name: string; c: number }[] = [];

  constructor(
    readonly g: Graph,
    readonly typeOf: TypeOf,
  ) {}

  /** C of an NCHW-like value (rank ≥ 3, known channel dim), undefined for constants and others. */
  channels(name: string): number | undefined {
    if (this.g.constant(name)) return undefined;
    const s = this.typeOf(name)?.shape;
    if (!s || s.length < 3 || typeof s[1] !== 'number') return undefined;
    return s[1];
  }

  rank(name: string): number {
    return this.typeOf(name)?.shape?.length ?? 0;
  }

  id(name: string, c: number): number {
    let b = this.base.get(name);
    if (b === undefined) {
      b = this.parent.length;
      this.base.set(name, b);
      const C = this.channels(name)!;
      for (let i = 0; i < C; i++) {
        this.parent.push(b + i);
        this.names.push({ name, c: i });
      }
    }
    return b + c;
  }

  private find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  }

  union(a: number, b: number): void {
    this.parent[this.find(a)] = this.find(b);
  }

  act(e: number, a: ChannelAction): void {
    let l = this.actions.get(e);
    if (!l) this.actions.set(e, (l = []));
    l.push(a);
  }

  block(name: string, why: string): void {
    const C = this.channels(name);
    if (C === undefined) return;
    for (let c = 0; c < C; c++)
      if (!this.blocked.has(this.id(name, c))) this.blocked.set(this.id(name, c), why);
  }

  joinAll(a: string, b: string): void {
    const C = this.channels(a)!;
    for (let c = 0; c < C; c++) this.union(this.id(a, c), this.id(b, c));
  }

  /** Components → units → layer groups keyed by their leaders (the convs producing the channels). */
  groups(): LayerGroup[] {
    const units = new Map<number, ChannelUnit>();
    for (let e = 0; e < this.parent.length; e++) {
      const r = this.find(e);
      let u = units.get(r);
      if (!u) units.set(r, (u = { values: [], actions: [] }));
      u.values.push(this.names[e]!);
      u.actions.push(...(this.actions.get(e) ?? []));
      const why = this.blocked.get(e);
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
}

/** One node as the handlers see it: its first data input and output, their channels, a label. */
interface Step {
  n: Node;
  x: string;
  xc: number | undefined;
  y: string;
  yc: number | undefined;
  what: string;
  /** Inputs with channels. */
  dataIns: string[];
}

/** Conv / ConvTranspose with a constant weight: depthwise joins in and out, group 1 acts on both. */
function followConv(el: ChannelElements, { n, x, xc, y, yc, what }: Step): void {
  const group = (n.attrs.group as number | undefined) ?? 1;
  if (xc === undefined || yc === undefined) {
    el.block(x, `${what}: unknown channel count`);
    el.block(y, `${what}: unknown channel count`);
  } else if (n.opType === 'Conv' && group > 1 && group === xc && group === yc) {
    for (let c = 0; c < xc; c++) {
      el.union(el.id(x, c), el.id(y, c));
      el.act(el.id(y, c), { kind: 'dw', node: n, c });
    }
  } else if (group > 1) {
    el.block(x, `${what} is a grouped convolution (group ${group}) that is not depthwise`);
    el.block(y, `${what} is a grouped convolution (group ${group}) that is not depthwise`);
  } else {
    for (let c = 0; c < xc; c++) el.act(el.id(x, c), { kind: 'in', node: n, c });
    for (let c = 0; c < yc; c++) el.act(el.id(y, c), { kind: 'out', node: n, c });
  }
}

/** Channel-wise ops (activations, pooling, Resize) and norms join their input and output. */
function followChannelwise(el: ChannelElements, { n, x, xc, y, yc, what, dataIns }: Step): boolean {
  if (UNARY.has(n.opType) && xc !== undefined && yc === xc && dataIns.length === 1 && dataIns[0] === x) {
    if ((n.opType === 'Resize' || n.opType === 'Upsample') && n.inputs.length > 3 && n.inputs[3]) {
      el.block(x, `${what} has a sizes input naming the channel count`);
      el.block(y, `${what} has a sizes input naming the channel count`);
    } else el.joinAll(x, y);
    return true;
  }
  if (NORMS.has(n.opType) && xc !== undefined && yc === xc) {
    el.joinAll(x, y);
    for (let c = 0; c < xc; c++) el.act(el.id(x, c), { kind: 'bn', node: n, c });
    return true;
  }
  return false;
}

/** Elementwise binary ops: operands with the output's channels join it, per-channel constants act. */
function followBinary(el: ChannelElements, { n, y, yc, what, dataIns }: Step): boolean {
  if (!BINARY.has(n.opType) || yc === undefined) return false;
  const yr = el.rank(y);
  let ok = true;
  n.inputs.forEach((v, k) => {
    if (!v) return;
    const vc = el.channels(v);
    if (vc !== undefined) {
      if (vc === yc && el.rank(v) === yr) el.joinAll(v, y);
      else if (vc !== 1) ok = false;
      return;
    }
    const t = el.g.constant(v);
    const s = t ? [...t.dims] : (el.typeOf(v)?.shape ?? []);
    const axis = s.length - (yr - 1);
    if (axis < 0 || s[axis] === 1) return; // broadcast over channels
    if (!t || s[axis] !== yc) {
      ok = false;
      return;
    }
    for (let c = 0; c < yc; c++) el.act(el.id(y, c), { kind: 'const', node: n, input: k, axis, c });
  });
  if (!ok) {
    for (const v of dataIns) el.block(v, `${what}: operand shapes do not line up on the channel axis`);
    el.block(y, `${what}: operand shapes do not line up on the channel axis`);
  }
  return true;
}

/** Concat on the channel axis: each input's channels join the output's at their offset. */
function followConcat(el: ChannelElements, { n, y, yc }: Step): boolean {
  if (n.opType !== 'Concat' || yc === undefined) return false;
  const r = el.rank(y);
  const axis = ((n.attrs.axis as number) + r) % r;
  if (axis !== 1 || !n.inputs.every((v) => el.channels(v) !== undefined)) return false;
  let off = 0;
  for (const v of n.inputs) {
    const vc = el.channels(v)!;
    for (let c = 0; c < vc; c++) el.union(el.id(v, c), el.id(y, off + c));
    off += vc;
  }
  return true;
}

/** Flatten/Reshape of [N, C, H, W] into rows read only by Gemm/MatMul: a channel is H·W weight rows. */
function followFlatten(el: ChannelElements, { n, x, xc, y }: Step): boolean {
  if ((n.opType !== 'Flatten' && n.opType !== 'Reshape') || xc === undefined) return false;
  const s = el.typeOf(x)?.shape ?? [];
  const spatial = s
    .slice(2)
    .reduce<number | undefined>((a, d) => (a !== undefined && typeof d === 'number' ? a * d : undefined), 1);
  const ys = el.typeOf(y)?.shape;
  const flat = ys?.length === 2 && spatial !== undefined && ys[1] === xc * spatial;
  const g = el.g;
  const users = g.consumers(y);
  const dense =
    users.length > 0 &&
    users.every(
      (u) =>
        u.inputs[0] === y &&
        !!g.constant(u.inputs[1] ?? '') &&
        (u.opType === 'MatMul' || (u.opType === 'Gemm' && !u.attrs.transA)),
    );
  if (!(flat && dense && (n.opType === 'Reshape' || ((n.attrs.axis as number | undefined) ?? 1) === 1)))
    return false;
  for (const u of users)
    for (let c = 0; c < xc; c++)
      el.act(el.id(x, c), { kind: 'rows', node: u, start: c * spatial!, count: spatial! });
  return true;
}

export function channelGroups(g: Graph, typeOf: TypeOf): LayerGroup[] {
  const el = new ChannelElements(g, typeOf);
  for (const i of g.inputs)
    if (!g.initializers.has(i.name)) el.block(i.name, `it comes from the graph input ${i.name}`);
  for (const o of g.outputs) el.block(o.name, `it reaches the graph output ${o.name}`);
  for (const n of g.topoOrder()) {
    const x = n.inputs[0] ?? '';
    const y = n.outputs[0] ?? '';
    const step: Step = {
      n,
      x,
      xc: el.channels(x),
      y,
      yc: el.channels(y),
      what: `${n.opType} ${n.name || y}`,
      dataIns: [],
    };
    if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && g.constant(n.inputs[1] ?? '')) {
      followConv(el, step);
      continue;
    }
    // inputs with channels this op does not follow
    step.dataIns = n.inputs.filter((v) => v && el.channels(v) !== undefined);
    if (!step.dataIns.length) {
      if (step.yc !== undefined) el.block(y, `${step.what} produces it and squish cannot trace its channels`);
      continue;
    }
    if (
      followChannelwise(el, step) ||
      followBinary(el, step) ||
      followConcat(el, step) ||
      followFlatten(el, step)
    )
      continue;
    for (const v of step.dataIns)
      el.block(v, `${step.what}: squish cannot follow channels through ${n.opType}`);
    for (const o of n.outputs)
      if (o) el.block(o, `${step.what} produces it and squish cannot trace its channels`);
  }
  return el.groups();
}
