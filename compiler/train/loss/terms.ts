// Loss terms as graph blocks appended to the forward graph: mse, l1, cosine, kl with temperature,
// cross-entropy on class indices (fed one-hot), and sum (of every element, for `squish grad`). Each
// term reads a model value and, where it compares, a target fed as a new graph input; the weighted
// sum of the terms is the scalar loss. ctc is not a block: see ./ctc.ts.

import type { Graph } from '../../../runtime/ir/graph.ts';
import type { Emitter } from '../graph/emitter.ts';

export type LossKind = 'mse' | 'l1' | 'cosine' | 'kl' | 'cross-entropy' | 'ctc' | 'sum';
export const LOSS_KINDS: readonly LossKind[] = ['mse', 'l1', 'cosine', 'kl', 'cross-entropy', 'ctc', 'sum'];

export interface LossTerm {
  kind: LossKind;
  /** The model value the term reads (a graph output or an inner value, for hint losses); default: the first output. */
  value?: string;
  /** What it is compared with: the teacher's value of the same name, or the sample's label. */
  target?: 'teacher' | 'label';
  /** Weight in the sum (default 1). */
  weight?: number;
  /** kl: the softmax temperature (default 1); the term is scaled by T² as in Hinton et al. */
  temperature?: number;
  /** ctc: the blank class (default 0). */
  blank?: number;
}

/** A graph input the loop must feed for a term: the teacher's value, or the labels as one-hot / tensor. */
export interface TargetFeed {
  input: string;
  source: 'teacher' | 'label-onehot' | 'label';
  /** teacher: which teacher value (same name as the student's); label-onehot: the class axis size. */
  value: string;
  shape: number[];
}

/** Where the class scores of a value are logits: the input of the Softmax that produced it, if any. */
export function logitsOf(graph: Graph, value: string): { logits: string; fromSoftmax: boolean } {
  const p = graph.producer(value);
  if (p?.opType === 'Softmax' && (p.domain === '' || p.domain === 'ai.onnx'))
    return { logits: p.inputs[0]!, fromSoftmax: true };
  return { logits: value, fromSoftmax: false };
}

function mean(e: Emitter, v: string): string {
  const s = e.shape(v);
  const all = s.map((_, i) => i);
  return e.reshape(e.scale(e.sum(v, all), 1 / s.reduce((p, d) => p * d, 1)), []);
}

function addInput(graph: Graph, e: Emitter, base: string, shape: number[]): string {
  const name = e.fresh(base);
  graph.inputs.push({ name, type: { dtype: 'float32', shape: [...shape] } });
  graph.touch();
  e.declare(name, shape);
  return name;
}

/** log-softmax over the last axis of logits scaled by 1/T. */
function logSoftmax(e: Emitter, logits: string, temperature: number): string {
  const scaled = e.scale(logits, 1 / temperature);
  return e.op('LogSoftmax', [scaled], e.shape(scaled), { axis: -1 });
}

/** Emit one term; returns its scalar value and the targets to feed. */
export function emitTerm(
  graph: Graph,
  e: Emitter,
  term: LossTerm,
  value: string,
): { loss: string; feeds: TargetFeed[] } {
  const shape = e.shape(value);
  const feeds: TargetFeed[] = [];
  const target = (source: TargetFeed['source'], tshape: number[], base: string) => {
    const input = addInput(graph, e, base, tshape);
    feeds.push({ input, source, value, shape: tshape });
    return input;
  };
  const defaultSource = term.target === 'label' ? 'label' : 'teacher';
  switch (term.kind) {
    case 'sum':
      return {
        loss: e.reshape(
          e.sum(
            value,
            shape.map((_, i) => i),
          ),
          [],
        ),
        feeds,
      };
    case 'mse': {
      const d = e.sub(value, target(defaultSource, shape, 'target'));
      return { loss: mean(e, e.mul(d, d)), feeds };
    }
    case 'l1':
      return { loss: mean(e, e.unary('Abs', e.sub(value, target(defaultSource, shape, 'target')))), feeds };
    case 'cosine': {
      const t = target(defaultSource, shape, 'target');
      const rows = shape[0] ?? 1;
      const flat = (v: string) => e.reshape(v, [rows, shape.slice(1).reduce((p, d) => p * d, 1)]);
      const [a, b] = [flat(value), flat(t)];
      const dot = e.sum(e.mul(a, b), [1]);
      const norms = e.unary('Sqrt', e.mul(e.sum(e.mul(a, a), [1]), e.sum(e.mul(b, b), [1])));
      const cos = e.div(dot, e.add(norms, e.scalar(1e-12)));
      return { loss: mean(e, e.sub(e.scalar(1), cos)), feeds };
    }
    case 'kl': {
      const T = term.temperature ?? 1;
      const { logits, fromSoftmax } = logitsOf(graph, value);
      const t = target('teacher', shape, 'teacher');
      // a probability target becomes log-probabilities: softmax(log p / T) = softmax(z / T)
      const teacherLogits = fromSoftmax ? e.unary('Log', e.op('Max', [t, e.scalar(1e-30)], shape)) : t;
      const logQ = logSoftmax(e, teacherLogits, T);
      const logP = logSoftmax(e, logits, T);
      const q = e.unary('Exp', logQ);
      const kl = e.sum(e.mul(q, e.sub(logQ, logP)), [shape.length - 1]);
      return { loss: e.scale(mean(e, kl), T * T), feeds };
    }
    case 'cross-entropy': {
      const { logits } = logitsOf(graph, value);
      const onehot = target('label-onehot', shape, 'labels');
      const logP = logSoftmax(e, logits, 1);
      const nll = e.neg(e.sum(e.mul(onehot, logP), [shape.length - 1]));
      return { loss: mean(e, nll), feeds };
    }
    case 'ctc':
      throw new Error('ctc is computed outside the graph (loss/ctc.ts)');
  }
}
