// Model-free checks, driven by the statement table: each statement's options and values (units,
// ranges, contradictions, duplicates), selectors, where, targets, its own checks, and what needs
// calibration data.
import {
  flattenStatements,
  type Option,
  type RecipeAst,
  type Statement,
  type TableStatement,
  type Value,
} from './ast.ts';
import { checkSelectors, checkTarget, checkWhere } from './check-parts.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import { didYouMean } from './suggest.ts';
import {
  type CheckContext,
  defOf,
  isTableStatement,
  type OptionSpec,
  STATEMENTS,
  statementTitle,
  type ValueSpec,
  wordOf,
} from './table/index.ts';
import { DTYPES } from './table/settings.ts';
import { checkValue, describeSpec } from './values-check.ts';

/** Every model-free problem in a parsed recipe (includes inlined). */
export function checkAst(ast: RecipeAst): Diagnostic[] {
  const out: Diagnostic[] = [];
  const statements = flattenStatements(ast);
  const tables = statements.filter(isTableStatement);
  const ctx: CheckContext = {
    out,
    has: (k) => statements.some((s) => s.kind === k),
    first: (k) => tables.find((s) => s.kind === k),
  };
  const seen = new Map<string, Statement>();
  const once = (key: string, s: Statement, what: string) => {
    const prev = seen.get(key);
    if (prev)
      out.push(
        diag(
          'SQ307',
          s.keywordSpan,
          `${what} is given twice (first at ${prev.span.file}:${prev.span.line}:${prev.span.column})`,
          'keep one of them',
        ),
      );
    else seen.set(key, s);
  };
  const inputs = new Set<string>();
  for (const s of statements) {
    const def = defOf(s);
    if (def.once) once(def.id, s, `'${statementTitle(s)}'`);
    switch (s.kind) {
      case 'recipe':
        if (s.name.trim() === '') out.push(diag('SQ302', s.span, 'the recipe name is empty'));
        break;
      case 'include':
        break;
      case 'model':
        for (const i of s.inputs) {
          if (inputs.has(i.name)) out.push(diag('SQ307', i.nameSpan, `input '${i.name}' is declared twice`));
          inputs.add(i.name);
          if (!DTYPES.includes(i.dtype))
            out.push(
              diag(
                'SQ315',
                i.dtypeSpan,
                `unknown dtype '${i.dtype}'`,
                didYouMean(i.dtype, DTYPES) ?? `dtypes are ${DTYPES.join(', ')}`,
              ),
            );
        }
        break;
      case 'cleanup': {
        const words = def.shape.words ?? [];
        if (!words.includes(s.mode))
          out.push(
            diag(
              'SQ316',
              s.modeSpan,
              `unknown cleanup mode '${s.mode}'`,
              `the only mode is '${words.join("', '")}' (cleanups run unless turned off)`,
            ),
          );
        break;
      }
      case 'target':
        checkTarget(out, s, ctx);
        once(`target ${s.metric} ${s.op}`, s, `target ${s.metric} ${s.op}`);
        break;
      default:
        checkTableStatement(s, ctx);
    }
  }
  return out;
}

function checkTableStatement(s: TableStatement, ctx: CheckContext): void {
  const def = defOf(s);
  if (s.selectors) checkSelectors(ctx.out, s.selectors);
  if (s.where) checkWhere(ctx.out, s.where);
  if (s.options)
    checkOptions(
      ctx.out,
      s.options,
      def.options ?? [],
      def.variant ? `${def.keyword} ${def.variant}` : def.keyword,
    );
  if (!ctx.has('calibrate')) {
    if (def.needsData)
      ctx.out.push(
        diag('SQ322', s.keywordSpan, `${statementTitle(s)} needs calibration data`, CALIBRATE_HELP),
      );
    for (const o of s.options ?? []) needsData(o, def.options ?? [], ctx.out);
  }
  def.check?.(s, ctx);
}

const CALIBRATE_HELP = 'add a calibrate { images "…" samples N } block (or tensors "…", or random)';

