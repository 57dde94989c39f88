// Model-free checks: options and their values, units and ranges, contradictions, duplicates, selectors, where, targets.
import { flattenStatements, type Option, type RecipeAst, type Statement, type Value } from './ast.ts';
import { checkSelectors, checkTarget, checkWhere } from './check-parts.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import { BLOCK_TITLE, type BlockKind, DTYPES, type OptionSpec, SCHEMA, type ValueSpec } from './schema.ts';
import { didYouMean } from './suggest.ts';
import { valueText } from './values.ts';

/** Every model-free problem in a parsed recipe (includes inlined). */
export function checkAst(ast: RecipeAst): Diagnostic[] {
  const out: Diagnostic[] = [];
  const statements = flattenStatements(ast);
  const seen = new Map<string, Statement>();
  const once = (key: string, s: Statement, what: string) => {
    const prev = seen.get(key);
    if (prev)
      out.push(
        diag(
          'SQ307',
          s.keywordSpan,
          `${what} is given twice (first at ${prev.span.file}:${prev.span.line})`,
          'keep one of them',
        ),
      );
    else seen.set(key, s);
  };
  const inputs = new Map<string, number>();
  for (const s of statements) {
    switch (s.kind) {
      case 'recipe':
        once('recipe', s, 'the recipe name');
        if (s.name.trim() === '') out.push(diag('SQ302', s.span, 'the recipe name is empty'));
        break;
      case 'include':
        break;
      case 'model':
        for (const i of s.inputs) {
          if (inputs.has(i.name)) out.push(diag('SQ307', i.nameSpan, `input '${i.name}' is declared twice`));
          inputs.set(i.name, 1);
          if (!DTYPES.includes(i.dtype)) {
            out.push(
              diag(
                'SQ315',
                i.dtypeSpan,
                `unknown dtype '${i.dtype}'`,
                didYouMean(i.dtype, DTYPES) ?? `dtypes are ${DTYPES.join(', ')}`,
              ),
            );
          }
        }
        break;
      case 'calibrate':
        once('calibrate', s, 'the calibrate block');
        checkOptions(out, s.options, 'calibrate');
        break;
      case 'output':
        once('output', s, 'the output block');
        checkOptions(out, s.options, 'output');
        break;
      case 'cleanup':
        once('cleanup', s, 'cleanup');
        if (s.mode !== 'none')
          out.push(
            diag(
              'SQ316',
              s.modeSpan,
              `unknown cleanup mode '${s.mode}'`,
              "the only mode is 'none' (cleanups run unless turned off)",
            ),
          );
        break;
      case 'target':
        checkTarget(out, s);
        once(`target ${s.metric} ${s.op}`, s, `target ${s.metric} ${s.op}`);
        break;
      case 'keep':
        checkSelectors(out, s.selectors);
        if (s.where) checkWhere(out, s.where);
        break;
      default: {
        if (s.selectors) checkSelectors(out, s.selectors);
        if (s.where) checkWhere(out, s.where);
        const kind: BlockKind =
          s.kind === 'quantize'
            ? s.what === 'weights'
              ? 'quantize-weights'
              : 'quantize-activations'
            : s.kind;
        if (s.options) checkOptions(out, s.options, kind);
        if (s.kind === 'prune') checkPrune(out, s);
      }
    }
  }
  return out;
}

function checkPrune(out: Diagnostic[], s: Statement & { kind: 'prune' }): void {
  const g = s.granularity;
  if (g.kind === 'unknown') {
    const words = ['layers', 'channels', 'filters', 'kernels', 'blocks', 'weights'];
    out.push(
      diag(
        'SQ308',
        g.span,
        `unknown granularity '${g.word}'`,
        didYouMean(g.word.split(' ')[0]!, words) ??
          `write one of ${words.join(', ')}, blocks RxC or N:M (2:4)`,
      ),
    );
  } else if (g.kind === 'nm' && (g.n < 1 || g.n >= g.m)) {
    out.push(
      diag(
        'SQ303',
        g.span,
        `N:M pruning needs 1 <= N < M, got ${g.text}`,
        'e.g. 2:4 keeps 2 of every 4 weights',
      ),
    );
  } else if (g.kind === 'blocks' && (g.r < 1 || g.c < 1)) {
    out.push(diag('SQ303', g.span, `block size ${g.text} must be at least 1x1`));
  }
  for (const o of s.options ?? []) {
    if (o.name === 'round' && g.kind !== 'channels') {
      out.push(
        diag('SQ317', o.nameSpan, `'round' only applies to channel pruning`, 'remove it or prune channels'),
      );
    }
    if (o.name === 'sparsity' && g.kind === 'nm') {
      out.push(
        diag(
          'SQ317',
          o.nameSpan,
          `'sparsity' has no effect with ${g.text}: N:M fixes the sparsity at ${((1 - g.n / g.m) * 100).toFixed(0)}%`,
          'remove it',
        ),
      );
    }
  }
}

