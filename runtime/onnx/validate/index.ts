// Model validation on import, as the ONNX checker (and onnxruntime at load) does it: node names
// unique, each known op with the number of inputs and outputs it takes and attributes of the right
// type, and shapes that agree (weights that fit their input, windows that fit, operands that
// broadcast). The first problem is one UserError naming the node. Ops squish does not know (custom
// domains, newer ops) pass through unchecked.

import { UserError } from '../../errors.ts';
import type { Graph } from '../../ir/graph.ts';
import type { Model } from '../../ir/model.ts';
import type { Node } from '../../ir/node.ts';
import { type Dim, inferShapes } from '../../ir/shape/index.ts';
import type { Tensor } from '../../ir/tensor.ts';
import { SCHEMAS } from './schemas.ts';
import { SHAPE_CHECKS } from './shapes.ts';

const HELP = 'onnxruntime refuses this model too; fix the model (or its exporter) and export it again';

function nodeError(where: string, n: Node, problem: string): UserError {
  return new UserError(`${where}: node '${n.label}' (${n.opType}): ${problem}`, HELP);
}

function* graphsOf(g: Graph): Generator<Graph> {
  yield g;
  for (const n of g.nodes) for (const sg of n.subgraphs()) yield* graphsOf(sg);
}

/** Node names are unique in the model: recipes, reports and diagnostics address layers by name. */
function checkUniqueNames(root: Graph, where: string): void {
  const seen = new Map<string, Node>();
  for (const g of graphsOf(root)) {
    for (const n of g.nodes) {
      if (!n.name) continue;
      const first = seen.get(n.name);
      if (first)
        throw new UserError(
          `${where}: two nodes are named '${n.name}' (${first.opType} and ${n.opType})`,
          'node names must be unique (recipes select layers by name); rename one and export the model again',
        );
      seen.set(n.name, n);
    }
  }
}

function isDefaultDomain(n: Node): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}

function range([lo, hi]: [number, number]): string {
  return lo === hi ? `${lo}` : hi === Number.POSITIVE_INFINITY ? `at least ${lo}` : `${lo} to ${hi}`;
}

/** Arity and attribute types of one node against its schema; a message or undefined. */
function checkSchema(n: Node): string | undefined {
  const s = SCHEMAS[n.opType];
  if (!s) return undefined;
  const [minIn, maxIn] = s.inputs;
  const given = n.inputs.length;
  if (given > maxIn || n.inputs.slice(0, minIn).filter(Boolean).length < minIn)
    return `it has ${n.inputs.filter(Boolean).length} inputs, ${n.opType} takes ${range(s.inputs)}`;
  if (n.outputs.length < s.outputs[0] || n.outputs.length > s.outputs[1])
    return `it has ${n.outputs.length} outputs, ${n.opType} gives ${range(s.outputs)}`;
  for (const a of n.attributes) {
    const want = s.attrs[a.name];
    if (want && !a.refAttrName && a.type !== want)
      return `attribute '${a.name}' is ${a.type}, ${n.opType} takes ${want}`;
  }
  return undefined;
}

interface ValidateOptions {
  /** Default-domain opset of the model. */
  opset: number;
  /** Concrete input shapes (a run's feeds) to check against, over the declared ones. */
  inputShapes?: Record<string, Dim[]>;
}

/** Shapes that agree, node by node, at the declared (or given) input shapes. */
function checkGraphShapes(g: Graph, where: string, opts: ValidateOptions): void {
  let types: Map<string, import('../../ir/types.ts').ValueType>;
  try {
    types = inferShapes(g, { opset: opts.opset, inputShapes: opts.inputShapes }).types;
  } catch {
    return; // inference trouble is reported where it matters (planning, running)
  }
  for (const n of g.nodes) {
    const check = isDefaultDomain(n) ? SHAPE_CHECKS[n.opType] : undefined;
    if (!check) continue;
    const problem = check(
      n,
      n.inputs.map((i) => (i ? types.get(i) : undefined)),
      n.outputs.map((o) => (o ? types.get(o) : undefined)),
    );
    if (problem) throw nodeError(where, n, problem);
  }
}

/** Validate an imported model; throws a UserError naming the first bad node. */
export function validateModel(model: Model, where: string): void {
  checkUniqueNames(model.graph, where);
  const opset = model.opset('') ?? 1;
  for (const g of graphsOf(model.graph)) {
    for (const n of g.nodes) {
      const problem = isDefaultDomain(n) ? checkSchema(n) : undefined;
      if (problem) throw nodeError(where, n, problem);
    }
  }
  checkGraphShapes(model.graph, where, { opset });
}

/**
 * Before a run of a graph with dynamic inputs: the same shape checks at the fed sizes, once per
 * distinct set of sizes (`seen` remembers them), so a window larger than the input is a model error
 * before any kernel is built for it.
 */
export function checkFedShapes(
  g: Graph,
  feeds: ReadonlyMap<string, Tensor>,
  opset: number,
  seen: Set<string>,
): void {
  const fixed = (i: Graph['inputs'][number]) =>
    i.type?.shape?.every((d) => typeof d === 'number' && d >= 0) ?? false;
  const dynamic = g.inputs.filter((i) => feeds.has(i.name) && !fixed(i) && !g.initializers.has(i.name));
  if (!dynamic.length) return;
  const shapes = Object.fromEntries(dynamic.map((i) => [i.name, [...feeds.get(i.name)!.dims]]));
  const key = JSON.stringify(shapes);
  if (seen.has(key)) return;
  const at = Object.entries(shapes)
    .map(([k, v]) => `${k} [${v.join(', ')}]`)
    .join(', ');
  checkGraphShapes(g, `at input ${at}`, { opset, inputShapes: shapes });
  if (seen.size < 64) seen.add(key);
}
