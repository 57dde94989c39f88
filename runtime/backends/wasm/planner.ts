// Plan a graph into a Program: each node's steps from its registered wasm kernel (or a reference
// call), values that only reinterpret another share its bytes, every buffer placed in the arena by
// liveness, constants and the step table written into memory once.

import { allocData, type Tensor, type TensorData } from '../../ir/tensor.ts';
import { getOp, type KernelContext } from '../../ops/registry.ts';
import type { GraphNode } from '../backend.ts';
import { FUSED_DOMAIN } from '../fusion/fusion.ts';
import { fusedReference } from '../fusion/reference.ts';
import { type Interval, planArena } from './arena.ts';
import { type Arg, type ConstData, type PlanIO, type Step, type ValueShape, wasmKernel } from './kernel.ts';
import { CONTROL_BYTES, CTRL, MAX_PAGES, PAGE } from './layout.ts';
import { type LibraryExports, library, STEP_BYTES } from './library.ts';
import { type PlannedNode, Program } from './program.ts';
import { Helpers } from './threads.ts';

export interface GraphSpec {
  /** Topological order, after the backend's fusion. */
  nodes: readonly GraphNode[];
  consts: ReadonlyMap<string, Tensor>;
  /** Values the caller writes before each run. */
  inputs: readonly string[];
  /** Values each run returns (kept whole to the end). */
  outputs: readonly string[];
  /** Concrete shape of every value that is not a constant. */
  shapes: ReadonlyMap<string, ValueShape>;
  ctx: KernelContext;
  threads: number;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Bytes a value of this shape takes. */
export function shapeBytes(s: ValueShape): number {
  const proto = allocData(s.dtype, 0);
  if (Array.isArray(proto)) throw new Error(`the wasm backend holds no ${s.dtype} values`);
  const per = s.dtype === 'complex64' || s.dtype === 'complex128' ? 2 : 1;
  return (
    s.dims.reduce((a, b) => a * b, 1) * per * (proto as Exclude<TensorData, Uint8Array[]>).BYTES_PER_ELEMENT
  );
}

/**
 * A graph doing less arithmetic than this per step on average stays on one thread: every step ends
 * at a barrier (some µs), and helpers wake per run.
 */
const THREADED_MIN_WORK_PER_STEP = 2e6;

export async function planProgram(spec: GraphSpec): Promise<Program> {
  const shapes = new Map(spec.shapes);
  /** Temporaries the node being planned asked for. */
  let temps: string[] = [];
  const io: PlanIO = {
    shape: (v) => {
      const s = shapes.get(v);
      if (!s) throw new Error(`wasm planner: no shape for '${v}'`);
      return s;
    },
    constant: (v) => spec.consts.get(v),
    opset: spec.ctx.opset,
    temp: (floats) => {
      const name = `~temp${shapes.size}`;
      shapes.set(name, { dtype: 'float32', dims: [floats] });
      temps.push(name);
      return name;
    },
  };
  const steps: Step[] = [];
  const planned: PlannedNode[] = [];
  /** value → the value whose bytes it shares */
  const aliasOf = new Map<string, string>();
  const root = (v: string): string => {
    let r = v;
    while (aliasOf.has(r)) r = aliasOf.get(r) as string;
    return r;
  };
  for (const node of spec.nodes) {
    const kernel = wasmKernel(node.op, node.domain);
    const a = kernel?.alias?.(node, io);
    const src = a === undefined ? undefined : node.inputs[a];
    if (src && !spec.consts.has(src) && !spec.outputs.includes(node.outputs[0] as string)) {
      aliasOf.set(node.outputs[0] as string, src);
      continue;
    }
    temps = [];
    const own = kernel?.plan(node, io);
    if (own) {
      planned.push({ node, first: steps.length, last: steps.length + own.length, temps });
      steps.push(...own);
      continue;
    }
    planned.push({ node, first: steps.length, last: steps.length, reference: referenceOf(node) });
  }
  const intervals = liveness(spec, planned, root, io);
  const arena = planArena(intervals);
  const constList = collectConstants(steps);
  const work = steps.reduce((a, s) => a + (s.work ?? 0), 0);
  const worth = work >= THREADED_MIN_WORK_PER_STEP * steps.length;
  const threads = worth && sharedMemoryAvailable() ? Math.max(1, spec.threads) : 1;
  const scratch = Math.max(0, ...steps.map((s) => s.scratch ?? 0));
  const scratchStride = align(scratch);
  const tableAt = CONTROL_BYTES;
  const constAt = align(tableAt + steps.length * STEP_BYTES);
  let cursor = constAt;
  const constAddr = new Map<ConstData, number>();
  for (const d of constList) {
    constAddr.set(d, cursor);
    cursor = align(cursor + d.byteLength + 16);
  }
  const scratchAt = cursor;
  const arenaAt = align(scratchAt + scratchStride * threads);
  const total = arenaAt + arena.size;
  const pages = Math.ceil(total / PAGE) + 1;
  const shared = threads > 1;
  const memory = shared
    ? new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
  const bytes = new Uint8Array(memory.buffer);
  const words = new Int32Array(memory.buffer);
  const floats = new Float32Array(memory.buffer);
  for (const [d, at] of constAddr) bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
  const buffers = new Map<string, { at: number; shape: ValueShape }>();
  for (const [name, off] of arena.offsets) buffers.set(name, { at: arenaAt + off, shape: io.shape(name) });
  for (const [v] of aliasOf) {
    const r = root(v);
    const b = buffers.get(r);
    if (b) buffers.set(v, { at: b.at, shape: io.shape(v) });
  }
  const resolve = (a: Arg): { i?: number; f?: number } => {
    if (typeof a === 'number') return { i: a };
    if ('f32' in a) return { f: a.f32 };
    if ('data' in a) return { i: constAddr.get(a.data) as number };
    if ('scratch' in a) return { i: a.scratch === 'base' ? scratchAt : scratchStride };
    const b = buffers.get(root(a.value));
    if (!b) throw new Error(`wasm planner: value '${a.value}' has no buffer`);
    return { i: b.at + (a.offset ?? 0) };
  };
  words[CTRL.steps / 4] = tableAt;
  steps.forEach((s, k) => {
    const at = (tableAt + k * STEP_BYTES) / 4;
    const slot = library(shared).slots.get(s.kernel);
    if (slot === undefined) throw new Error(`wasm library has no kernel ${s.kernel}`);
    if (s.args.length > STEP_BYTES / 4 - 2) throw new Error(`kernel ${s.kernel}: too many arguments`);
    words[at] = slot;
    words[at + 1] = s.args.length;
    s.args.forEach((a, j) => {
      const r = resolve(a);
      if (r.f !== undefined) floats[at + 2 + j] = r.f;
      else words[at + 2 + j] = r.i as number;
    });
  });
  const lib = library(shared);
  const instance = new WebAssembly.Instance(lib.module, { env: { memory } });
  const helpers = shared ? await Helpers.bind(threads - 1, lib.module, memory) : undefined;
  return new Program({
    memory,
    exports: instance.exports as unknown as LibraryExports,
    helpers,
    nodes: planned,
    buffers,
    consts: spec.consts,
    inputs: spec.inputs,
    outputs: spec.outputs,
    ctx: spec.ctx,
  });
}

/** Threads share memory only where SharedArrayBuffer exists (a browser page needs cross-origin isolation). */
function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined';
}

