// `--max-memory SIZE` on the commands that run models: the executor's allocation budget
// (runtime/exec/budget.ts). Default: 2 GiB, or a quarter of this machine's memory when that is less.

import { totalmem } from 'node:os';
import { UserError } from '../../runtime/errors.ts';
import { DEFAULT_MAX_MEMORY, setDefaultMaxMemory } from '../../runtime/exec/budget.ts';

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** "512M", "8G", "1.5GiB", "1073741824" → bytes. */
function parseSize(text: string, flag = '--max-memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : Number.NaN;
  if (!(bytes >= 2 ** 20) || !Number.isFinite(bytes))
    throw new UserError(
      `${flag} '${text}' is not a size of at least 1M`,
      'write a number with a unit, e.g. 512M or 8G',
    );
  return Math.floor(bytes);
}

function machineDefault(): number {
  return Math.min(DEFAULT_MAX_MEMORY, Math.floor(totalmem() / 4));
}

export const MEMORY_HELP =
  "memory budget for one step (a node's outputs, random calibration data), e.g. 512M or 8G (default: 2G, or a quarter of RAM if less)";

/** Set the budget from the command's --max-memory (or this machine's default) before it runs. */
export function applyMaxMemory(value: unknown): void {
  setDefaultMaxMemory(typeof value === 'string' ? parseSize(value) : machineDefault());
}
