// The diagnostics catalog (stable codes) and the renderer: file:line:col: error[CODE]: message + code frame.
import type { Span } from './span.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  span: Span;
  help?: string;
}

/** Every diagnostic squish's recipe front end can report. Codes are stable: never renumber. */
export const CATALOG = {
  SQ101: { severity: 'error', title: 'unexpected character' },
  SQ102: { severity: 'error', title: 'unterminated string' },
  SQ103: { severity: 'error', title: 'unterminated regex' },
  SQ104: { severity: 'error', title: 'invalid regex' },
  SQ105: { severity: 'error', title: 'nesting too deep' },
  SQ106: { severity: 'error', title: 'input is not text' },
  SQ201: { severity: 'error', title: 'syntax error' },
  SQ202: { severity: 'error', title: 'unknown statement' },
  SQ301: { severity: 'error', title: 'unknown option' },
  SQ302: { severity: 'error', title: 'wrong value for option' },
  SQ303: { severity: 'error', title: 'value out of range' },
  SQ304: { severity: 'error', title: 'unknown unit' },
  SQ305: { severity: 'error', title: 'contradicting options' },
  SQ306: { severity: 'error', title: 'duplicate option' },
  SQ307: { severity: 'error', title: 'duplicate statement' },
  SQ308: { severity: 'error', title: 'unknown granularity' },
  SQ309: { severity: 'error', title: 'unknown op type' },
  SQ310: { severity: 'error', title: 'unknown property in where' },
  SQ311: { severity: 'error', title: 'wrong comparison in where' },
  SQ312: { severity: 'error', title: 'unknown target metric' },
  SQ313: { severity: 'error', title: 'wrong target value' },
  SQ314: { severity: 'error', title: 'invalid position' },
  SQ315: { severity: 'error', title: 'invalid input declaration' },
  SQ316: { severity: 'error', title: 'unknown word in value' },
  SQ317: { severity: 'warning', title: 'option has no effect' },
  SQ318: { severity: 'error', title: 'include failed' },
  SQ319: { severity: 'error', title: 'include cycle' },
  SQ320: { severity: 'warning', title: 'suspicious value' },
  SQ321: { severity: 'error', title: 'option needs another option' },
  SQ322: { severity: 'error', title: 'needs calibration data' },
  SQ323: { severity: 'error', title: 'missing required option' },
  SQ324: { severity: 'error', title: 'option does not apply here' },
  SQ325: { severity: 'error', title: 'include too large' },
  SQ326: { severity: 'error', title: 'name needs quotes' },
  SQ327: { severity: 'error', title: 'agreement target on random data' },
  SQ328: { severity: 'error', title: 'accuracy target without labelled data' },
  SQ401: { severity: 'error', title: 'selector matches nothing' },
  SQ402: { severity: 'error', title: 'position out of range' },
  SQ403: { severity: 'warning', title: 'where matches nothing' },
  SQ404: { severity: 'error', title: 'unknown model input' },
  SQ405: { severity: 'error', title: 'option does not fit this layer' },
  SQ406: { severity: 'error', title: 'actions conflict on a layer' },
  SQ407: { severity: 'error', title: 'calibration data does not fit the model' },
  SQ408: { severity: 'error', title: 'no calibration files' },
  SQ409: { severity: 'error', title: 'output opset not possible' },
  SQ410: { severity: 'error', title: 'target not measurable on this model' },
  SQ411: { severity: 'error', title: 'teacher does not fit the model' },
  SQ412: { severity: 'error', title: 'labels do not fit the data' },
  SQ413: { severity: 'error', title: 'loss does not fit the outputs' },
  SQ414: { severity: 'error', title: 'training diverged' },
  SQ501: { severity: 'error', title: 'not available yet' },
  SQ502: { severity: 'error', title: 'target missed' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof CATALOG;

/** A word of a message longer than this (a pasted blob echoed back) is cut, with an ellipsis. */
const MAX_WORD = 60;

/** The most of a long path's last segment (its file name) that a clipped word keeps. */
const MAX_TAIL = 40;

/**
 * Messages quote what the user wrote: a very long word is shown in part (the code frame shows where).
 * A path keeps its file name (up to MAX_TAIL characters), the part that tells one file from another.
 */
function clip(text: string): string {
  return text.replace(/\S{61,}/g, (w) => {
    const slash = w.lastIndexOf('/', w.length - 2);
    const tail = slash >= 0 && w.length - slash <= MAX_TAIL ? w.length - slash : 8;
    return `${w.slice(0, MAX_WORD - 4 - tail)}…${w.slice(-tail)}`;
  });
}

export function diag(code: DiagnosticCode, span: Span, message: string, help?: string): Diagnostic {
  const d: Diagnostic = { severity: CATALOG[code].severity, code, message: clip(message), span };
  if (help) d.help = clip(help);
  return d;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/** Sort by file, then position; drop exact repeats. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds
    .filter((d) => {
      const k = `${d.span.file}\0${d.span.offset}\0${d.code}\0${d.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort(
      (a, b) =>
        (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : 0) || a.span.offset - b.span.offset,
    );
}

const MAX_FRAME = 160;

/**
 * `file:line:col: error[CODE]: message`, then the source line with a caret under the span and a
 * help line. `source` is the file's text, or a lookup for files that came in through include.
 */
export function renderDiagnostic(
  d: Diagnostic,
  source?: string | ((file: string) => string | undefined),
): string {
  const { span } = d;
  const head = `${span.file}:${span.line}:${span.column}: ${d.severity}[${d.code}]: ${d.message}`;
  const text = typeof source === 'function' ? source(span.file) : source;
  const out = [head];
  if (text !== undefined) {
    const lineStart = span.offset - (span.column - 1);
    let lineEnd = text.indexOf('\n', span.offset);
    if (lineEnd < 0) lineEnd = text.length;
    let from = Math.max(0, lineStart);
    // A long line shows a window around the span.
    if (span.offset - from > MAX_FRAME / 2) from = span.offset - Math.floor(MAX_FRAME / 2);
    const to = Math.min(lineEnd, from + MAX_FRAME);
    // a cut line says so: … where text is left out on either side
    const before = from > lineStart ? '…' : '';
    const after = to < lineEnd && text.slice(to, lineEnd).trim() !== '' ? '…' : '';
    const shown = before + printable(text.slice(from, to).replace(/\r$/, '')) + after;
    const gutter = String(span.line);
    const pad = ' '.repeat(gutter.length);
    const caretAt = span.offset - from + before.length;
    const caretLen = Math.max(1, Math.min(span.length, to - span.offset));
    out.push(`${pad} |`);
    out.push(`${gutter} | ${shown}`);
    out.push(`${pad} | ${' '.repeat(Math.max(0, caretAt))}${'^'.repeat(caretLen)}`);
  }
  if (d.help) out.push(`  = help: ${d.help}`);
  return `${out.join('\n')}\n`;
}

/** Control characters would garble a terminal: show them as spaces (one column each). */
function printable(s: string): string {
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    r += c < 32 || c === 127 ? ' ' : c >= 0xd800 && c <= 0xdfff ? '?' : s[i];
  }
  return r;
}
