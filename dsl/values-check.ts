// One option value against its value spec: kinds, units, bounds, enum words, ranges (search spaces
// or intervals), the bits ladder; and the plain-words description of a spec for messages and docs.
import type { Option, Value } from './ast.ts';
import { type Diagnostic, diag } from './diagnostics.ts';
import { didYouMean } from './suggest.ts';
import type { Bounds, OptionSpec, ValueSpec } from './table/types.ts';
import { valueText } from './values.ts';

export function checkValue(out: Diagnostic[], o: Option, vs: ValueSpec, v: Value, spec: OptionSpec): void {
  const bad = (msg: string): void => {
    out.push(diag('SQ302', v.span, msg, `e.g. ${spec.example}`));
  };
  if (v.kind === 'number' && v.unit === 'bad') return; // already reported
  if (vs.type === 'bits') {
    checkBits(out, o, vs.ladder, v, spec);
    return;
  }
  if (v.kind === 'range') {
    if (!('range' in vs && vs.range)) {
      bad(`'${o.name}' does not take a range`);
      return;
    }
    checkValue(out, o, vs, v.lo, spec);
    checkValue(out, o, vs, v.hi, spec);
    if (v.lo.kind === 'number' && v.hi.kind === 'number' && v.lo.value >= v.hi.value)
      out.push(diag('SQ303', v.span, `range ${valueText(v)} is empty or reversed`, 'write low..high'));
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
      if (v.kind !== 'string') bad(`'${o.name}' takes ${vs.what}`);
      else if (v.value === '') bad(`'${o.name}' is empty`);
      return;
    case 'block':
      if (v.kind !== 'block') bad(`'${o.name}' takes a block { … }`);
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
    default:
      checkNumber(out, o, vs, v, spec);
  }
}

/** Numbers: the unit the spec wants, whole or not, and its bounds (or the values it allows). */
function checkNumber(out: Diagnostic[], o: Option, vs: ValueSpec, v: Value, spec: OptionSpec): void {
  const bad = (msg: string): void => {
    out.push(diag('SQ302', v.span, msg, `e.g. ${spec.example}`));
  };
  const outside = (b: Bounds, value: number, shown: string): void => {
    if (inBounds(b, value)) return;
    out.push(diag('SQ303', v.span, `'${o.name}' must be ${boundsText(b)}, got ${shown}`));
  };
  switch (vs.type) {
    case 'duration':
      if (v.kind !== 'number' || v.unit !== 'seconds')
        bad(`'${o.name}' takes a duration such as 90s, 10m or 1h`);
      else outside({ gt: 0 }, v.value, v.text);
      return;
    case 'real':
      if (v.kind !== 'number' || !(v.unit === '' || (vs.percent && v.unit === '%'))) {
        bad(`'${o.name}' takes a number`);
        return;
      }
      outside(vs, v.value, v.text);
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
      if (vs.oneOf && !vs.oneOf.includes(v.value))
        out.push(diag('SQ303', v.span, `'${o.name}' must be one of ${vs.oneOf.join(', ')}, got ${v.value}`));
      else outside(vs, v.value, String(v.value));
      return;
    }
    case 'percent': {
      if (v.kind !== 'number' || v.unit !== '%') {
        bad(`'${o.name}' takes a percentage such as ${spec.example.split(' ').pop()}`);
        return;
      }
      if (!inBounds(vs, v.value)) outside(vs, v.value, v.text);
      else if (v.value === 0 && !vs.zeroOk)
        out.push(
          diag('SQ320', v.span, `'${o.name} 0%' does nothing`, 'remove the statement or raise the value'),
        );
    }
  }
}

/** `bits`: a rung of the ladder (8, 4, 2), or a range over it (2..8, binary..8), low..high. */
function checkBits(
  out: Diagnostic[],
  o: Option,
  ladder: (number | string)[],
  v: Value,
  spec: OptionSpec,
): void {
  const numbers = ladder.filter((r) => typeof r === 'number');
  const words = ladder.filter((r) => typeof r === 'string');
  const rung = (x: Value): number =>
    ladder.findIndex((r) => (x.kind === 'number' ? r === x.value : x.kind === 'word' && r === x.value));
  const one = (x: Value): boolean => {
    if (x.kind === 'number' && x.unit === 'bad') return false;
    if (rung(x) >= 0) return true;
    out.push(
      diag(
        x.kind === 'number' ? 'SQ303' : 'SQ302',
        x.span,
        `'${o.name}' must be one of ${numbers.join(', ')}${words.length ? ` (a range may also reach ${words.join(', ')})` : ''}, got ${valueText(x)}`,
        `e.g. ${spec.example}, or bits 2..8`,
      ),
    );
    return false;
  };
  if (v.kind === 'range') {
    if (one(v.lo) && one(v.hi) && rung(v.lo) >= rung(v.hi))
      out.push(
        diag(
          'SQ303',
          v.span,
          `range ${valueText(v)} is empty or reversed`,
          `write low..high on the ladder ${ladder.join(' < ')}`,
        ),
      );
    return;
  }
  if (v.kind === 'word' && words.includes(v.value)) {
    out.push(
      diag(
        'SQ302',
        v.span,
        `'${o.name} ${v.value}' is written '${v.value}' alone`,
        `e.g. quantize weights of conv { ${v.value} }`,
      ),
    );
    return;
  }
  one(v);
}

export function inBounds(b: Bounds, x: number): boolean {
  return (
    (b.gt === undefined || x > b.gt) &&
    (b.ge === undefined || x >= b.ge) &&
    (b.lt === undefined || x < b.lt) &&
    (b.le === undefined || x <= b.le)
  );
}

/** `> 0`, `between 7 and 23`, `≥ 0 and < 100`. */
export function boundsText(b: Bounds): string {
  if (b.ge !== undefined && b.le !== undefined) return `between ${b.ge} and ${b.le}`;
  const parts: string[] = [];
  if (b.gt !== undefined) parts.push(`> ${b.gt}`);
  if (b.ge !== undefined) parts.push(`≥ ${b.ge}`);
  if (b.lt !== undefined) parts.push(`< ${b.lt}`);
  if (b.le !== undefined) parts.push(`≤ ${b.le}`);
  return parts.join(' and ') || 'a number';
}

/** What a spec takes, in words: `'bits' takes 8|4|2 or a range`. */
export function describeSpec(spec: OptionSpec): string {
  const one = (f: ValueSpec[]) => (f.length === 0 ? 'no value' : f.map(valueSpecText).join(' '));
  return spec.forms.map(one).join(' or ');
}

export function valueSpecText(v: ValueSpec): string {
  switch (v.type) {
    case 'keyword':
      return v.word;
    case 'enum':
      return v.words.join('|');
    case 'bits':
      return `${v.ladder.filter((r) => typeof r === 'number').join('|')} or a range`;
    case 'string':
      return v.what;
    case 'block':
      return '{ … }';
    default:
      return v.type;
  }
}
