// The forward half of a training graph: a copy of the model at opset ≥ 17 with its float Constant
// nodes turned into initializers (PaddleOCR keeps weights that way), static shapes for one input
// shape, and the float constants that can train (with what each is, so callers choose).

import { UserError } from '../../../runtime/errors.ts';
import type { DType } from '../../../runtime/ir/dtype.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { cloneModel } from '../../../runtime/onnx/clone.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import { gradRule } from '../grad/registry.ts';
import { differentiable, type WeightRole } from '../grad/rule.ts';

export const TRAINING_OPSET = 17;

/** A float constant that can train: its name, shape and what it is. */
export interface WeightInfo {
  name: string;
  shape: number[];
  /** 'scalar' for one-element constants of pointwise ops (hard-swish's 3 and 6, learnable affines). */
  role: WeightRole | 'scalar';
}

export interface PreparedForward {
  model: Model;
  types: Map<string, { shape: number[]; dtype: DType }>;
  weights: WeightInfo[];
}

const FLOAT = new Set<DType>(['float32']);

/** Copy, upgrade and type the model for training on inputs of the given shapes. */
export function prepareForward(
  source: Model,
  inputShapes: Record<string, readonly number[]>,
): PreparedForward {
  const model = cloneModel(source);
  const opset = model.opset('') ?? TRAINING_OPSET;
  if (opset < TRAINING_OPSET) upgradeOpset(model, TRAINING_OPSET);
  const g = model.graph;
  for (const n of [...g.nodes]) {
    if (n.opType !== 'Constant' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const t = g.constant(n.outputs[0]!);
    if (!t || !FLOAT.has(t.dtype) || g.isOutput(n.outputs[0]!)) continue;
    g.removeNode(n);
    g.addInitializer(n.outputs[0]!, t);
  }
  const shapes: Record<string, number[]> = {};
  for (const i of g.inputs) {
    if (g.initializers.has(i.name)) continue;
    const given = inputShapes[i.name];
    const declared = i.type?.shape;
    if (given) shapes[i.name] = [...given];
    else if (declared?.every((d) => typeof d === 'number')) shapes[i.name] = declared as number[];
    else
      throw new UserError(
        `training needs a fixed shape for input '${i.name}' (it is [${(declared ?? ['?']).join(', ')}])`,
        'give samples for every input (their shapes fix the training graph)',
      );
  }
  const inferred = inferShapes(g, { inputShapes: shapes, opset: model.opset('') });
  const types = new Map<string, { shape: number[]; dtype: DType }>();
  for (const [name, t] of inferred.types) {
    if (t.shape?.every((d) => typeof d === 'number'))
      types.set(name, { shape: t.shape as number[], dtype: t.dtype });
  }
  for (const n of g.nodes)
    for (const o of n.outputs)
      if (o && !types.has(o))
        throw new UserError(
          `training needs static shapes, but value '${o}' (output of ${n.opType} '${n.label}') has none for inputs ${JSON.stringify(shapes)}`,
          inferred.problems.length ? `shape inference said: ${inferred.problems[0]!.message}` : undefined,
        );
  return { model, types, weights: weightInfos(model, types) };
}

function weightInfos(model: Model, types: Map<string, { shape: number[]; dtype: DType }>): WeightInfo[] {
  const g = model.graph;
  // only constants that can reach an output matter
  const reaches = new Set(g.outputs.map((o) => o.name));
  const order = g.topoOrder();
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k]!;
    if (n.outputs.some((o) => reaches.has(o))) for (const i of n.inputs) if (i) reaches.add(i);
  }
  const out: WeightInfo[] = [];
  for (const [name, t] of g.initializers) {
    if (!FLOAT.has(t.dtype) || g.isInput(name) || !reaches.has(name)) continue;
    let role: WeightInfo['role'] | undefined;
    for (const n of g.consumers(name)) {
      if (n.opType === 'QuantizeLinear') {
        // a fake quantizer's float input trains (its DequantizeLinear carries the rule)
        if (n.inputs[0] === name) role ??= 'parameter';
        if (n.inputs[1] === name) role = 'quant-scale';
        continue;
      }
      const rule = gradRule(n.opType, n.domain);
      if (!rule) continue;
      n.inputs.forEach((v, i) => {
        if (v !== name || !differentiable(rule, i)) return;
        const r = rule.roles?.[i] ?? 'parameter';
        if (role !== 'quant-scale') role = r;
      });
    }
    if (!role) continue;
    const shape = types.get(name)?.shape ?? [...t.dims];
    if (role === 'parameter' && t.data.length === 1) role = 'scalar';
    out.push({ name, shape, role });
  }
  return out;
}
