// Meaning of numeric literals: units %, k/M/G (×1000), B/KB/MB/GB (×1000), KiB/MiB/GiB (×1024),
// ms/s/m/min/h (seconds), WxH, N:M.
import type { Option, Value } from './ast.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import type { Span } from './span.ts';
import { didYouMean } from './suggest.ts';

const COUNT: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9 };
const BYTES: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const SECONDS: Record<string, number> = { ms: 1e-3, s: 1, m: 60, min: 60, h: 3600 };
export const UNITS = ['%', ...Object.keys(COUNT), ...Object.keys(BYTES), ...Object.keys(SECONDS)];

/** A Number token's text → Value; a unit that is not ours → diagnostic and unit 'bad'. */
export function numberValue(text: string, span: Span, diagnostics: Diagnostic[]): Value {
  let m = /^(\d+)x(\d+)$/.exec(text);
  if (m) return { kind: 'dims', text, a: Number(m[1]), b: Number(m[2]), span };
  m = /^(\d+):(\d+)$/.exec(text);
  if (m) return { kind: 'ratio', text, n: Number(m[1]), m: Number(m[2]), span };
  m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(.*)$/.exec(text);
  const num = Number(m?.[1] ?? Number.NaN);
  const unit = m?.[2] ?? text;
  if (unit === '') return { kind: 'number', text, value: num, unit: '', span };
  if (unit === '%') return { kind: 'number', text, value: num, unit: '%', span };
  if (unit in COUNT) return { kind: 'number', text, value: num * COUNT[unit]!, unit: 'count', span };
  if (unit in BYTES) return { kind: 'number', text, value: num * BYTES[unit]!, unit: 'bytes', span };
  if (unit in SECONDS) return { kind: 'number', text, value: num * SECONDS[unit]!, unit: 'seconds', span };
  const unitSpan = {
    ...span,
    offset: span.offset + (m?.[1]?.length ?? 0),
    column: span.column + (m?.[1]?.length ?? 0),
  };
  unitSpan.length = span.length - (unitSpan.offset - span.offset);
  const hint =
    /^[x:]/.test(unit) || /x|:/.test(text)
      ? 'sizes are written WxH (3x3) and ratios N:M (2:4), whole numbers only'
      : (didYouMean(unit, UNITS) ?? `units are ${UNITS.join(' ')}`);
  diagnostics.push(diag('SQ304', unitSpan, `unknown unit '${unit}' in '${text}'`, hint));
  return { kind: 'number', text, value: num, unit: 'bad', span };
}

/** Source text of a value, as the formatter prints it. */
export function valueText(v: Value): string {
  switch (v.kind) {
    case 'number':
    case 'dims':
    case 'ratio':
      return v.text;
    case 'range':
      return `${valueText(v.lo)}..${valueText(v.hi)}`;
    case 'string':
      return quote(v.value);
    case 'word':
      return v.value;
    case 'list':
      return `[${v.items.map(valueText).join(', ')}]`;
    case 'block':
      return v.options.length ? `{ ${v.options.map(optionText).join('  ')} }` : '{}';
  }
}

/** An option as one line: `name value…`. */
export function optionText(o: Option): string {
  return [o.name, ...o.values.map(valueText)].join(' ');
}

export function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The content of a string literal (with or without its closing quote). */
export function unquote(image: string): string {
  let body = image.slice(1);
  if (body.endsWith('"') && !body.endsWith('\\"')) body = body.slice(0, -1);
  else if (body.endsWith('"') && /(^|[^\\])(\\\\)*"$/.test(body)) body = body.slice(0, -1);
  return body.replace(/\\(.)/g, '$1');
}
