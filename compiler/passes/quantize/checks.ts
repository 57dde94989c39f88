// What `squish check --model` and compile find before quantization runs: `method gptq` on a layer
// whose weight it cannot take (a Conv with group N, an N-D MatMul weight).

import { type Diagnostic, diag } from '../../../dsl/diagnostics.ts';
import { findOption } from '../../../dsl/table/index.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { nodesByLayer } from '../../engine/pass.ts';
import type { Plan } from '../../plan/plan.ts';
import { gptqMismatch } from './gptq-layer.ts';
import { weightSettings } from './options.ts';

export function quantizeChecks(model: Model, plan: Plan): Diagnostic[] {
  const g = model.graph;
  const byLayer = nodesByLayer(model);
  const out: Diagnostic[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'quantize-weights');
    const n = byLayer.get(l.name);
    if (!a || !n || !['Conv', 'Gemm', 'MatMul'].includes(n.opType)) continue;
    const s = weightSettings(a);
    const w = g.constant(n.inputs[1] ?? '');
    if (s.method !== 'gptq' || w?.dtype !== 'float32' || g.consumers(n.inputs[1]!).length !== 1) continue;
    const m = gptqMismatch(n, w.dims, s);
    if (m)
      out.push(diag('SQ405', findOption(a.statement.options, 'method')!.values[0]!.span, m.message, m.help));
  }
  return out;
}
