// The graph: nodes in order, graph inputs/outputs/value_info, initializers, an optional parent
// scope (for If/Loop/Scan bodies); producer/consumer lookup, topological order, constants.
// Edits (replaceAllUsesWith, insert, remove, sweep) live in ./edit.ts and are methods here.

import { UserError } from '../errors.ts';
import { constantNodeValue } from './constant.ts';
import * as edit from './edit.ts';
import { Node, type NodeInit } from './node.ts';
import type { Tensor } from './tensor.ts';
import type { ValueType } from './types.ts';
import { Value } from './value.ts';

/** A graph input, output or value_info entry. */
export interface ValueInfo {
  name: string;
  /** Tensor type (dtype + dims, symbolic dims as strings, '?' for an unknown dim). */
  type?: ValueType;
  docString?: string;
  /** The TypeProto as read (non-tensor types, denotations), re-emitted while `type` is unchanged. */
  typeProto?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

interface Index {
  nodes: Node[];
  count: number;
  inits: number;
  ios: number;
  producer: Map<string, Node>;
  consumers: Map<string, Node[]>;
  defined: Set<string>;
  /** Some node holds a subgraph (its free names count as uses): small edits then rebuild. */
  subgraphs: boolean;
}

export class Graph {
  readonly kind = 'graph';
  name = '';
  docString?: string;
  nodes: Node[] = [];
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  valueInfo: ValueInfo[] = [];
  /** Initializers by name, in file order. */
  initializers = new Map<string, Tensor>();
  /** The enclosing graph for a subgraph (outer-scope names resolve there). */
  parent?: Graph;
  /** Protobuf fields squish does not interpret (sparse_initializer, quantization_annotation …). */
  extra: Record<string, unknown> = {};
  private index?: Index;

  constructor(name = '') {
    this.name = name;
  }

  /** Drop cached lookups; called by every edit (call it after mutating nodes by hand). */
  touch(): void {
    this.index = undefined;
    this.parent?.touch();
  }

  private ix(): Index {
    const ix = this.index;
    // cheap staleness check: catches nodes pushed/spliced/reassigned without touch()
    if (
      ix &&
      ix.nodes === this.nodes &&
      ix.count === this.nodes.length &&
      ix.inits === this.initializers.size &&
      ix.ios === this.inputs.length
    ) {
      return ix;
    }
    const producer = new Map<string, Node>();
    const consumers = new Map<string, Node[]>();
    const defined = new Set<string>([...this.inputs.map((v) => v.name), ...this.initializers.keys()]);
    const use = (name: string, n: Node) => {
      if (!name) return;
      let l = consumers.get(name);
      if (!l) consumers.set(name, (l = []));
      if (l[l.length - 1] !== n) l.push(n);
    };
    for (const n of this.nodes) {
      n.graph = this;
      for (const o of n.outputs) {
        if (!o) continue;
        producer.set(o, n);
        defined.add(o);
      }
    }
    let subgraphs = false;
    for (const n of this.nodes) {
      for (const i of n.inputs) use(i, n);
      for (const g of n.subgraphs()) {
        subgraphs = true;
        for (const name of g.freeNames()) use(name, n);
      }
    }
    this.index = {
      nodes: this.nodes,
      count: this.nodes.length,
      inits: this.initializers.size,
      ios: this.inputs.length,
      producer,
      consumers,
      defined,
      subgraphs,
    };
    return this.index;
  }

  /**
   * The cached lookups when a small edit can keep them right (the index is current but for
   * `nodeDelta` nodes, no subgraph is involved), else undefined after dropping them.
   */
  private followable(nodeDelta: number, node?: Node): Index | undefined {
    const ix = this.index;
    if (
      ix &&
      !this.parent &&
      !ix.subgraphs &&
      ix.nodes === this.nodes &&
      ix.count + nodeDelta === this.nodes.length &&
      ix.inits === this.initializers.size &&
      ix.ios === this.inputs.length &&
      !node?.subgraphs().length
    ) {
      ix.count = this.nodes.length;
      return ix;
    }
    this.touch();
    return undefined;
  }

  /**
   * `n` reads `name`: a new use list with it in node order. Lists are replaced, never edited, so a
   * caller iterating `consumers(v)` while it rewires those nodes sees the list as it was.
   */
  private addUse(ix: Index, name: string, n: Node): void {
    if (!name) return;
    const l = ix.consumers.get(name) ?? [];
    if (l.includes(n)) return;
    const at = this.nodes.indexOf(n);
    let k = l.length;
    while (k > 0 && this.nodes.indexOf(l[k - 1]!) > at) k--;
    ix.consumers.set(name, [...l.slice(0, k), n, ...l.slice(k)]);
  }

