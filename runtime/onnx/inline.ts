// Inline model-local functions (FunctionProto): each call becomes the function's body with fresh
// value names, attribute references (ref_attr_name) resolved from the call or the defaults. After
// this, shape inference, stats and passes see ordinary nodes.

import { UserError } from '../errors.ts';
import type { Attribute } from '../ir/attribute.ts';
import type { Graph } from '../ir/graph.ts';
import type { Model } from '../ir/model.ts';
import type { Node } from '../ir/node.ts';
import type { Msg } from './codec.ts';
import { importAttribute, importNode } from './import.ts';

const key = (domain: string, name: string, overload = '') => `${domain}\u0000${name}\u0000${overload}`;

function substitute(body: Node, call: Node, defaults: Map<string, Attribute>): void {
  const out: Attribute[] = [];
  for (const a of body.attributes) {
    if (a.refAttrName === undefined) {
      out.push(a);
      continue;
    }
    const given = call.attribute(a.refAttrName) ?? defaults.get(a.refAttrName);
    if (given) out.push({ ...given, name: a.name, refAttrName: undefined });
  }
  body.attributes = out;
}

function inlineIn(g: Graph, model: Model, fns: Map<string, Msg>, used: Set<string>, depth: number): number {
  let count = 0;
  for (const n of [...g.nodes]) {
    for (const sg of n.subgraphs()) count += inlineIn(sg, model, fns, used, depth);
    const k = key(n.domain, n.opType, (n.extra.overload as string | undefined) ?? '');
    const fn = fns.get(k);
    if (!fn) continue;
    if (depth > 16) throw new UserError(`function '${n.opType}' calls itself (inlining stopped at depth 16)`);
    used.add(k);
    const formalIn = (fn.input as string[] | undefined) ?? [];
    const formalOut = (fn.output as string[] | undefined) ?? [];
    const rename = new Map<string, string>();
    for (const [i, f] of formalIn.entries()) rename.set(f, n.inputs[i] ?? '');
    for (const [i, f] of formalOut.entries()) rename.set(f, n.outputs[i] ?? '');
    const where = `function '${n.opType}' called by node '${n.label}'`;
    const defaults = new Map(
      ((fn.attribute_proto as Msg[] | undefined) ?? []).map((a) => {
        const attr = importAttribute(a, g, where, {});
        return [attr.name, attr] as const;
      }),
    );
    const prefix = n.name || n.outputs[0] || n.opType;
    const bodyNodes = ((fn.node as Msg[] | undefined) ?? []).map((m) => importNode(m, g, where, {}));
    const fresh = (name: string) => {
      if (!name) return '';
      let r = rename.get(name);
      if (r === undefined) {
        r = g.uniqueName(`${prefix}/${name}`);
        rename.set(name, r);
      }
      return r;
    };
    for (const b of bodyNodes) {
      b.inputs = b.inputs.map(fresh);
      b.outputs = b.outputs.map(fresh);
      if (b.name) b.name = `${prefix}/${b.name}`;
      substitute(b, n, defaults);
    }
    const at = g.nodes.indexOf(n);
    g.nodes.splice(at, 1, ...bodyNodes);
    for (const b of bodyNodes) b.graph = g;
    g.touch();
    for (const o of (fn.opset_import as Msg[] | undefined) ?? []) {
      const d = (o.domain as string | undefined) ?? '';
      if (model.opset(d) === undefined) model.setOpset(d, Number(o.version));
    }
    count++;
  }
  return count;
}

/** Inline every call of a model-local function; drops functions no longer called. Returns calls inlined. */
export function inlineFunctions(model: Model): number {
  const list = (model.extra.functions as Msg[] | undefined) ?? [];
  if (!list.length) return 0;
  const fns = new Map(
    list.map((f) => [
      key((f.domain as string) ?? '', (f.name as string) ?? '', (f.overload as string) ?? ''),
      f,
    ]),
  );
  const used = new Set<string>();
  let total = 0;
  for (let depth = 0; ; depth++) {
    const n = inlineIn(model.graph, model, fns, used, depth);
    total += n;
    if (n === 0) break;
  }
  model.extra.functions = list.filter(
    (f) => !used.has(key((f.domain as string) ?? '', (f.name as string) ?? '', (f.overload as string) ?? '')),
  );
  if (!(model.extra.functions as Msg[]).length) delete model.extra.functions;
  return total;
}
