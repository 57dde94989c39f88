// What compile checks and says around running the model: pinned input shapes that win over the
// declared ones, --no-fidelity against fidelity targets, and a missing kernel explained by the
// statement that needed the model to run.

import { UserError } from '../runtime/errors.ts';
import { MissingKernelError } from '../runtime/exec/plan.ts';
import type { Model } from '../runtime/ir/model.ts';
import type { Dim } from '../runtime/ir/shape/index.ts';
import type { ModelPlan } from './plan/model-plan.ts';

/**
 * Pinned input shapes win: where a model declares fixed dims that disagree with the pin (absurd
 * ones such as 2^31), the model declares the pinned shape from here on, so nothing is sized or fed
 * at the declared one. Returns a warning per input changed.
 */
export function pinInputs(model: Model, shapes: Record<string, Dim[]>): string[] {
  const notes: string[] = [];
  for (const i of model.graph.inputs) {
    const pin = shapes[i.name];
    const declared = i.type?.shape;
    if (!pin || !declared || !i.type) continue;
    const differs =
      declared.length !== pin.length ||
      declared.some((d, k) => typeof d === 'number' && d >= 0 && d !== pin[k]);
    if (!differs) continue;
    i.type = { ...i.type, shape: [...pin] };
    notes.push(
      `input ${i.name} is pinned to [${pin.join(', ')}] but the model declares [${declared.join(', ')}]: the compiled model declares the pinned shape`,
    );
  }
  return notes;
}

/** `--no-fidelity` and a target on a fidelity figure cannot go together: say so before any work. */
export function checkNoFidelityTargets(plan: ModelPlan): void {
  const t = plan.settings.targets.find((x) => !['size', 'params', 'flops'].includes(x.metric));
  if (t)
    throw new UserError(
      `${t.where}: ${t.text} needs fidelity measured, which --no-fidelity turns off`,
      'drop --no-fidelity, or the target',
    );
}

/** The pass named in a pass-manager error ("pass quantize-weights failed …"), with its statements. */
export function passOf(e: unknown): string {
  const m = /^pass (\S+) failed/.exec((e as Error)?.message ?? '');
  return m ? `pass ${m[1]}` : 'a pass';
}

/**
 * A model with an op squish cannot run, met where the compile had to run it: say which statement
 * needed that (the calibrate block, the statements of the failing pass) and how to avoid it.
 */
export function whyItRuns(e: unknown, plan: ModelPlan, why: string): unknown {
  const missing = e instanceof MissingKernelError ? e : (e as { cause?: unknown })?.cause;
  if (!(missing instanceof MissingKernelError)) return e;
  const cal = plan.settings.calibration;
  const kind = /^pass (\S+)/.exec(why)?.[1];
  const statements = [
    ...new Set(
      plan.layers.flatMap((l) =>
        l.actions.filter((a) => a.kind === kind).map((a) => `${a.action} at ${a.from}`),
      ),
    ),
  ];
  const ops = missing.missing.map((m) => m.op).join(', ');
  const fidelity = why.startsWith('measuring');
  return new UserError(
    `${why} (calibrate at ${cal?.where ?? '?'}${statements.length ? `; for ${statements.join(', ')}` : ''}), but ${missing.message}`,
    `${fidelity ? 'pass --no-fidelity to compile without measuring (the report then has no fidelity figures)' : 'leave out the statement that needs data (random calibration data does not help: the model still has to run)'}, or register a kernel for ${ops} (registerOp, from squish/runtime) so squish can run the model`,
  );
}
