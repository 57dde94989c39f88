// Reading one `cluster weights` action's options (clusters N, init linear|kmeans++|density), checked
// by the statement table.

import type { KmeansInit } from '../../codec/kmeans.ts';
import { numberOption, wordOption } from '../../plan/options.ts';
import type { PlannedAction } from '../../plan/plan.ts';

export interface ClusterSettings {
  /** Shared non-zero values per layer (pruned zeros are an extra, exact codebook entry). */
  clusters: number;
  init: KmeansInit;
  from: string;
}

export function clusterSettings(a: PlannedAction): ClusterSettings {
  return {
    clusters: numberOption(a.statement, 'clusters') ?? 16,
    init: (wordOption(a.statement, 'init') ?? 'linear') as KmeansInit,
    from: a.from,
  };
}
