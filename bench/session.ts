// Bench driver: a minimal graph loop over a backend (fusion hook, prepared nodes, reference
// fallback), standing in until the runtime's executor lands.
import type { Backend, GraphNode, PreparedKernel } from '../runtime/backends/backend.ts';
import type { Tensor } from '../runtime/ir/tensor.ts';
import { getOp } from '../runtime/ops/registry.ts';
import { FALLBACK } from './fallback.ts';
import type { LoadedModel } from './model.ts';

export class BenchSession {
  readonly nodes: GraphNode[];
  private readonly kernels: (PreparedKernel | undefined)[];
  private readonly lastUse = new Map<string, number>();
  readonly onBackend: number;

  constructor(
    private readonly model: LoadedModel,
    readonly backend: Backend,
  ) {
    const keep = new Set(model.outputs);
    this.nodes = backend.fuseGraph ? backend.fuseGraph(model.nodes, keep) : model.nodes;
    const ctx = { opset: model.opset };
    this.kernels = this.nodes.map((n) => backend.prepareNode(n, ctx));
    this.onBackend = this.kernels.filter((k) => k !== undefined).length;
    this.nodes.forEach((n, i) => {
      for (const v of n.inputs) this.lastUse.set(v, i);
    });
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const values = new Map<string, Tensor>(Object.entries(feeds));
    const outputs = new Set(this.model.outputs);
    const ctx = { opset: this.model.opset };
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i] as GraphNode;
      const ins = n.inputs.map((v) => (v === '' ? undefined : (values.get(v) ?? this.model.consts.get(v))));
      const k = this.kernels[i];
      let outs: Tensor[];
      if (k) outs = await k(ins);
      else {
        const ref = getOp(n.op, n.domain)?.reference;
        if (ref) outs = await ref(ins, n.attrs, ctx);
        else {
          const fb = FALLBACK[n.op];
          if (!fb) throw new Error(`bench: no kernel for ${n.op} (${n.name})`);
          outs = fb(ins, n.attrs);
        }
      }
      n.outputs.forEach((v, j) => {
        const t = outs[j];
        if (t) values.set(v, t);
      });
      for (const v of n.inputs) if (this.lastUse.get(v) === i && !outputs.has(v)) values.delete(v);
    }
    const res: Record<string, Tensor> = {};
    for (const o of this.model.outputs) res[o] = values.get(o) as Tensor;
    return res;
  }
}
