// Reading one `cluster weights` action's options (clusters N, init linear|kmeans++|density); a
// UserError naming the statement for anything else.

import { UserError } from '../../../runtime/errors.ts';
import type { KmeansInit } from '../../codec/kmeans.ts';
import { num, word } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';

export interface ClusterSettings {
  /** Shared non-zero values per layer (pruned zeros are an extra, exact codebook entry). */
  clusters: number;
  init: KmeansInit;
  from: string;
}

const INITS: KmeansInit[] = ['linear', 'kmeans++', 'density'];

export function clusterSettings(a: PlannedAction): ClusterSettings {
  const s: ClusterSettings = { clusters: 16, init: 'linear', from: a.from };
  for (const o of a.statement.options ?? []) {
    if (o.name === 'clusters') {
      const n = num(o.values[0], 'clusters');
      if (n === undefined || !Number.isInteger(n) || n < 2 || n > 65535) {
        throw new UserError(
          `${a.from}: cluster weights { clusters ${n} }: need an integer from 2 to 65535`,
          'e.g. clusters 16',
        );
      }
      s.clusters = n;
    } else if (o.name === 'init') {
      const w = word(o.values[0]) as KmeansInit | undefined;
      if (!w || !INITS.includes(w)) {
        throw new UserError(
          `${a.from}: cluster weights { init ${w ?? '?'} }: unknown init`,
          `use one of ${INITS.join(', ')}`,
        );
      }
      s.init = w;
    } else {
      throw new UserError(
        `${a.from}: cluster weights { ${o.name} } is not implemented yet`,
        'remove it (implemented: clusters N, init linear|kmeans++|density)',
      );
    }
  }
  return s;
}
