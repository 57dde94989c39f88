// The metric API: score a candidate model against the original on given samples — the task metric
// with its 95% interval, plus cosine/SNR. The reference may be a runner or its outputs run once
// (a search scores many candidates against one original).

import type { Tensor } from '../../runtime/ir/tensor.ts';
import { type Fidelity, FidelityMeter, type MetricOptions } from './metrics.ts';

export type Outputs = Record<string, Tensor>;

/** Something that runs a model on feeds (the squish runtime, or onnxruntime in specs). */
export type Runner = (feeds: Record<string, Tensor>) => Promise<Outputs>;

export interface MeasureOptions extends MetricOptions {
  /** Called after each sample with how many are done. */
  onSample?: (done: number) => void;
  /** Called with each sample's index and both models' outputs (e.g. to score them against labels). */
  onPair?: (index: number, reference: Outputs, candidate: Outputs) => void;
}

/** A runner's outputs on every sample, in order (to score many candidates against one reference). */
export async function runSamples(
  runner: Runner,
  samples: Iterable<Record<string, Tensor>> | AsyncIterable<Record<string, Tensor>>,
  onSample?: (done: number) => void,
): Promise<Outputs[]> {
  const out: Outputs[] = [];
  for await (const feeds of samples) {
    out.push(await runner(feeds));
    onSample?.(out.length);
  }
  return out;
}

/**
 * Fidelity of `candidate` against `reference` on `samples`: the task metric (`value`, `interval`,
 * `agreement`), cosine, max abs and SNR. `reference` is a runner, or its outputs on the same samples.
 */
export async function measureFidelity(
  reference: Runner | readonly Outputs[],
  candidate: Runner,
  samples: Iterable<Record<string, Tensor>> | AsyncIterable<Record<string, Tensor>>,
  options: MeasureOptions = {},
): Promise<Fidelity> {
  const meter = new FidelityMeter(options);
  let n = 0;
  for await (const feeds of samples) {
    const ref = typeof reference === 'function' ? await reference(feeds) : reference[n];
    if (!ref) throw new Error(`reference outputs for ${reference.length} samples, but sample ${n + 1} came`);
    const cand = await candidate(feeds);
    meter.add(ref, cand);
    options.onPair?.(n, ref, cand);
    options.onSample?.(++n);
  }
  if (typeof reference !== 'function' && n !== reference.length)
    throw new Error(`reference outputs for ${reference.length} samples, but ${n} samples came`);
  return meter.result();
}
