// Short text of a statement's selectors for CLI listings ("prune channels of conv where …").
import type { Statement } from '../../dsl/ast.ts';
import { exprText, selectors } from '../../dsl/format.ts';

export function selectorsText(s: Statement): string {
  const sel = 'selectors' in s && s.selectors ? ` ${selectors(s.selectors)}` : '';
  const where = 'where' in s && s.where ? ` where ${exprText(s.where, 0)}` : '';
  const what =
    s.kind === 'prune'
      ? `prune ${s.granularity.kind === 'nm' || s.granularity.kind === 'blocks' ? s.granularity.text : s.granularity.word} of`
      : s.kind === 'quantize'
        ? `quantize ${s.what}${s.selectors ? ' of' : ''}`
        : s.kind === 'cluster'
          ? 'cluster weights of'
          : s.kind;
  return `${what}${sel}${where}`;
}
