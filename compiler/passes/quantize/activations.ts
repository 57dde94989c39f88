// Static activation quantization (QDQ): the data inputs and outputs of the selected Conv/Gemm/MatMul
// are calibrated on ctx.samples through the executor, then each gets QuantizeLinear → DequantizeLinear,
// so onnxruntime fuses QLinearConv/QLinearMatMul. Biases stay float: onnxruntime 1.30 fuses DQ→Conv(float
// bias)→Q and quantizes the bias itself; an int32 bias would need a stored x_scale·w_scale per channel.

import type { Model } from '../../../runtime/ir/model.ts';
import type { Node } from '../../../runtime/ir/node.ts';
import { float32, makeTensor, type Tensor } from '../../../runtime/ir/tensor.ts';
import type { Sample } from '../../data/calibration.ts';
import { nodesByLayer, type Pass, type PassContext, withParts } from '../../engine/pass.ts';
import { upgradeOpset } from '../../opset/convert.ts';
import type { Plan } from '../../plan/plan.ts';
import { activationParams, calibrateRange, quantizationSnr, RangeCollector } from './calibrate.ts';
import { FLOOR_SNR_DB, MAX_GROWTH, measuredCandidates, type QdqChoice } from './guard.ts';
import { type ActivationSettings, activationSettings } from './options.ts';
import type { SliceParams } from './uniform.ts';

/**
 * Values whose estimated signal-to-quantization-noise ratio on the calibration data is below this
 * stay float (PP-OCRv4 det: the stem's depthwise output, ±89 with most mass near 0, alone takes the
 * text-map IoU from 0.99 to 0.61 at 23.3 dB).
 */
export const MIN_SNR_DB = 25;

/** The value a node's output is quantized at: past a sole Relu consumer (onnxruntime then drops the Relu). */
function outputPoint(model: Model, n: Node): string | undefined {
  const g = model.graph;
  let t = n.outputs[0];
  if (!t || g.isOutput(t)) return undefined;
  const users = g.consumers(t);
  if (users.length === 1 && users[0]!.opType === 'Relu' && !g.isOutput(users[0]!.outputs[0]!)) {
    t = users[0]!.outputs[0]!;
  }
  return t;
}

/** Why a layer cannot take quantized activations, or the values to quantize (inputs first). */
export function activationPoints(model: Model, n: Node): string | { inputs: string[]; output?: string } {
  const g = model.graph;
  if (n.opType !== 'Conv' && n.opType !== 'Gemm' && n.opType !== 'MatMul') {
    return `${n.opType} has no quantized kernel (Conv, Gemm and MatMul do)`;
  }
  const inputs: string[] = [];
  for (const i of [0, 1]) {
    const v = n.inputs[i] ?? '';
    if (!v) return 'an input is missing';
    const p = g.producer(v);
    if (p?.opType === 'DequantizeLinear') continue; // a quantized weight or an already quantized activation
    if (g.constant(v)) {
      return i === 1
        ? 'its weight is float: quantize its weights too (quantize weights of …)'
        : 'its data input is a constant';
    }
    if (g.declaredType(v)?.dtype && g.declaredType(v)?.dtype !== 'float32') return 'input is not float32';
    inputs.push(v);
  }
  return { inputs, output: outputPoint(model, n) };
}

/** Streams every sample through the executor and collects the ranges of `names`. */
export async function collectRanges(
  model: Model,
  names: string[],
  samples: Sample[],
  progress?: (done: number, total: number) => void,
): Promise<Map<string, RangeCollector>> {
  const { createSession } = await import('../../../runtime/exec/index.ts');
  const out = new Map(names.map((n) => [n, new RangeCollector(2048)]));
  const observe = names.filter((n) => !model.graph.isInput(n));
  const session = await createSession(model, { observe });
  try {
    for (const [i, feeds] of samples.entries()) {
      const res = await session.run(feeds, { observe });
      for (const n of names) {
        const t: Tensor | undefined = res[n] ?? feeds[n];
        if (!t) throw new Error(`quantize activations: the executor did not return ${n}`);
        out.get(n)!.add(t.data as Float32Array);
      }
      progress?.(i + 1, samples.length);
    }
  } finally {
    session.dispose();
  }
  return out;
}

const SUFFIXES = ['s', 'z', 'q', 'd'];
const nextId = new WeakMap<Model, number>();

/** A short name prefix p such that p+s, p+z, p+q and p+d are all free in the model. */
export function shortId(model: Model, prefix: string): string {
  const g = model.graph;
  for (let k = nextId.get(model) ?? 0; ; k++) {
    const id = `${prefix}${k}`;
    if (SUFFIXES.every((x) => g.uniqueName(id + x) === id + x)) {
      nextId.set(model, k + 1);
      return id;
    }
  }
}

/**
 * Inserts QuantizeLinear → DequantizeLinear on value t; every reader of t then reads the DQ output.
 * Names are short (`aN…`, nodes unnamed): on a small model the names of ~100 Q/DQ pairs weigh kilobytes.
 */
