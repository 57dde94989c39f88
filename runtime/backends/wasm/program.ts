// A planned graph in one wasm memory: the step table, constants, scratch and the activation arena
// laid out once; a run writes the inputs, walks the steps (wasm segments on every thread, the
// nodes no kernel took on their reference kernel between segments) and reads the outputs back.

import { allocData, type Tensor, type TensorData } from '../../ir/tensor.ts';
import type { KernelContext } from '../../ops/registry.ts';
import type { GraphNode } from '../backend.ts';
import type { ValueShape } from './kernel.ts';
import type { LibraryExports } from './library.ts';
import type { Helpers } from './threads.ts';

/** One node of the program: its wasm steps [first, last) or, when no kernel took it, a reference call. */
export interface PlannedNode {
  node: GraphNode;
  first: number;
  last: number;
  reference?: (inputs: (Tensor | undefined)[], ctx: KernelContext) => Tensor[] | Promise<Tensor[]>;
  /** Scratch buffers the node's steps use. */
  temps?: string[];
}

export interface ProgramParts {
  memory: WebAssembly.Memory;
  exports: LibraryExports;
  helpers: Helpers | undefined;
  nodes: PlannedNode[];
  /** Byte address and shape of every value the program holds. */
  buffers: Map<string, { at: number; shape: ValueShape }>;
  consts: ReadonlyMap<string, Tensor>;
  inputs: readonly string[];
  outputs: readonly string[];
  ctx: KernelContext;
}

/** The main thread may block on a barrier in Node, not on a browser's main thread. */
const MAIN_CAN_WAIT = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

let helpersBusy: Promise<unknown> = Promise.resolve();

export class Program {
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly p: ProgramParts) {}

  /** Nodes run by wasm kernels. */
  get accelerated(): number {
    return this.p.nodes.filter((n) => !n.reference).length;
  }

  get memoryBytes(): number {
    return this.p.memory.buffer.byteLength;
  }

  /** A typed view of a value's bytes in memory (valid until the memory grows). */
  view(name: string): Tensor {
    const b = this.p.buffers.get(name);
    if (!b) throw new Error(`wasm program holds no value '${name}'`);
    const n = b.shape.dims.reduce((a, c) => a * c, 1);
    const Ctor = allocData(b.shape.dtype, 0).constructor as new (
      buffer: ArrayBufferLike,
      at: number,
      n: number,
    ) => TensorData;
    const per = b.shape.dtype === 'complex64' || b.shape.dtype === 'complex128' ? 2 : 1;
    return {
      dtype: b.shape.dtype,
      dims: [...b.shape.dims],
      data: new Ctor(this.p.memory.buffer, b.at, n * per),
    };
  }

  private copyOut(name: string): Tensor {
    const v = this.view(name);
    return { ...v, data: v.data.slice() } as Tensor;
  }

  /** Run once: `feeds` are the program's inputs; returns its outputs (copies). */
  run(
    feeds: ReadonlyMap<string, Tensor>,
    onValue?: (name: string, t: Tensor) => void,
  ): Promise<Map<string, Tensor>> {
    const next = this.busy.then(() => this.exclusive(feeds, onValue));
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async exclusive(
    feeds: ReadonlyMap<string, Tensor>,
    onValue: ((name: string, t: Tensor) => void) | undefined,
  ): Promise<Map<string, Tensor>> {
    const { helpers } = this.p;
    if (!helpers) return this.walk(feeds, onValue);
    const turn = helpersBusy.then(async () => {
      helpers.start();
      try {
        return await this.walk(feeds, onValue);
      } finally {
        await helpers.finish();
      }
    });
    helpersBusy = turn.catch(() => undefined);
    return turn;
  }

  private async walk(
    feeds: ReadonlyMap<string, Tensor>,
    onValue: ((name: string, t: Tensor) => void) | undefined,
  ): Promise<Map<string, Tensor>> {
    const { nodes, exports, helpers } = this.p;
    for (const name of this.p.inputs) {
      const t = feeds.get(name);
      if (!t) throw new Error(`wasm program: input '${name}' not given`);
      const v = this.view(name);
      if (v.data.length !== t.data.length) throw new Error(`wasm program: input '${name}' has another size`);
      (v.data as Float32Array).set(t.data as Float32Array);
    }
    const segment = (first: number, last: number) => {
      if (first >= last) return;
      if (helpers) helpers.segment(exports.exec, first, last, MAIN_CAN_WAIT);
      else exports.exec(first, last, 0, 1, 0);
    };
    let pending = -1;
    for (const pn of nodes) {
      if (!pn.reference) {
        if (pending < 0) pending = pn.first;
        if (!onValue) continue;
        segment(pending, pn.last);
        pending = -1;
      } else {
        if (pending >= 0) segment(pending, pn.first);
        pending = -1;
        await this.runReference(pn);
      }
      if (onValue)
        for (const o of pn.node.outputs) if (o && this.p.buffers.has(o)) onValue(o, this.copyOut(o));
    }
    if (pending >= 0) segment(pending, (nodes[nodes.length - 1] as PlannedNode).last);
    const out = new Map<string, Tensor>();
    for (const name of this.p.outputs) out.set(name, this.p.consts.get(name) ?? this.copyOut(name));
    return out;
  }

  private async runReference(pn: PlannedNode): Promise<void> {
    const { node } = pn;
    const inputs = node.inputs.map((n) => (n ? (this.p.consts.get(n) ?? this.view(n)) : undefined));
    const outs = await (pn.reference as NonNullable<PlannedNode['reference']>)(inputs, {
      ...this.p.ctx,
      nOutputs: node.outputs.length,
    });
    node.outputs.forEach((o, k) => {
      const t = outs[k];
      if (!o || !t || !this.p.buffers.has(o)) return;
      const v = this.view(o);
      if (v.data.length !== t.data.length || v.dtype !== t.dtype)
        throw new Error(
          `${node.op} '${node.name}' produced ${t.dtype} [${t.dims}], planned ${v.dtype} [${v.dims}]`,
        );
      (v.data as Float32Array).set(t.data as Float32Array);
    });
  }

  /** Time each node on the calling thread alone (for benchmarks): [node, ms by `clock`] in run order. */
  async profile(
    feeds: ReadonlyMap<string, Tensor>,
    clock: () => number = () => performance.now(),
  ): Promise<[GraphNode, number][]> {
    const times: [GraphNode, number][] = [];
    for (const name of this.p.inputs)
      (this.view(name).data as Float32Array).set(feeds.get(name)?.data as Float32Array);
    for (const pn of this.p.nodes) {
      const t = clock();
      if (pn.reference) await this.runReference(pn);
      else this.p.exports.exec(pn.first, pn.last, 0, 1, 0);
      times.push([pn.node, clock() - t]);
    }
    return times;
  }

  dispose(): void {
    this.p.helpers?.dispose();
  }
}
