// Model-free checks of selectors, `where` predicates and targets.
import type { CmpOp, Expr, Selector, Statement } from './ast.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import { ONNX_OPS, onnxOp, PSEUDO_TYPES } from './onnx-ops.ts';
import { didYouMean } from './suggest.ts';
import { type CheckContext, findOption } from './table/index.ts';
import { TARGET_METRICS } from './table/settings.ts';
import { WHERE_PROPERTIES } from './table/where.ts';
import { valueText } from './values.ts';

export function checkSelectors(out: Diagnostic[], selectors: Selector[]): void {
  for (const s of selectors) {
    if (s.kind === 'op' || s.kind === 'position') {
      if (!onnxOp(s.op) && !PSEUDO_TYPES.includes(s.op.toLowerCase())) {
        out.push(
          diag(
            'SQ309',
            s.span,
            `unknown op type '${s.op}'`,
            didYouMean(s.op, [...ONNX_OPS.map((o) => o.toLowerCase()), ...PSEUDO_TYPES]) ??
              'names of layers are quoted: "backbone/*"',
          ),
        );
      }
      if (
        s.kind === 'position' &&
        s.to !== undefined &&
        Math.sign(s.from) === Math.sign(s.to) &&
        s.from > s.to
      ) {
        out.push(diag('SQ314', s.span, `position range ${s.from}..${s.to} is reversed`, 'write low..high'));
      }
    } else if (s.kind === 'glob' && s.pattern === '') {
      out.push(diag('SQ302', s.span, 'empty name pattern', 'write a glob such as "head/*"'));
    } else if (s.kind === 'regex') {
      if (/[^imsu]/.test(s.flags))
        out.push(diag('SQ104', s.span, `unsupported regex flags '${s.flags}'`, 'allowed flags: i m s u'));
      else {
        try {
          new RegExp(s.source, s.flags);
        } catch (e) {
          out.push(diag('SQ104', s.span, `invalid regex: ${(e as Error).message}`));
        }
      }
    }
  }
}

const ORDER_OPS: CmpOp[] = ['<', '<=', '>', '>='];

export function checkWhere(out: Diagnostic[], node: Expr): void {
  if (node.kind === 'and' || node.kind === 'or') {
    checkWhere(out, node.left);
    checkWhere(out, node.right);
    return;
  }
  if (node.kind === 'not') {
    checkWhere(out, node.operand);
    return;
  }
  const e = node as Extract<Expr, { kind: 'cmp' | 'flag' }>;
  const names = Object.keys(WHERE_PROPERTIES);
  const type = WHERE_PROPERTIES[e.property];
  const pspan = e.kind === 'cmp' ? e.propertySpan : e.span;
  if (!type) {
    out.push(
      diag(
        'SQ310',
        pspan,
        `unknown property '${e.property}'`,
        didYouMean(e.property, names) ?? `properties are ${names.join(', ')}`,
      ),
    );
    return;
  }
  if (e.kind === 'flag') {
    if (type !== 'flag')
      out.push(
        diag('SQ311', e.span, `'${e.property}' is not true/false: compare it`, `e.g. ${e.property} >= 16`),
      );
    return;
  }
  const v = e.value;
  const wrong = (msg: string, help?: string): void => {
    out.push(diag('SQ311', e.span, msg, help));
  };
  if (v.kind === 'number' && v.unit === 'bad') return;
  switch (type) {
    case 'flag':
      if (
        (e.op !== '==' && e.op !== '!=') ||
        v.kind !== 'word' ||
        (v.value !== 'true' && v.value !== 'false')
      ) {
        wrong(`'${e.property}' is true or false`, `write '${e.property}' or 'not ${e.property}'`);
      }
      return;
    case 'name':
      if (ORDER_OPS.includes(e.op) || v.kind !== 'string')
        wrong(`'name' is compared with == or != to a quoted glob`, 'e.g. name == "head/*"');
      return;
    case 'dims':
      if (ORDER_OPS.includes(e.op) || (v.kind !== 'dims' && !(v.kind === 'number' && v.unit === '')))
        wrong(`'kernel' is compared with == or != to a size such as 3x3`);
      return;
    default:
      if (v.kind !== 'number' || (v.unit !== '' && !(type === 'count' && v.unit === 'count'))) {
        wrong(`'${e.property}' is compared to a ${type === 'count' ? 'count such as 64k' : 'whole number'}`);
      }
  }
}

