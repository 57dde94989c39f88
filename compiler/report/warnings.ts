// The passes' skip warnings (`FILE:LINE: ACTION skipped LAYER[ (OP)]: WHY`, one per layer) collapsed
// into one line per statement for the terminal: how many of the layers it selects were skipped and
// why, with the first few names. Other warnings pass through in place.

const SKIP = /^(.*?:\d+): (.+?) skipped (\S+)(?: \([^)]*\))?: (.+)$/;
const NAMES_SHOWN = 3;
const REASONS_SHOWN = 3;

interface Skip {
  layer: string;
  reason: string;
}

/**
 * One line per statement with two or more skipped layers; `selected(from, action)` is how many
 * layers that statement selects (from the plan), when known.
 */
export function collapseSkips(
  lines: readonly string[],
  selected: (from: string, action: string) => number | undefined = () => undefined,
): string[] {
  const groups = new Map<string, { from: string; action: string; skips: Skip[]; line: string }>();
  const order: (string | { key: string })[] = [];
  for (const line of lines) {
    const m = SKIP.exec(line);
    if (!m) {
      order.push(line);
      continue;
    }
    const [, from, action, layer, reason] = m as unknown as [string, string, string, string, string];
    const key = `${from}\0${action}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, (g = { from, action, skips: [], line }));
      order.push({ key });
    }
    g.skips.push({ layer, reason: kindOf(reason) });
  }
  return order.map((o) => {
    if (typeof o === 'string') return o;
    const g = groups.get(o.key)!;
    return g.skips.length === 1 ? g.line : summaryLine(g.from, g.action, g.skips, selected(g.from, g.action));
  });
}

/** A reason without its figures (ranks, sizes, what was kept), so layers skipped alike count together. */
function kindOf(reason: string): string {
  return reason
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/;.*$/, '')
    .replace(/\d+(\.\d+)?/g, '…')
    .trim();
}

function summaryLine(from: string, action: string, skips: Skip[], of: number | undefined): string {
  const byReason = new Map<string, string[]>();
  for (const s of skips) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.layer]);
  const reasons = [...byReason].sort((a, b) => b[1].length - a[1].length);
  const shown = reasons.slice(0, REASONS_SHOWN).map(([reason, layers]) => {
    const names = layers.slice(0, NAMES_SHOWN).join(', ') + (layers.length > NAMES_SHOWN ? ', …' : '');
    return `${layers.length} ${reason} (${names})`;
  });
  const rest = reasons.length - shown.length;
  const more = rest > 0 ? `; ${rest} more reason${rest === 1 ? '' : 's'} (--verbose lists every layer)` : '';
  const total = of === undefined ? '' : ` of the ${of} it selects`;
  return `${from}: ${action} skipped ${skips.length} layers${total} — ${shown.join('; ')}${more}`;
}

/** collapseSkips with each statement's count of selected layers read from the plan's statements; each
 * line also goes to `emit` when given. */
export function skipSummary(
  lines: readonly string[],
  statements: readonly { from: string; statement: string; selected?: number }[],
  emit?: (line: string) => void,
): string[] {
  const out = collapseSkips(
    lines,
    (from, action) => statements.find((s) => s.from === from && s.statement === action)?.selected,
  );
  for (const line of out) emit?.(line);
  return out;
}
