// Selectors against a model: an abstract layer model, resolution of op types/globs/regexes/positions/where, "did you mean".
import {
  type CmpOp,
  type Expr,
  flattenStatements,
  type RecipeAst,
  type Selector,
  type Statement,
  type Value,
} from './ast.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import { selectorText } from './format.ts';
import { editDistance, nearest } from './suggest.ts';

/** What the recipe language needs to know about one node of the model (the compiler builds these). */
export interface LayerInfo {
  name: string; // node name
  op: string; // ONNX op type, e.g. 'Conv'
  weightNames: string[]; // constant inputs (initializers) it uses
  index: number; // topological position among all layers
  params: number; // weight elements
  flops: number; // multiply-adds × 2 for one inference at the pinned shapes (0 if unknown)
  in_channels?: number;
  out_channels?: number;
  kernel?: [number, number];
  group?: number;
  stride?: number;
  depthwise: boolean;
}

export interface ResolveResult {
  matches: LayerInfo[];
  diagnostics: Diagnostic[];
}

function isLinear(l: LayerInfo): boolean {
  const op = l.op.toLowerCase();
  return (op === 'gemm' || op === 'matmul') && l.weightNames.length > 0;
}

function opMatches(word: string, l: LayerInfo): boolean {
  const w = word.toLowerCase();
  if (w === 'linear') return isLinear(l);
  if (w === 'depthwise') return l.depthwise;
  return l.op.toLowerCase() === w;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob)
    re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  return new RegExp(`^(?:${re})$`, 's');
}

function fullRegExp(source: string, flags: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${source})$`, flags.replace(/[gy]/g, ''));
  } catch {
    return undefined;
  }
}

function nameMatches(re: RegExp, l: LayerInfo): boolean {
  return re.test(l.name) || l.weightNames.some((w) => re.test(w));
}

/** Layers matching a selector list (union, in topological order) and filtered by `where`. */
export function resolveSelectors(selectors: Selector[], layers: LayerInfo[], where?: Expr): ResolveResult {
  const diagnostics: Diagnostic[] = [];
  const ordered = [...layers].sort((a, b) => a.index - b.index);
  const picked = new Set<LayerInfo>();
  for (const s of selectors) {
    const got = resolveOne(s, ordered, diagnostics);
    for (const l of got) picked.add(l);
  }
  let matches = ordered.filter((l) => picked.has(l));
  if (where && matches.length > 0) {
    const before = matches.length;
    matches = matches.filter((l) => evalExpr(where, l));
    if (matches.length === 0) {
      diagnostics.push(
        diag(
          'SQ403',
          where.span,
          `no layer satisfies this 'where' (of ${before} selected)`,
          'the statement does nothing; check the thresholds',
        ),
      );
    }
  }
  return { matches, diagnostics };
}

function resolveOne(s: Selector, layers: LayerInfo[], out: Diagnostic[]): LayerInfo[] {
  let got: LayerInfo[] = [];
  switch (s.kind) {
    case 'all':
      got = layers.filter((l) => l.weightNames.length > 0);
      break;
    case 'op':
      got = layers.filter((l) => opMatches(s.op, l));
      break;
    case 'position': {
      const of = layers.filter((l) => opMatches(s.op, l));
      if (of.length === 0) break;
      const at = (i: number) => (i < 0 ? of.length + i : i);
      const from = at(s.from);
      const to = s.to === undefined ? from : at(s.to);
      if (from < 0 || from >= of.length || to < 0 || to >= of.length || to < from) {
        out.push(
          diag(
            'SQ402',
            s.span,
            `${selectorText(s)} is out of range: the model has ${of.length} ${s.op} layer${of.length === 1 ? '' : 's'}`,
            `positions are 0..${of.length - 1} or -${of.length}..-1`,
          ),
        );
        return [];
      }
      got = of.slice(from, to + 1);
      break;
    }
    case 'glob':
      got = layers.filter((l) => nameMatches(globToRegExp(s.pattern), l));
      break;
    case 'regex': {
      const re = fullRegExp(s.source, s.flags);
      got = re ? layers.filter((l) => nameMatches(re, l)) : [];
      if (!re) return [];
    }
  }
  if (got.length === 0) out.push(nothing(s, layers));
  return got;
}

function nothing(s: Selector, layers: LayerInfo[]): Diagnostic {
  const text = selectorText(s);
  if (s.kind === 'op' || s.kind === 'position') {
    const ops = [...new Set(layers.map((l) => l.op))];
    const near = nearest(
      s.op,
      ops.map((o) => o.toLowerCase()),
    );
    const help = near.length
      ? `did you mean ${near.map((n) => `'${n}'`).join(', ')}?`
      : `the model's op types are ${ops
          .map((o) => o.toLowerCase())
          .sort()
          .join(', ')}`;
    return diag('SQ401', s.span, `selector '${text}' matches nothing: the model has no ${s.op} layer`, help);
  }
  if (s.kind === 'all')
    return diag('SQ401', s.span, "selector '*' matches nothing: the model has no layer with weights");
  const probe =
    s.kind === 'glob' ? s.pattern.replace(/[*?]/g, '') : s.source.replace(/[.*+?^${}()|[\]\\]/g, '');
  // the layers a recipe acts on (weights, not BatchNormalization, which the cleanups fold away)
  const acting = layers.filter((l) => l.weightNames.length > 0 && l.op !== 'BatchNormalization');
  const names = [...acting.map((l) => l.name), ...acting.flatMap((l) => l.weightNames)].filter(Boolean);
  const near = nearestNames(probe, names);
  const quoted = (list: string[]) => list.map((n) => `"${n}"`).join(', ');
  const help = near.length
    ? `did you mean ${quoted(near)}?`
    : `the nearest layer names are ${quoted(
        closest(
          probe,
          acting.map((l) => l.name),
        ),
      )}; \`squish inspect MODEL\` lists every layer`;
  return diag('SQ401', s.span, `selector ${text} matches no layer or weight name`, help);
}