  /** `n` may no longer read `name` (it stays a use while another of its inputs reads it). */
  private dropUse(ix: Index, name: string, n: Node): void {
    if (!name || (n.graph === this && n.inputs.includes(name))) return;
    const l = ix.consumers.get(name);
    if (!l?.includes(n)) return;
    const rest = l.filter((x) => x !== n);
    if (rest.length) ix.consumers.set(name, rest);
    else ix.consumers.delete(name);
  }

  /** Bookkeeping after node `n` was inserted (edit.ts): its outputs and uses, without a rebuild. */
  noteAdded(n: Node): void {
    const ix = this.followable(+1, n);
    if (!ix) return;
    for (const o of n.outputs) {
      if (!o) continue;
      ix.producer.set(o, n);
      ix.defined.add(o);
    }
    for (const i of n.inputs) this.addUse(ix, i, n);
  }

  /** Bookkeeping after node `n` was removed (edit.ts). */
  noteRemoved(n: Node): void {
    const ix = this.followable(-1);
    if (!ix) return;
    for (const o of n.outputs) {
      if (!o || ix.producer.get(o) !== n) continue;
      ix.producer.delete(o);
      if (!this.initializers.has(o) && !this.inputs.some((v) => v.name === o)) ix.defined.delete(o);
    }
    for (const i of n.inputs) this.dropUse(ix, i, n);
  }

  /** Bookkeeping after one of `n`'s inputs changed from `from` to `to`. */
  noteRewired(n: Node, from: string, to: string): void {
    const ix = this.followable(0, n);
    if (!ix) return;
    this.dropUse(ix, from, n);
    this.addUse(ix, to, n);
  }

  /**
   * Every use of `from` in this graph's nodes becomes `to` through the use lists (no scan of the
   * nodes); false when that is not possible here (subgraphs), and the caller scans.
   */
  rewireUses(from: string, to: string): number | undefined {
    const ix = this.followable(0);
    if (!ix) return undefined;
    const users = [...(ix.consumers.get(from) ?? [])];
    let count = 0;
    for (const n of users) {
      for (let i = 0; i < n.inputs.length; i++) {
        if (n.inputs[i] === from) {
          n.inputs[i] = to;
          count++;
        }
      }
      this.dropUse(ix, from, n);
      this.addUse(ix, to, n);
    }
    return count;
  }

  /** The node in this graph that produces `name`, if any. */
  producer(name: string): Node | undefined {
    return this.ix().producer.get(name);
  }

  /** Nodes of this graph that read `name`, directly or inside their subgraphs (each node once). */
  consumers(name: string): Node[] {
    return this.ix().consumers.get(name) ?? [];
  }

  /** True when `name` is defined in this graph (input, initializer or node output). */
  defines(name: string): boolean {
    return this.ix().defined.has(name);
  }

  isOutput(name: string): boolean {
    return this.outputs.some((o) => o.name === name);
  }

  isInput(name: string): boolean {
    return this.inputs.some((o) => o.name === name);
  }

  /** A view of one value (producer, consumers, type, constant). */
  value(name: string): Value {
    return new Value(this, name);
  }

  /** Every value name defined in this graph, in definition order. */
  valueNames(): string[] {
    const out = new Set<string>([...this.inputs.map((v) => v.name), ...this.initializers.keys()]);
    for (const n of this.nodes) for (const o of n.outputs) if (o) out.add(o);
    return [...out];
  }

  /** Names this graph reads but does not define: they come from enclosing scopes. */
  freeNames(): Set<string> {
    const free = new Set<string>();
    const ix = this.ix();
    for (const n of this.nodes) {
      for (const i of n.inputs) if (i && !ix.defined.has(i)) free.add(i);
      for (const g of n.subgraphs()) for (const f of g.freeNames()) if (!ix.defined.has(f)) free.add(f);
    }
    for (const o of this.outputs) if (!ix.defined.has(o.name)) free.add(o.name);
    return free;
  }

  /**
   * The constant value of `name`: an initializer, a `Constant` node's output (PaddleOCR stores
   * weights that way), or either in an enclosing scope. Undefined for computed values.
   */
  constant(name: string): Tensor | undefined {
    const t = this.initializers.get(name);
    if (t && !this.isInput(name)) return t;
    const p = this.producer(name);
    if (p)
      return p.opType === 'Constant' && (p.domain === '' || p.domain === 'ai.onnx')
        ? constantNodeValue(p)
        : undefined;
    if (this.defines(name)) return undefined;
    return this.parent?.constant(name);
  }

