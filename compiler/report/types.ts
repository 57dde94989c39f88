// The compile report (ARCHITECTURE.md "Report JSON"): before/after totals, per-layer figures,
// fidelity on the held-apart calibration samples (task metric, interval, what it rests on), targets
// and timings.

import type { Fidelity } from '../fidelity/metrics.ts';
import type { PackReport } from '../pack/report.ts';
import type { SearchReport, SensitivityRow } from '../search/report.ts';

export interface Totals {
  /** Size of the ONNX file in bytes. */
  bytes: number;
  /** Elements of every constant tensor (initializers and Constant-node values). */
  params: number;
  /** Of those, the elements that are not zero. */
  nonzero: number;
  /** Multiply-adds × 2 for one inference at the pinned input shapes (0 where unknown). */
  flops: number;
}

export interface LayerReport {
  name: string;
  op: string;
  actions: string[];
  params_before: number;
  params_after: number;
  bytes_before: number;
  bytes_after: number;
  /** Error the lossy passes introduced on this layer (0 for exact rewrites). */
  error: number;
  /** A node a pass split off this layer (factorize's second factor): the layer it belongs to. */
  part_of?: string;
  /** Search: the value chosen per ranged option, as written (`{ "bits": "4" }`). */
  chosen?: Record<string, string>;
  /** Search: one row per ranged option and candidate (compiler/search/report.ts). */
  sensitivity?: SensitivityRow[];
  /** Search: the unit id when layers took one value together. */
  unit?: string;
}

export interface TargetReport {
  metric: string;
  op: string;
  value: number;
  achieved: number | null;
  met: boolean;
}

/** `target latency`: the model timed in onnxruntime-node (one thread) interleaved with the original. */
export interface LatencyReport {
  original_ms: number;
  compiled_ms: number;
  /** compiled_ms / original_ms. */
  ratio: number;
  /** Timed runs of each model (the medians are reported). */
  runs: number;
  threads: number;
}

/** How close a model's outputs are to its teacher's on some samples (see TrainingReport.agreement). */
export interface TeacherAgreement {
  /** Share of (sample, row) pairs whose arg-max agrees, for class-score outputs; else null. */
  top1: number | null;
  cosine_mean: number;
  /** null when the outputs are identical (infinite SNR). */
  snr_db: number | null;
}

/**
 * One training run (a `distill` or `finetune` statement), in pipeline order. The loss curve has one point every `every` steps (the mean
 * training loss of those steps, with the held-back loss where it was evaluated), so a plot needs
 * nothing else.
 */
export interface TrainingReport {
  kind: 'distill' | 'finetune';
  /** `file:line` of the statement. */
  from: string;
  /**
   * Set where the statement trains in two phases (its layers are weight-pruned and clustered):
   * `before clustering` (each surviving weight) then `after clustering` (the shared centroids).
   */
  phase?: 'before clustering' | 'after clustering';
  /** `original` or the teacher file as the recipe names it; absent when training on labels alone. */
  teacher?: string;
  loss: string;
  steps: number;
  steps_planned: number;
  stopped: 'steps' | 'patience';
  /** The step whose weights the model keeps (the best held-back loss, else the last step). */
  kept_step: number;
  batch: number;
  /** Training samples and the share held back from them (early stopping, the agreement figures). */
  samples: number;
  held_back: number;
  every: number;
  loss_curve: { step: number; loss: number; lr: number; held_back_loss?: number }[];
  time_ms: number;
  /** What executed the training graphs (`onnxruntime`, `squish (cpu)` …). */
  runner: string;
  /** Layers whose weights trained; every other layer stayed frozen. */
  trained_layers: string[];
  frozen_layers: number;
  /** Trained elements: in all, kept at zero by a pruning mask, trained through a fake quantizer, shared codebook entries. */
  weights: { trained: number; masked: number; fake_quantized: number; codebook: number };
  /** Agreement with the teacher (the original model when training on labels) before and after training,
   * on the held-back samples, or on the first training samples (no augmentation) when none are held back. */
  agreement: {
    measured_on: 'held-back' | 'training';
    samples: number;
    before: TeacherAgreement;
    after: TeacherAgreement;
  };
}

/** The report's training section: the last run, and every run in pipeline order when there are several. */
export type TrainingSection = TrainingReport & { runs?: TrainingReport[] };

/** In JSON, an infinite SNR (identical outputs) is written as null. */
export interface Report {
  before: Totals;
  after: Totals;
  layers: LayerReport[];
  fidelity?: Fidelity;
  targets: TargetReport[];
  /** Present when a target bounds latency. */
  latency?: LatencyReport;
  /** Present when the recipe had ranges: what the search tried and chose (compiler/search/report.ts). */
  search?: SearchReport;
  timings_ms: Record<string, number>;
  /** Random calibration data, the fidelity floor, and work the passes skipped and why (one line per
   * layer; the terminal shows one per statement); absent when none. */
  warnings?: string[];
  /** output { format sqz }: where the file's bytes go — per weight layer the Deep Compression stages and
   * bits per weight, the graph's share (compiler/pack/report.ts). */
  pack?: PackReport;
  /** The last training run's figures (the model as it ships); absent when the recipe trains nothing. */
  training?: TrainingSection;
  /** The recipe as compiled: its file name (as `layers[].actions` cite it) and the text of it and of
   * every file it includes, by the same names (the HTML report links statements to layers). */
  recipe?: RecipeSources;
}

export interface RecipeSources {
  file: string;
  sources: Record<string, string>;
}