/** An option (or one of its values) that reads the calibration data, in a recipe without any. */
function needsData(o: Option, specs: OptionSpec[], out: Diagnostic[]): void {
  const spec = specs.find((x) => x.name === o.name);
  const range = o.values.find((v) => v.kind === 'range');
  if (range && spec?.forms.flat().some((v) => v.type === 'bits' || ('range' in v && v.range === 'search')))
    out.push(
      diag(
        'SQ322',
        range.span,
        `'${o.name} …' needs calibration data: a range is searched on it`,
        CALIBRATE_HELP,
      ),
    );
  const need = spec?.needsData;
  if (!need) return;
  const v = o.values[0];
  const w = wordOf(v);
  if (need === true)
    out.push(diag('SQ322', o.nameSpan, `'${o.name}' needs calibration data`, CALIBRATE_HELP));
  else if (w !== undefined && need.includes(w))
    out.push(diag('SQ322', v!.span, `'${o.name} ${w}' needs calibration data`, CALIBRATE_HELP));
}

/** Options of a block against their specs; `title` names the block in messages. */
export function checkOptions(out: Diagnostic[], options: Option[], specs: OptionSpec[], title: string): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const given = new Map<string, Option>();
  for (const o of options) {
    const spec = byName.get(o.name);
    if (!spec) {
      out.push(
        diag(
          'SQ301',
          o.nameSpan,
          `unknown option '${o.name}' in ${title}`,
          didYouMean(o.name, byName.keys()) ??
            elsewhere(o.name) ??
            `options here are ${[...byName.keys()].join(', ')}`,
        ),
      );
      continue;
    }
    const prev = given.get(o.name);
    if (prev && !spec.repeatable) {
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
    if (!prev) given.set(o.name, o);
    checkValues(out, o, spec, title);
  }
  for (const o of given.values()) {
    for (const c of byName.get(o.name)!.conflicts ?? []) {
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

/** "'x' belongs in quantize weights" when another statement (or nested block) takes the option. */
function elsewhere(name: string): string | undefined {
  const where = new Set<string>();
  const walk = (specs: OptionSpec[], title: string) => {
    for (const s of specs) {
      if (s.name === name) where.add(title);
      for (const v of s.forms.flat()) if (v.type === 'block') walk(v.options, `${title} ${s.name} { … }`);
    }
  };
  for (const d of STATEMENTS) walk(d.options ?? [], d.variant ? `${d.keyword} ${d.variant}` : d.keyword);
  return where.size ? `'${name}' belongs in ${[...where].join(' or ')}` : undefined;
}

function checkValues(out: Diagnostic[], o: Option, spec: OptionSpec, title: string): void {
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
        `'${o.name}' takes ${describeSpec(spec)}, got ${n === 0 ? 'nothing' : `${n} value${n > 1 ? 's' : ''}`}`,
        `e.g. ${spec.example}`,
      ),
    );
    return;
  }
  form.forEach((vs, i) => {
    const v = o.values[i]!;
    if (vs.type === 'block' && v.kind === 'block')
      checkOptions(out, v.options, vs.options, `${title} ${o.name}`);
    else checkValue(out, o, vs, v, spec);
  });
}

/** Whether values have the kinds a form expects (to pick among forms of the same length). */
function fits(form: ValueSpec[], values: Value[]): boolean {
  return form.every((vs, i) => {
    const v = values[i]!;
    switch (vs.type) {
      case 'keyword':
        return v.kind === 'word' && v.value === vs.word;
      case 'percent':
        return numberOf(v, '%');
      case 'int':
        return numberOf(v, '');
      case 'enum':
        return v.kind === 'word';
      case 'string':
        return v.kind === 'string';
      case 'block':
        return v.kind === 'block';
      default:
        return true;
    }
  });
}

function numberOf(v: Value, unit: string): boolean {
  if (v.kind === 'range') return numberOf(v.lo, unit) && numberOf(v.hi, unit);
  return v.kind === 'number' && v.unit === unit;
}
