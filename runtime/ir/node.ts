// A graph node: op type, domain, inputs/outputs by value name ('' = absent optional input),
// attributes (ONNX-faithful, with a kernel-facing `attrs` view) and the fields kept for export.

import { type Attribute, type AttrType, attrsView, attrView, makeAttribute } from './attribute.ts';
import type { Graph } from './graph.ts';
import type { Attrs, AttrValue } from './types.ts';

export interface NodeInit {
  op: string;
  inputs?: string[];
  outputs?: string[];
  name?: string;
  domain?: string;
  /** Kernel-style values; types inferred (see makeAttribute) — or pass Attribute objects. */
  attrs?: Record<string, AttrValue | Graph | Graph[] | Attribute>;
  docString?: string;
}

export class Node {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
  docString?: string;
  /** Protobuf fields squish does not interpret (overload, metadata_props, unknown fields …). */
  extra: Record<string, unknown> = {};
  /** The graph that holds this node (set by Graph when the node is added). */
  graph?: Graph;

  constructor(init: NodeInit) {
    this.opType = init.op;
    this.domain = init.domain ?? '';
    this.name = init.name ?? '';
    this.inputs = [...(init.inputs ?? [])];
    this.outputs = [...(init.outputs ?? [])];
    this.docString = init.docString;
    this.attributes = [];
    for (const [k, v] of Object.entries(init.attrs ?? {})) {
      this.attributes.push(isAttribute(v) ? { ...v, name: k } : makeAttribute(k, v));
    }
  }

  /** Attributes as kernels see them (ints → number[], strings decoded, graph → Graph). */
  get attrs(): Attrs {
    return attrsView(this.attributes); // computed each time: never stale after hand edits
  }

  attr(name: string): AttrValue | Graph | Graph[] {
    const a = this.attribute(name);
    return a ? attrView(a) : undefined;
  }

  attribute(name: string): Attribute | undefined {
    return this.attributes.find((a) => a.name === name);
  }

  /** Set (or add) an attribute; the ONNX type is inferred unless given (see makeAttribute). */
  setAttr(name: string, value: AttrValue | Graph | Graph[], type?: AttrType): this {
    const a = makeAttribute(name, value, type);
    const i = this.attributes.findIndex((x) => x.name === name);
    if (i >= 0) this.attributes[i] = { ...this.attributes[i], ...a };
    else this.attributes.push(a);
    this.attrsChanged();
    return this;
  }

  removeAttr(name: string): boolean {
    const i = this.attributes.findIndex((x) => x.name === name);
    if (i < 0) return false;
    this.attributes.splice(i, 1);
    this.attrsChanged();
    return true;
  }

  /** Call after editing `attributes` directly. */
  attrsChanged(): void {
    this.graph?.touch();
  }

  /** Set input `i` to value `name` (keeps the graph's use lists right). */
  setInput(i: number, name: string): void {
    const from = this.inputs[i] ?? '';
    this.inputs[i] = name;
    this.graph?.noteRewired(this, from, name);
  }

  setOutput(i: number, name: string): void {
    this.outputs[i] = name;
    this.graph?.touch();
  }

  /** Subgraphs held in GRAPH/GRAPHS attributes (If branches, Loop/Scan bodies). */
  subgraphs(): Graph[] {
    const out: Graph[] = [];
    for (const a of this.attributes) {
      if (a.type === 'GRAPH' && a.value) out.push(a.value as Graph);
      else if (a.type === 'GRAPHS' && Array.isArray(a.value)) out.push(...(a.value as Graph[]));
    }
    return out;
  }

  /** Short human label: name, or op type with first output. */
  get label(): string {
    return this.name || `${this.opType}(${this.outputs[0] ?? ''})`;
  }
}

function isAttribute(v: unknown): v is Attribute {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v && 'name' in v && !('dtype' in v);
}
