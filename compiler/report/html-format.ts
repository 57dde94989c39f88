// Text helpers of the HTML report: escaping for HTML and for inline scripts, and the way numbers,
// bytes, ratios and target values are shown.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or an attribute value made safe for HTML. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON for a `<script type="application/json">`: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** JavaScript source for an inline `<script>`: a `</script` inside it (a string, a regex) cannot end it. */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** 1234567 → "1,234,567". */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes as B, KB, MB (decimal units, as `target size <= 200KB` reads them). */
export function bytes(n: number): string {
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)} KB`;
  return `${n} B`;
}

/** A count in k/M/G (FLOPs, params). */
export function count(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** after / before as a percentage of before, "n/a" when before is 0. */
export function share(after: number, before: number): string {
  return before ? `${((after / before) * 100).toFixed(1)}%` : 'n/a';
}

/** A share in 0..1 as a percentage. */
export function percent(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** A small float the way the CLI prints it: fixed for ordinary sizes, exponent for tiny or huge. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '∞';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(2);
  return Number(x.toFixed(digits)).toString();
}

/** Milliseconds as ms, s or min. */
export function duration(ms: number): string {
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}
