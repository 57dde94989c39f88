// Reading the report's optional curves — the search's frontier, per-layer sensitivity, the training
// loss — as plottable points. Their sections are written by other passes (ARCHITECTURE.md "Report
// additions"); the HTML report reads them leniently: a curve is an array of numbers (x = index), an
// array of objects (x and y picked by name, else the first numeric fields) or a record of
// value → number (a sensitivity keyed by candidate).

export interface Point {
  x: number;
  y: number;
  /** The candidate's own label when x is not a number (`int4`, `binary`). */
  label?: string;
}

export interface Series {
  name: string;
  xKey: string;
  yKey: string;
  points: Point[];
}

type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The first key of `preferred` an object holds a number under, else its first numeric key not in `not`. */
function pickKey(o: Obj, preferred: readonly string[], not: readonly string[] = []): string | undefined {
  return (
    preferred.find((k) => isNum(o[k])) ??
    Object.keys(o).find((k) => isNum(o[k]) && !not.includes(k) && !preferred.includes(k))
  );
}

/** Points of one curve; `names` says which fields to prefer for x and for y. */
export function readCurve(
  v: unknown,
  names: { x: readonly string[]; y: readonly string[] },
): { xKey: string; yKey: string; points: Point[] } | undefined {
  if (Array.isArray(v)) {
    if (v.every(isNum))
      return { xKey: 'index', yKey: names.y[0] ?? 'value', points: v.map((y, x) => ({ x, y })) };
    const objs = v.filter(isObj);
    if (!objs.length) return undefined;
    const xKey = pickKey(objs[0]!, names.x, names.y);
    const yKey = xKey && pickKey(objs[0]!, names.y, [xKey, ...names.x]);
    if (!xKey || !yKey) return undefined;
    const points = objs
      .filter((o) => isNum(o[xKey]) && isNum(o[yKey]))
      .map((o) => ({ x: o[xKey] as number, y: o[yKey] as number }));
    return { xKey, yKey, points };
  }
  if (isObj(v)) {
    const entries = Object.entries(v).filter(([, y]) => isNum(y)) as [string, number][];
    if (!entries.length) return undefined;
    const numeric = entries.every(([k]) => Number.isFinite(Number(k)));
    const points = entries.map(([k, y], i) => (numeric ? { x: Number(k), y } : { x: i, y, label: k }));
    return { xKey: names.x[0] ?? 'value', yKey: names.y[0] ?? 'value', points };
  }
  return undefined;
}

/** Every numeric field of the objects in a curve other than `xKey` whose name matches `keep`, as series. */
export function readCurves(v: unknown, xNames: readonly string[], keep: RegExp): Series[] {
  if (!Array.isArray(v)) return [];
  if (v.every(isNum))
    return [{ name: 'loss', xKey: 'step', yKey: 'loss', points: v.map((y, x) => ({ x, y })) }];
  const objs = v.filter(isObj);
  if (!objs.length) return [];
  const xKey = pickKey(objs[0]!, xNames) ?? 'index';
  const keys = new Set<string>();
  for (const o of objs)
    for (const k of Object.keys(o)) if (k !== xKey && keep.test(k) && isNum(o[k])) keys.add(k);
  return [...keys].map((k) => ({
    name: k,
    xKey,
    yKey: k,
    points: objs
      .map((o, i) => ({ x: xKey === 'index' ? i : (o[xKey] as number), y: o[k] as number }))
      .filter((p) => isNum(p.x) && isNum(p.y)),
  }));
}

/** The first field of `o` among `names` that holds an array or a record. */
export function field(o: Obj, names: readonly string[]): unknown {
  for (const n of names) if (Array.isArray(o[n]) || isObj(o[n])) return o[n];
  return undefined;
}

/** A scalar of a section shown as it is: numbers, strings and booleans; others skipped. */
export function scalars(o: Obj, skip: readonly string[] = []): [string, string | number | boolean][] {
  return Object.entries(o).filter(
    ([k, v]) =>
      !skip.includes(k) && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'),
  ) as [string, string | number | boolean][];
}
