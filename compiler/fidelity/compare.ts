// Runs two models over the same calibration samples and measures the second against the first.

import type { Tensor } from '../../runtime/ir/tensor.ts';
import { type Fidelity, FidelityMeter } from './metrics.ts';

/** Something that runs a model on feeds (the squish runtime, or onnxruntime in specs). */
export type Runner = (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

export async function measureFidelity(
  reference: Runner,
  candidate: Runner,
  samples: Iterable<Record<string, Tensor>> | AsyncIterable<Record<string, Tensor>>,
  onSample?: (done: number) => void,
): Promise<Fidelity> {
  const meter = new FidelityMeter();
  let n = 0;
  for await (const feeds of samples) {
    meter.add(await reference(feeds), await candidate(feeds));
    onSample?.(++n);
  }
  return meter.result();
}