function checkOptions(out: Diagnostic[], options: Option[], kind: BlockKind): void {
  const specs = SCHEMA[kind];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const given = new Map<string, Option>();
  for (const o of options) {
    const spec = byName.get(o.name);
    if (!spec) {
      const elsewhere = (Object.keys(SCHEMA) as BlockKind[]).filter((k) =>
        SCHEMA[k].some((s) => s.name === o.name),
      );
      const help =
        didYouMean(o.name, byName.keys()) ??
        (elsewhere.length
          ? `'${o.name}' belongs in ${elsewhere.map((k) => BLOCK_TITLE[k]).join(' or ')}`
          : `options here are ${[...byName.keys()].join(', ')}`);
      out.push(diag('SQ301', o.nameSpan, `unknown option '${o.name}' in ${BLOCK_TITLE[kind]}`, help));
      continue;
    }
    const prev = given.get(o.name);
    if (prev) {
      out.push(
        diag(
          'SQ306',
          o.nameSpan,
          `option '${o.name}' is given twice (first on line ${prev.nameSpan.line})`,
          'keep one of them',
        ),
      );
      continue;
    }
    given.set(o.name, o);
    checkValues(out, o, spec);
  }
  for (const o of given.values()) {
    const spec = byName.get(o.name)!;
    for (const c of spec.conflicts ?? []) {
      const other = given.get(c);
      if (other && other.span.offset < o.span.offset) {
        out.push(
          diag(
            'SQ305',
            o.nameSpan,
            `'${o.name}' contradicts '${c}' (line ${other.nameSpan.line})`,
            'keep one of them',
          ),
        );
      }
    }
  }
}

function checkValues(out: Diagnostic[], o: Option, spec: OptionSpec): void {
  const form =
    spec.forms.find((f) => f.length === o.values.length && fits(f, o.values)) ??
    spec.forms.find((f) => f.length === o.values.length);
  if (!form) {
    const where = o.values.length > 0 ? o.values[0]!.span : o.nameSpan;
    const n = o.values.length;
    out.push(
      diag(
        'SQ302',
        where,
        `'${o.name}' takes ${describe(spec)}, got ${n === 0 ? 'nothing' : `${n} value${n > 1 ? 's' : ''}`}`,
        `e.g. ${spec.example}`,
      ),
    );
    return;
  }
  form.forEach((vs, i) => {
    checkValue(out, o, vs, o.values[i]!, spec);
  });
}

function fits(form: ValueSpec[], values: Value[]): boolean {
  return form.every((vs, i) => {
    const v = values[i]!;
    if (vs.type === 'keyword') return v.kind === 'word' && v.value === vs.word;
    if (vs.type === 'percent') return numberOf(v, '%');
    if (vs.type === 'int') return numberOf(v, '');
    return true;
  });
}

function numberOf(v: Value, unit: string): boolean {
  if (v.kind === 'range') return numberOf(v.lo, unit) && numberOf(v.hi, unit);
  return v.kind === 'number' && v.unit === unit;
}

function describe(spec: OptionSpec): string {
  const one = (f: ValueSpec[]) =>
    f.length === 0
      ? 'no value'
      : f
          .map((v) => (v.type === 'keyword' ? v.word : v.type === 'enum' ? v.words.join('|') : v.type))
          .join(' ');
  return spec.forms.map(one).join(' or ');
}