export function checkTarget(out: Diagnostic[], s: Statement & { kind: 'target' }, ctx: CheckContext): void {
  const names = TARGET_METRICS.map((m) => m.name);
  const metric = TARGET_METRICS.find((m) => m.name === s.metric);
  if (!metric) {
    out.push(
      diag(
        'SQ312',
        s.metricSpan,
        `unknown target metric '${s.metric}'`,
        didYouMean(s.metric, names) ?? `metrics are ${names.join(', ')}`,
      ),
    );
    return;
  }
  const v = s.value;
  const bad = (msg: string, help: string): void => {
    out.push(diag('SQ313', v.span, msg, help));
  };
  if (v.kind === 'number' && v.unit === 'bad') return;
  const budget = metric.bound === 'upper';
  if (budget ? s.op !== '<=' && s.op !== '<' : s.op !== '>=' && s.op !== '>') {
    out.push(
      diag(
        'SQ313',
        s.span,
        `target ${s.metric} ${s.op} makes no sense`,
        budget
          ? `a budget is an upper bound: target ${s.metric} <= …`
          : `fidelity is a lower bound: target ${s.metric} >= …`,
      ),
    );
    return;
  }
  if (v.kind !== 'number') {
    bad(`target ${s.metric} takes a number, got '${valueText(v)}'`, `e.g. ${TARGET_EXAMPLE[s.metric]}`);
    return;
  }
  if (v.unit === '%' && (v.value <= 0 || v.value > 100)) {
    bad(`${v.text} is not within 0%..100%`, 'a share is between 0% and 100%');
    return;
  }
  if (metric.needsData && !ctx.has('calibrate'))
    out.push(
      diag(
        'SQ322',
        s.metricSpan,
        `target ${s.metric} needs calibration data (it is measured on it)`,
        'add a calibrate { images "…" } (or tensors, or random) block',
      ),
    );
  switch (s.metric) {
    case 'size':
      if (v.unit !== 'bytes' && v.unit !== '%')
        bad('target size needs a unit: KB, MB, KiB, MiB or %', `e.g. target size <= ${v.value}KB`);
      else if (v.value <= 0) bad('a size must be greater than 0', 'e.g. target size <= 200KB');
      return;
    case 'params':
    case 'flops':
      if (v.unit === 'bytes' || v.unit === 'seconds')
        bad(`target ${s.metric} is a count`, `e.g. target ${s.metric} <= 1.5M or <= 50%`);
      else if (v.value <= 0)
        bad(`target ${s.metric} must be greater than 0`, `e.g. target ${s.metric} <= 50%`);
      return;
    case 'latency':
      if (v.unit !== '%' && v.unit !== 'seconds')
        bad(
          'target latency is a share of the original’s (%) or a time (ms, s)',
          'e.g. target latency <= 60%',
        );
      else if (v.value <= 0) bad('target latency must be greater than 0', 'e.g. target latency <= 60%');
      return;
    case 'accuracy':
      if (v.unit !== '%' && !(v.unit === '' && v.value > 0 && v.value <= 1))
        bad('accuracy is a share: write a percentage', 'e.g. target accuracy >= 95%');
      else if (!hasLabels(ctx))
        out.push(
          diag(
            'SQ328',
            s.metricSpan,
            'target accuracy needs labels',
            'add finetune { labels "file.tsv" } (input file → label); it is measured on the held-apart calibration files',
          ),
        );
      else if (randomCalibration(ctx))
        out.push(
          diag(
            'SQ328',
            s.metricSpan,
            'target accuracy is measured on the calibration files, and random data has no labels',
            'calibrate on labelled files: calibrate { images "…" } or { tensors "…" }',
          ),
        );
      return;
    case 'agreement':
      if (v.unit !== '%' && !(v.unit === '' && v.value > 0 && v.value <= 1))
        bad('agreement is a share: write a percentage', 'e.g. target agreement >= 99%');
      else if (untrustedRandom(ctx))
        out.push(
          diag(
            'SQ327',
            s.metricSpan,
            'target agreement on random calibration data says nothing about real inputs',
            'calibrate on real inputs (images "…" or tensors "…"), or write calibrate { random  trust } to accept it',
          ),
        );
      return;
    case 'cosine':
      if (v.unit === '%' || (v.unit === '' && v.value >= -1 && v.value <= 1)) return;
      bad('cosine similarity is between -1 and 1', 'e.g. target cosine >= 0.999');
      return;
    default:
      if (v.unit !== '') bad('snr is in decibels: a plain number', 'e.g. target snr >= 30');
  }
}

const TARGET_EXAMPLE: Record<string, string> = {
  size: 'target size <= 200KB',
  params: 'target params <= 1.5M',
  flops: 'target flops <= 50%',
  latency: 'target latency <= 60%',
  agreement: 'target agreement >= 99%',
  accuracy: 'target accuracy >= 95%',
  cosine: 'target cosine >= 0.999',
  snr: 'target snr >= 30',
};

/** A calibrate block of random data (written, or no images/tensors) without `trust`. */
function untrustedRandom(ctx: CheckContext): boolean {
  const cal = ctx.first('calibrate');
  if (!cal) return false;
  const o = cal.options;
  return !findOption(o, 'images') && !findOption(o, 'tensors') && !findOption(o, 'trust');
}

/** A calibrate block of random data (no images or tensors). */
function randomCalibration(ctx: CheckContext): boolean {
  const o = ctx.first('calibrate')?.options;
  return !!ctx.first('calibrate') && !findOption(o, 'images') && !findOption(o, 'tensors');
}

function hasLabels(ctx: CheckContext): boolean {
  return findOption(ctx.first('finetune')?.options, 'labels') !== undefined;
}
