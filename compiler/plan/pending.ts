// Recipe language the compiler does not run yet: each use is one catalogued diagnostic (SQ501) at
// its place, reported by `squish check` and by compile before any work. An engineer who implements
// one removes its entry here and registers the pass (compiler/plan/lower.ts) or handles the option.

import { flattenStatements, type RecipeAst, type Statement } from '../../dsl/ast.ts';
import { type Diagnostic, diag } from '../../dsl/diagnostics.ts';
import { isTableStatement, statementTitle, wordOf } from '../../dsl/table/index.ts';

interface Pending {
  /** Statement keyword, or `target` with a metric. */
  statement: string;
  option?: string;
  /** A word value of the option (`criterion taylor`). */
  value?: string;
  metric?: string;
  /** Why it cannot run yet / what to do meanwhile. */
  help: string;
}

/** Empty: the compiler runs the whole language (an entry's help ends with how to compile meanwhile). */
const PENDING: Pending[] = [];

/** SQ501 for every use of what the compiler does not run yet (includes inlined). */
export function pendingDiagnostics(ast: RecipeAst): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of flattenStatements(ast)) {
    if (s.kind === 'target') {
      const p = PENDING.find((x) => x.metric === s.metric);
      if (p) out.push(diag('SQ501', s.metricSpan, `target ${s.metric} is not available yet`, p.help));
      continue;
    }
    const whole = PENDING.find((x) => x.statement === s.kind && !x.option && !x.metric);
    if (whole) {
      out.push(diag('SQ501', s.keywordSpan, `${statementTitle(s)} is not available yet`, whole.help));
      continue;
    }
    if (!isTableStatement(s)) continue;
    for (const o of s.options ?? []) {
      const w = wordOf(o.values[0]);
      const p = PENDING.find(
        (x) => x.statement === s.kind && x.option === o.name && (x.value === undefined || x.value === w),
      );
      if (!p) continue;
      const at = p.value ? o.values[0]!.span : o.nameSpan;
      out.push(
        diag(
          'SQ501',
          at,
          `${statementTitle(s)} { ${o.name}${p.value ? ` ${p.value}` : ''} } is not available yet`,
          p.help,
        ),
      );
    }
  }
  return out;
}

/** Statements with a use the compiler does not run yet (plan-time previews and checks skip them). */
export function pendingStatements(ast: RecipeAst): Set<Statement> {
  const found = pendingDiagnostics(ast);
  const within = (s: Statement) =>
    found.some(
      (d) =>
        d.span.file === s.span.file &&
        d.span.offset >= s.span.offset &&
        d.span.offset < s.span.offset + s.span.length,
    );
  return new Set(flattenStatements(ast).filter(within));
}
