// Measuring one candidate against the original on the fitting samples: the reference model runs
// once per sample; a candidate is either the reference with some weights replaced (the weights are
// graph inputs of one onnxruntime session, so a layer alone changed costs one run per sample) or a
// model of its own (a layer whose computation changed shape: channels, factors). The error is the
// relative output noise Σ(y − ŷ)² / Σy² (on the logits where the model ends in a Softmax);
// agreement is the share of rows whose arg-max agrees, for class-score outputs.

import type { Graph } from '../../runtime/ir/graph.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Sample } from '../data/calibration.ts';
import { FidelityMeter } from '../fidelity/metrics.ts';
import type { GraphRunner, RunnerFactory } from '../train/runner.ts';

/** What runs models for a search. */
export interface SearchEngine {
  /** Sessions on models (onnxruntime handed in by the host, or squish's runtime). */
  open: RunnerFactory;
  /** Whether weights may be fed as graph inputs of one session (onnxruntime: yes). */
  overrides: boolean;
  /** A clock in milliseconds for latency: CPU time of the process where the host has one. */
  clock: () => number;
}

export interface CandidateScore {
  /** Relative output noise power Σ(y − ŷ)² / Σy² over every output and fitting sample. */
  error: number;
  /** Share of agreeing arg-max rows (class-score outputs), else undefined. */
  agreement?: number;
}

export interface Probe {
  /** The reference with these float constants replaced (by name). */
  withTensors(tensors: ReadonlyMap<string, Tensor>): Promise<CandidateScore>;
  /** A model of its own, same inputs and outputs as the reference. */
  withModel(model: Model): Promise<CandidateScore>;
  release(): Promise<void>;
  /** Runs so far (samples × candidates). */
  runs: number;
}

function score(reference: Record<string, Tensor>[], outputs: Record<string, Tensor>[]): CandidateScore {
  const meter = new FidelityMeter();
  reference.forEach((r, i) => {
    meter.add(r, outputs[i]!);
  });
  const f = meter.result();
  const error = Number.isFinite(f.snr_db) ? 10 ** (-f.snr_db / 10) : 0;
  return {
    error: Number.isNaN(error) ? Number.POSITIVE_INFINITY : error,
    ...(f.agreement === null ? {} : { agreement: f.agreement }),
  };
}

/**
 * Scores are taken before a closing Softmax (the logits): probabilities near 0 or 1 hide how far a
 * layer moved the decision, so their noise says little about the change a whole model will add up to.
 */
function logitsOut(model: Model): Model {
  const g = model.graph;
  g.outputs = g.outputs.map((o) => {
    const p = g.producer(o.name);
    return p?.opType === 'Softmax' && p.inputs[0] ? { name: p.inputs[0], type: o.type } : o;
  });
  g.touch();
  return model;
}

/**
 * `name`'s constant made a graph input (onnxruntime takes feeds only for declared inputs, and
 * PaddleOCR stores weights as Constant nodes); returns its value, the feed it needs by default.
 */
function asInput(g: Graph, name: string): Tensor | undefined {
  const t = g.constant(name);
  if (!t) return undefined;
  const p = g.producer(name);
  if (p) g.removeNode(p);
  g.initializers.delete(name);
  g.inputs.push({ name, type: { dtype: t.dtype, shape: [...t.dims] } });
  g.touch();
  return t;
}

/**
 * A probe on `reference` over `samples`; `overridable` names the float initializers candidates may
 * replace (made graph inputs of a copy, fed their own values unless a candidate replaces them).
 */
export async function openProbe(
  engine: SearchEngine,
  reference: Model,
  overridable: readonly string[],
  samples: readonly Sample[],
  copy: (m: Model) => Model,
): Promise<Probe> {
  const fed = logitsOut(copy(reference));
  const defaults: Record<string, Tensor> = {};
  if (engine.overrides)
    for (const name of overridable) {
      const t = asInput(fed.graph, name);
      if (t) defaults[name] = t;
    }
  const session: GraphRunner = await engine.open(fed);
  const refOut: Record<string, Tensor>[] = [];
  for (const s of samples) refOut.push(await session.run({ ...defaults, ...s }));
  const probe: Probe = {
    runs: samples.length,
    async withTensors(tensors) {
      if (!engine.overrides) {
        const m = copy(reference);
        for (const [name, t] of tensors) {
          const p = m.graph.producer(name);
          if (p) m.graph.removeNode(p);
          m.graph.initializers.set(name, t);
        }
        m.graph.touch();
        return probe.withModel(m);
      }
      const outs: Record<string, Tensor>[] = [];
      for (const s of samples)
        outs.push(await session.run({ ...defaults, ...s, ...Object.fromEntries(tensors) }));
      probe.runs += samples.length;
      return score(refOut, outs);
    },
    async withModel(model) {
      const own = await engine.open(logitsOut(copy(model)));
      try {
        const outs: Record<string, Tensor>[] = [];
        for (const s of samples) outs.push(await own.run(s));
        probe.runs += samples.length;
        return score(refOut, outs);
      } finally {
        await own.release();
      }
    },
    release: () => session.release(),
  };
  return probe;
}