/** Distance of a probe to a name: the whole name, or its nearest path segment. */
function nameDistance(probe: string, name: string): number {
  const parts = name.split(/[/.:]/).filter(Boolean);
  return Math.min(editDistance(probe, name), ...parts.map((p) => editDistance(probe, p)));
}

/** Names close enough to be a plausible typo of the probe, nearest first. */
function nearestNames(probe: string, names: string[]): string[] {
  if (probe === '') return [];
  const direct = nearest(probe, names, 3);
  if (direct.length) return direct;
  const scored = names
    .map((n) => [n, nameDistance(probe, n)] as const)
    .filter(([, d]) => d <= Math.max(1, Math.floor(probe.length / 3)))
    .sort((a, b) => a[1] - b[1]);
  return [...new Set(scored.map(([n]) => n))].slice(0, 3);
}

/** The `k` names nearest to the probe, however far (ties: model order). */
function closest(probe: string, names: string[], k = 3): string[] {
  return names
    .map((n, i) => [n, nameDistance(probe, n), i] as const)
    .sort((a, b) => a[1] - b[1] || a[2] - b[2])
    .slice(0, k)
    .map(([n]) => n);
}

/** a OP b for the recipe comparison operators (where predicates, targets). */
export function compare(a: number, op: CmpOp, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function num(v: Value): number | undefined {
  return v.kind === 'number' ? v.value : undefined;
}

/** Does a `where` predicate hold for a layer? Missing properties make a comparison false. */
export function evalExpr(e: Expr, l: LayerInfo): boolean {
  switch (e.kind) {
    case 'and':
      return evalExpr(e.left, l) && evalExpr(e.right, l);
    case 'or':
      return evalExpr(e.left, l) || evalExpr(e.right, l);
    case 'not':
      return !evalExpr(e.operand, l);
    case 'flag':
      return e.property === 'depthwise' ? l.depthwise : false;
    case 'cmp': {
      const v = e.value;
      if (e.property === 'depthwise') {
        const want = v.kind === 'word' && v.value === 'true';
        return e.op === '!=' ? l.depthwise !== want : l.depthwise === want;
      }
      if (e.property === 'name') {
        const hit = v.kind === 'string' && globToRegExp(v.value).test(l.name);
        return e.op === '!=' ? !hit : hit;
      }
      if (e.property === 'kernel') {
        if (!l.kernel) return false;
        const [h, w] = v.kind === 'dims' ? [v.a, v.b] : [num(v), num(v)];
        const same = l.kernel[0] === h && l.kernel[1] === w;
        return e.op === '!=' ? !same : same;
      }
      const have = (l as unknown as Record<string, unknown>)[e.property];
      const want = num(v);
      if (typeof have !== 'number' || want === undefined) return false;
      return compare(have, e.op, want);
    }
  }
}

export interface StatementMatches {
  statement: Statement;
  matches: LayerInfo[];
}

/** Resolve every statement's selectors (includes inlined); `inputs` are the model's input names. */
export function resolveRecipe(
  ast: RecipeAst,
  layers: LayerInfo[],
  inputs?: string[],
): { statements: StatementMatches[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const statements: StatementMatches[] = [];
  for (const s of flattenStatements(ast)) {
    if (s.kind === 'model' && inputs) {
      for (const i of s.inputs) {
        if (!inputs.includes(i.name)) {
          const help = nearest(i.name, inputs).map((n) => `'${n}'`);
          diagnostics.push(
            diag(
              'SQ404',
              i.nameSpan,
              `the model has no input '${i.name}'`,
              help.length ? `did you mean ${help.join(', ')}?` : `its inputs are ${inputs.join(', ')}`,
            ),
          );
        }
      }
    }
    if (!('selectors' in s) || !s.selectors) continue;
    const r = resolveSelectors(s.selectors, layers, 'where' in s ? s.where : undefined);
    diagnostics.push(...r.diagnostics);
    statements.push({ statement: s, matches: r.matches });
  }
  return { statements, diagnostics };
}
