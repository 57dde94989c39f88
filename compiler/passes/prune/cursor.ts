// Walks the calibration samples through a model a few values at a time, keeping per sample only the
// values some node not yet run still reads: asking for the inputs of layer after layer costs about
// one forward pass in all, even when the weights upstream change between the steps (sequential
// calibration: each layer sees the inputs of the model with the earlier layers already pruned).

import type { Model } from '../../../runtime/ir/model.ts';
import type { Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';

type Session = Awaited<ReturnType<typeof import('../../../runtime/exec/index.ts').createSession>>;

export class SampleCursor {
  private readonly envs: Map<string, Tensor>[];
  /** Values computed (or given) so far: a node ran when one of its outputs is here. */
  private readonly seen = new Set<string>();
  private session?: Session;

  /**
   * `frozen`: the model never changes, so one session serves every step; otherwise every step
   * plans a fresh session over the model as it is then.
   */
  constructor(
    private readonly model: Model,
    samples: Sample[],
    private readonly frozen = false,
  ) {
    this.envs = samples.map((s) => new Map(Object.entries(s)));
    for (const s of samples) for (const k of Object.keys(s)) this.seen.add(k);
  }

  /** Per sample, the values `names` (computed from what is kept, then kept while still needed). */
  async walk(names: string[]): Promise<Tensor[][]> {
    const { createSession } = await import('../../../runtime/exec/index.ts');
    const session =
      this.frozen && this.session ? this.session : await createSession(this.model, { backend: 'cpu' });
    if (this.frozen) this.session = session;
    const out: Tensor[][] = [];
    try {
      for (const env of this.envs) {
        const fresh = new Map<string, Tensor>();
        const got = await session.runSubgraph(Object.fromEntries(env), names, {
          onValue: (n, t) => {
            if (!env.has(n)) fresh.set(n, t);
          },
        });
        for (const [n, t] of fresh) env.set(n, t);
        out.push(names.map((n) => got[n] ?? env.get(n)!));
      }
    } finally {
      if (!this.frozen) session.dispose();
    }
    for (const env of this.envs) for (const n of env.keys()) this.seen.add(n);
    this.forget();
    return out;
  }

  /** Drops the values whose every reader has run (graph outputs are not needed either). */
  private forget(): void {
    const g = this.model.graph;
    const done = (n: string) => {
      const readers = g.consumers(n);
      return readers.every((r) => r.outputs.some((o) => o && this.seen.has(o)));
    };
    for (const env of this.envs) for (const n of [...env.keys()]) if (done(n)) env.delete(n);
  }

  dispose(): void {
    this.session?.dispose();
    this.session = undefined;
  }
}