export function insertQdq(model: Model, t: string, p: SliceParams, s: ActivationSettings): string {
  const g = model.graph;
  const qType = s.bits === 16 ? (s.signed ? 'int16' : 'uint16') : s.signed ? 'int8' : 'uint8';
  const users = [...g.consumers(t)];
  const id = shortId(model, 'a');
  const sName = `${id}s`;
  g.addInitializer(sName, float32([], [p.scale]));
  // The zero point is always written: onnxruntime 1.30's QDQ fusion fails to load a model where a
  // QuantizeLinear leaves it out ("two nodes with same node name"), although ONNX allows it.
  const zName = `${id}z`;
  const zp = makeTensor(qType, []);
  (zp.data as Int8Array)[0] = p.zeroPoint;
  g.addInitializer(zName, zp);
  const io = [t, sName, zName];
  const qv = `${id}q`;
  const dv = `${id}d`;
  const producer = g.producer(t);
  const first = users.length ? g.topoOrder().find((n) => users.includes(n)) : undefined;
  const where = producer ? { after: producer } : first ? { before: first } : undefined;
  const q = g.addNode({ op: 'QuantizeLinear', name: `${id}Q`, inputs: io, outputs: [qv] }, where);
  g.addNode(
    { op: 'DequantizeLinear', name: `${id}D`, inputs: [qv, ...io.slice(1)], outputs: [dv] },
    { after: q },
  );
  for (const u of users) {
    u.inputs.forEach((v, i) => {
      if (v === t) u.setInput(i, dv);
    });
  }
  return dv;
}

export function quantizeActivationsPass(plan: Plan): Pass {
  const jobs: { layer: string; s: ActivationSettings }[] = [];
  for (const l of plan.layers) {
    const a = l.actions.find((x) => x.kind === 'quantize-activations');
    if (a) jobs.push({ layer: l.name, s: activationSettings(a) });
  }
  return activationsPass(jobs);
}

/** The pass for explicit jobs (layer name → settings); minSnr: see MIN_SNR_DB. */
export function activationsPass(
  planned: { layer: string; s: ActivationSettings }[],
  minSnr = MIN_SNR_DB,
): Pass {
  return {
    name: 'quantize-activations',
    run: async (model: Model, ctx: PassContext) => {
      if (!planned.length) return { changed: false };
      const jobs = withParts(planned, ctx);
      const from = jobs[0]!.s.from;
      if (!ctx.samples?.length)
        throw new Error(`${from}: quantize activations without samples passed the checks`);
      const need = jobs.some((j) => j.s.bits === 16) ? 21 : 13;
      if ((model.opset('') ?? 0) < need) upgradeOpset(model, need);
      const byLayer = nodesByLayer(model);
      const layers: { layer: string; node: Node; inputs: string[]; s: ActivationSettings }[] = [];
      const values = new Map<string, ActivationSettings>();
      for (const { layer, s } of jobs) {
        const node = byLayer.get(layer);
        const pts = node ? activationPoints(model, node) : 'no such node';
        if (typeof pts === 'string') {
          (ctx.warn ?? ctx.log)?.(`${s.from}: quantize activations skipped ${layer}: ${pts}`);
          continue;
        }
        layers.push({ layer, node: node!, inputs: pts.inputs, s });
        for (const v of [...pts.inputs, ...(pts.output ? [pts.output] : [])])
          if (!values.has(v)) values.set(v, s);
      }
      if (!values.size) return { changed: false };
      const ranges = await collectRanges(model, [...values.keys()], ctx.samples, (d, t) =>
        ctx.progress?.('quantize activations: calibration', d, t),
      );
      const chosen = new Map<string, QdqChoice>();
      const noisy: [string, QdqChoice, number][] = [];
      for (const [v, s] of values) {
        const c = ranges.get(v)!;
        const range = calibrateRange(c, s.method, { bits: s.bits });
        const snr = quantizationSnr(c, range, s.bits);
        const choice = { params: activationParams(range, s), s };
        if (snr < minSnr) noisy.push([v, choice, snr]);
        else chosen.set(v, choice);
      }
      if (noisy.length) {
        // low estimated SNR: measure what each does to the model's output before leaving it float
        noisy.sort((a, b) => b[2] - a[2]);
        const m = await measuredCandidates(
          model,
          chosen,
          noisy.filter(([, , snr]) => snr >= FLOOR_SNR_DB).map(([v, c]) => [v, c]),
          ctx.samples,
          insertQdq,
        );
        const kept = new Set(m.accepted);
        for (const [v, c] of noisy) if (kept.has(v)) chosen.set(v, c);
        const why = (v: string, snr: number) => {
          const g = m.growth.get(v);
          return `${v} (${snr.toFixed(1)} dB, ${g === undefined ? 'not measured' : `output error ×${g.toFixed(2)}`})`;
        };
        const left = noisy.filter(([v]) => !kept.has(v));
        const say = ctx.warn ?? ctx.log;
        if (left.length) {
          say?.(
            `${from}: quantize activations left ${left.length} of ${values.size} values float: a few outliers stretch their range (estimated SNR under ${minSnr} dB), and quantizing them raised the model's output error on the calibration data more than ${MAX_GROWTH}× (measured from ${FLOOR_SNR_DB} dB up): ${left.map(([v, , snr]) => why(v, snr)).join(', ')}`,
          );
        }
        if (kept.size) {
          ctx.log?.(
            `quantize activations: ${kept.size} low-SNR values quantized after all (output error within ${MAX_GROWTH}×): ${noisy
              .filter(([v]) => kept.has(v))
              .map(([v, , snr]) => why(v, snr))
              .join(', ')}`,
          );
        }
      }
      const params = new Map<string, SliceParams>();
      for (const [v, c] of chosen) {
        params.set(v, c.params);
        insertQdq(model, v, c.params, c.s);
      }
      for (const { layer, inputs } of layers) {
        const step = Math.max(0, ...inputs.map((v) => params.get(v)?.scale ?? 0)) / 2;
        ctx.layerError[layer] = Math.max(ctx.layerError[layer] ?? 0, step);
      }
      ctx.log?.(`quantize activations: ${values.size} values around ${layers.length} layers`);
      model.graph.sweep();
      return { changed: true };
    },
  };
}
