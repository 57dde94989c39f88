// What compile hands a search: the engine (onnxruntime when the host gave it, else squish's
// runtime), the latency timer of `target latency`, and the `search { … }` settings.

import type { Statement } from '../../dsl/ast.ts';
import { UserError } from '../../runtime/errors.ts';
import type { Model } from '../../runtime/ir/model.ts';
import type { Sample } from '../data/calibration.ts';
import { numberOption } from '../plan/options.ts';
import type { Plan } from '../plan/plan.ts';
import type { LatencyReport } from '../report/types.ts';
import { type OrtLike, ortRunner, squishRunner } from '../train/runner.ts';
import { timeInterleaved } from './latency.ts';
import type { SearchEngine } from './probe.ts';
import { DEFAULT_SEARCH, type SearchSettings } from './search.ts';
import { hasSearchRange } from './space.ts';

/** What a search measures with: onnxruntime when the host handed it in, else squish's runtime. */
export function searchEngine(
  onnxruntime: OrtLike | undefined,
  clock = () => performance.now(),
): SearchEngine {
  if (onnxruntime) return { open: ortRunner(onnxruntime, { threads: 1 }), overrides: true, clock };
  return { open: squishRunner(), overrides: false, clock };
}

const LATENCY_ROUNDS = 15;

/**
 * `target latency`: the original's milliseconds in onnxruntime and a timer for other models, each
 * timed interleaved with the original (one thread) on the first calibration sample.
 */
export async function latencyTimer(
  engine: SearchEngine,
  hasOnnxruntime: boolean,
  load: () => Model,
  samples: Sample[] | undefined,
): Promise<{ originalMs: number; of: (m: Model) => Promise<LatencyReport> }> {
  if (!hasOnnxruntime)
    throw new UserError(
      'target latency is measured in onnxruntime, and this host handed none to the compiler',
      'run squish compile from the command line (it uses onnxruntime-node), or pass `onnxruntime` in the compile options',
    );
  const feeds = samples?.[0];
  if (!feeds)
    throw new UserError(
      'target latency needs an input to time the model on',
      'add a calibrate block (images, tensors or random)',
    );
  const original = load();
  const [originalMs] = await timeInterleaved(engine, [{ model: original, feeds }], LATENCY_ROUNDS);
  return {
    originalMs: originalMs!,
    of: async (m) => {
      const [o, c] = await timeInterleaved(
        engine,
        [
          { model: original, feeds },
          { model: m, feeds },
        ],
        LATENCY_ROUNDS,
      );
      // on the scale of the first measurement of the original (load on the machine moves both)
      const ratio = c! / o!;
      return {
        original_ms: originalMs!,
        compiled_ms: ratio * originalMs!,
        ratio,
        runs: LATENCY_ROUNDS,
        threads: 1,
      };
    },
  };
}

/** `search { candidates N  budget D }`, or the defaults. */
export function searchSettings(statements: Statement[]): SearchSettings {
  const s = statements.find((x) => x.kind === 'search');
  if (!s || !('options' in s)) return DEFAULT_SEARCH;
  const candidates = numberOption(s, 'candidates');
  const budget = numberOption(s, 'budget');
  return {
    candidates: candidates ?? DEFAULT_SEARCH.candidates,
    budgetMs: budget !== undefined ? budget * 1000 : DEFAULT_SEARCH.budgetMs,
  };
}

/** Whether the plan has a range to search on some layer. */
export function hasRanges(plan: Plan): boolean {
  return plan.layers.some((l) => l.actions.some((a) => hasSearchRange(a.statement)));
}