/** The plain-TypeScript kernel of a node no wasm kernel took. */
function referenceOf(node: GraphNode): NonNullable<PlannedNode['reference']> {
  if (node.domain === FUSED_DOMAIN) return fusedReference(node);
  const def = getOp(node.op, node.domain);
  if (!def) throw new Error(`wasm backend: no kernel and no reference kernel for ${node.op} '${node.name}'`);
  return (inputs, ctx) => def.reference(inputs, node.attrs, ctx);
}

/** Live ranges (by node position) of every buffer: inputs from the start, outputs to the end. */
function liveness(
  spec: GraphSpec,
  planned: PlannedNode[],
  root: (v: string) => string,
  io: PlanIO,
): Interval[] {
  const range = new Map<string, { from: number; to: number }>();
  const touch = (v: string, at: number) => {
    const r = range.get(v);
    if (!r) range.set(v, { from: at, to: at });
    else r.to = Math.max(r.to, at);
  };
  for (const v of spec.inputs) touch(root(v), -1);
  planned.forEach((pn, i) => {
    for (const t of pn.temps ?? []) touch(t, i);
    for (const o of pn.node.outputs) if (o && !spec.consts.has(o)) touch(root(o), i);
    for (const n of pn.node.inputs) if (n && !spec.consts.has(n)) touch(root(n), i);
  });
  for (const v of spec.outputs) if (!spec.consts.has(v)) touch(root(v), Number.POSITIVE_INFINITY);
  return [...range].map(([name, r]) => ({ name, bytes: shapeBytes(io.shape(name)), ...r }));
}

/** The distinct constant arrays the steps refer to, in first-use order. */
function collectConstants(steps: Step[]): ConstData[] {
  const seen = new Set<ConstData>();
  for (const s of steps) for (const a of s.args) if (typeof a === 'object' && 'data' in a) seen.add(a.data);
  return [...seen];
}

export type { LibraryExports };