function checkValue(out: Diagnostic[], o: Option, vs: ValueSpec, v: Value, spec: OptionSpec): void {
  const bad = (msg: string): void => {
    out.push(diag('SQ302', v.span, msg, `e.g. ${spec.example}`));
  };
  if (v.kind === 'number' && v.unit === 'bad') return; // already reported
  if (v.kind === 'range') {
    if (!('range' in vs && vs.range)) {
      bad(`'${o.name}' does not take a range`);
      return;
    }
    checkValue(out, o, vs, v.lo, spec);
    checkValue(out, o, vs, v.hi, spec);
    if (v.lo.kind === 'number' && v.hi.kind === 'number' && v.lo.value >= v.hi.value) {
      out.push(diag('SQ303', v.span, `range ${valueText(v)} is empty or reversed`, 'write low..high'));
    }
    return;
  }
  switch (vs.type) {
    case 'keyword':
      if (v.kind !== 'word' || v.value !== vs.word)
        bad(`expected '${vs.word}' here, found '${valueText(v)}'`);
      return;
    case 'enum':
      if (v.kind !== 'word' || !vs.words.includes(v.value)) {
        const text = valueText(v);
        out.push(
          diag(
            'SQ316',
            v.span,
            `'${o.name}' cannot be '${text}'`,
            didYouMean(text, vs.words) ?? `choose one of ${vs.words.join(', ')}`,
          ),
        );
      }
      return;
    case 'string':
      if (v.kind !== 'string') bad(`'${o.name}' takes a quoted path or glob`);
      else if (v.value === '') bad(`'${o.name}' is empty`);
      return;
    case 'dims':
      if (v.kind !== 'dims') bad(`'${o.name}' takes a size WxH`);
      else if (v.a < 1 || v.b < 1) out.push(diag('SQ303', v.span, `size ${v.text} must be at least 1x1`));
      return;
    case 'scalars': {
      const items = v.kind === 'list' ? v.items : [v];
      if (items.length === 0 || items.some((x) => x.kind !== 'number' || x.unit !== '')) {
        bad('expected a number or a list of numbers');
        return;
      }
      if (vs.positive && items.some((x) => x.kind === 'number' && x.value <= 0))
        out.push(diag('SQ303', v.span, 'std must be greater than 0'));
      return;
    }
    case 'real':
      if (v.kind !== 'number' || (v.unit !== '' && v.unit !== '%')) {
        bad(`'${o.name}' takes a number`);
        return;
      }
      if (v.value <= vs.min || v.value > vs.max)
        out.push(diag('SQ303', v.span, `'${o.name}' must be in (${vs.min}, ${vs.max}], got ${v.text}`));
      return;
    case 'count':
      if (v.kind !== 'number' || (v.unit !== '' && v.unit !== 'count'))
        bad(`'${o.name}' takes a count such as 8 or 64k`);
      return;
    case 'int': {
      if (v.kind !== 'number' || v.unit !== '' || !Number.isInteger(v.value)) {
        bad(`'${o.name}' takes a whole number`);
        return;
      }
      if (vs.oneOf && !vs.oneOf.includes(v.value)) {
        const extra = o.name === 'bits' && vs.oneOf.includes(2) ? ' (or binary / ternary)' : '';
        out.push(
          diag('SQ303', v.span, `'${o.name}' must be one of ${vs.oneOf.join(', ')}${extra}, got ${v.value}`),
        );
      } else if (v.value < vs.min || (vs.max !== undefined && v.value > vs.max)) {
        out.push(
          diag('SQ303', v.span, `'${o.name}' must be between ${vs.min} and ${vs.max ?? '∞'}, got ${v.value}`),
        );
      }
      return;
    }
    case 'percent': {
      if (v.kind !== 'number' || v.unit !== '%') {
        bad(`'${o.name}' takes a percentage such as ${spec.example.split(' ').pop()}`);
        return;
      }
      const over = vs.maxExclusive ? v.value >= vs.max : v.value > vs.max;
      if (v.value < vs.min || over) {
        out.push(
          diag(
            'SQ303',
            v.span,
            `'${o.name}' must be ${vs.min}%..${vs.max}%${vs.maxExclusive ? ' (exclusive)' : ''}, got ${v.text}`,
          ),
        );
      } else if (v.value === 0) {
        out.push(
          diag('SQ320', v.span, `'${o.name} 0%' does nothing`, 'remove the statement or raise the value'),
        );
      }
    }
  }
}