  /** Declared type of `name` (value_info, inputs, outputs, initializer, Constant), else undefined. */
  declaredType(name: string): ValueType | undefined {
    for (const l of [this.inputs, this.outputs, this.valueInfo]) {
      const v = l.find((x) => x.name === name);
      if (v?.type) return v.type;
    }
    const c = this.constant(name);
    if (c) return { dtype: c.dtype, shape: [...c.dims] };
    return undefined;
  }

  /**
   * Nodes in dependency order; ties keep file order. Throws a UserError naming a node on a cycle.
   */
  topoOrder(): Node[] {
    const ix = this.ix();
    const pos = new Map<Node, number>(this.nodes.map((n, i) => [n, i]));
    const indeg = new Map<Node, number>();
    const users = new Map<Node, Node[]>();
    for (const n of this.nodes) {
      const deps = new Set<Node>();
      const names = [...n.inputs];
      for (const g of n.subgraphs()) names.push(...g.freeNames());
      for (const i of names) {
        const p = i ? ix.producer.get(i) : undefined;
        if (p && p !== n) deps.add(p);
        else if (p === n) throw cycleError(this, n);
      }
      indeg.set(n, deps.size);
      for (const d of deps) {
        let l = users.get(d);
        if (!l) users.set(d, (l = []));
        l.push(n);
      }
    }
    // ready queue kept sorted by file position (small graphs: a sorted array is fine)
    const ready = this.nodes.filter((n) => indeg.get(n) === 0);
    const out: Node[] = [];
    while (ready.length) {
      const n = ready.shift()!;
      out.push(n);
      for (const u of users.get(n) ?? []) {
        const d = indeg.get(u)! - 1;
        indeg.set(u, d);
        if (d === 0) {
          const p = pos.get(u)!;
          let k = ready.findIndex((r) => pos.get(r)! > p);
          if (k < 0) k = ready.length;
          ready.splice(k, 0, u);
        }
      }
    }
    if (out.length !== this.nodes.length) {
      const stuck = this.nodes.find((n) => indeg.get(n)! > 0)!;
      throw cycleError(this, stuck);
    }
    return out;
  }

  /** Reorder `nodes` topologically in place. */
  sortTopologically(): void {
    this.nodes = this.topoOrder();
    this.touch();
  }

  // ---- edits (see ./edit.ts) ----

  /** Append (or insert before/after a node) a new node; returns it. */
  addNode(init: NodeInit | Node, where?: { before?: Node; after?: Node }): Node {
    return edit.insertNode(this, init instanceof Node ? init : new Node(init), where);
  }

  removeNode(node: Node): void {
    edit.removeNode(this, node);
  }

  /** Point every use of `from` (in nodes and subgraphs) at `to`; graph outputs too if asked. */
  replaceAllUsesWith(from: string, to: string, opts?: { graphOutputs?: boolean }): number {
    return edit.replaceAllUsesWith(this, from, to, opts);
  }

  /** Rename a value everywhere: producer, uses, graph inputs/outputs, value_info, initializer. */
  renameValue(from: string, to: string): void {
    edit.renameValue(this, from, to);
  }

  /** Remove nodes and initializers nothing needs (graph outputs are the roots). */
  sweep(): { nodes: number; initializers: number } {
    return edit.sweep(this);
  }

  /** A value name not used anywhere in this model scope, built from `base`. */
  uniqueName(base: string): string {
    return edit.uniqueName(this, base);
  }

  addInitializer(name: string, tensor: Tensor): void {
    const ix = this.index;
    const fresh = !this.initializers.has(name);
    this.initializers.set(name, tensor);
    if (
      ix &&
      !this.parent &&
      ix.nodes === this.nodes &&
      ix.count === this.nodes.length &&
      ix.inits + (fresh ? 1 : 0) === this.initializers.size &&
      ix.ios === this.inputs.length
    ) {
      ix.inits = this.initializers.size;
      ix.defined.add(name);
    } else this.touch();
  }

  /** The outermost graph. */
  get root(): Graph {
    let g: Graph = this;
    while (g.parent) g = g.parent;
    return g;
  }
}

function cycleError(g: Graph, n: Node): UserError {
  return new UserError(
    `graph '${g.name || 'main'}' has a cycle through node '${n.label}' (${n.opType})`,
    'an ONNX graph must be acyclic: each value must be produced before it is used',
  );
}
