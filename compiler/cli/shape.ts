// `--shape NAME=DIMS` (repeatable) for inspect, plan and compile: concrete sizes for dynamic inputs.

import { UserError } from '../../runtime/errors.ts';
import type { Dim } from '../../runtime/ir/types.ts';

export const SHAPE_HELP = 'concrete shape for a dynamic input, e.g. x=1x3x48x192 (repeatable)';

/** commander collector: parses one --shape value into the accumulated record. */
export function parseShape(spec: string, acc: Record<string, Dim[]>): Record<string, Dim[]> {
  const m = /^([^=]+)=(.*)$/.exec(spec);
  if (!m) throw new UserError(`--shape '${spec}' is not NAME=DIMS`, 'write e.g. --shape x=1x3x48x192');
  const dims = m[2]!.split(/[x,]/).map((d) => (/^\d+$/.test(d) ? Number(d) : d));
  if (dims.some((d) => d === ''))
    throw new UserError(`--shape '${spec}' has an empty dim`, 'write e.g. --shape x=1x3x48x192');
  acc[m[1]!] = dims;
  return acc;
}
