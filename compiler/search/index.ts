// compiler/search: ranges in recipes chosen per layer to meet every target (sensitivity,
// allocation, whole-model checks and tightening). The compile report's search fields: report.ts.
export { type Allocation, type AllocationResult, type AllocationUnit, allocate } from './allocate.ts';
export type { SearchLayer, SearchReport, SensitivityRow } from './report.ts';
export {
  type Compiled,
  DEFAULT_SEARCH,
  type SearchInput,
  type SearchResult,
  type SearchSettings,
  searchPlan,
} from './search.ts';
export { hasRanges, latencyTimer, searchEngine, searchSettings } from './setup.ts';
