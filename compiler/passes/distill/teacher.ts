// The teacher of a distill statement: the model as the compile received it (`teacher original`), or
// an ONNX/.sqz file the host reads. It must take the student's inputs and give the values the losses
// compare (outputs, and the inner values of hint losses) at the same shapes.

import { diag } from '../../../dsl/diagnostics.ts';
import type { Model } from '../../../runtime/ir/model.ts';
import { inferShapes } from '../../../runtime/ir/shape/index.ts';
import { importAnyModel } from '../../../runtime/sqz/read.ts';
import type { Host } from '../../data/host.ts';
import { DataProblem } from './data.ts';
import type { TrainingSettings } from './options.ts';

/** The teacher model of a distill statement (undefined for finetune). */
export async function loadTeacher(
  settings: TrainingSettings,
  original: () => Model,
  host: Host,
): Promise<Model | undefined> {
  const t = settings.teacher;
  if (!t) return undefined;
  if (!t.file) return original();
  const path = host.resolve(settings.statement.span.file, t.file);
  let bytes: Uint8Array;
  try {
    bytes = await host.readFile(path);
  } catch (e) {
    throw new DataProblem(
      diag('SQ411', t.span, `cannot read the teacher "${t.file}": ${(e as Error).message}`),
    );
  }
  try {
    return importAnyModel(bytes, { source: path });
  } catch (e) {
    throw new DataProblem(
      diag(
        'SQ411',
        t.span,
        `the teacher "${t.file}" is not a model squish can read: ${(e as Error).message}`,
      ),
    );
  }
}

const dimsText = (d: readonly (number | string)[] | undefined) => `[${(d ?? ['?']).join(', ')}]`;

/**
 * Why the teacher does not fit the student: inputs it lacks, compared values it lacks or computes at
 * other shapes (for inputs of `shapes`). Undefined when it fits.
 */
export function teacherMismatch(
  teacher: Model,
  student: Model,
  compared: readonly string[],
  shapes: Record<string, number[]>,
): string | undefined {
  const tg = teacher.graph;
  const sg = student.graph;
  const teacherInputs = new Map(
    tg.inputs.filter((i) => !tg.initializers.has(i.name)).map((i) => [i.name, i]),
  );
  for (const name of Object.keys(shapes)) {
    const ti = teacherInputs.get(name);
    if (!ti)
      return `it has no input '${name}' (its inputs: ${[...teacherInputs.keys()].join(', ') || 'none'})`;
    const si = sg.inputs.find((i) => i.name === name);
    if (si?.type && ti.type && si.type.dtype !== ti.type.dtype)
      return `its input '${name}' is ${ti.type.dtype}, the model's is ${si.type.dtype}`;
  }
  const known = new Set(tg.valueNames());
  const missing = compared.filter((v) => !known.has(v));
  if (missing.length)
    return `it has no value ${missing.map((v) => `'${v}'`).join(', ')}, which the losses compare`;
  const infer = (m: Model) => inferShapes(m.graph, { opset: m.opset('') ?? 17, inputShapes: shapes }).types;
  const ts = infer(teacher);
  const ss = infer(student);
  for (const v of compared) {
    const a = ts.get(v)?.shape;
    const b = ss.get(v)?.shape;
    const fixed = (d: typeof a) => d?.every((x) => typeof x === 'number');
    if (fixed(a) && fixed(b) && (a!.length !== b!.length || a!.some((x, i) => x !== b![i])))
      return `its '${v}' has shape ${dimsText(a)}, the model's ${dimsText(b)}`;
  }
  return undefined;
}
