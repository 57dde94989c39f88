// Source spans: where a node or a diagnostic sits in a recipe file.

export interface Span {
  file: string;
  offset: number; // 0-based UTF-16 offset
  line: number; // 1-based
  column: number; // 1-based
  length: number;
}

/** The span that covers `a` through `b` (same file). */
export function joinSpans(a: Span, b: Span): Span {
  if (b.offset + b.length <= a.offset) return a;
  return { ...a, length: Math.max(a.length, b.offset + b.length - a.offset) };
}

/** Line and column (1-based) of an offset in a text. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: end - start + 1 };
}

/** A span for [offset, offset+length) computed from the text. */
export function spanAt(file: string, text: string, offset: number, length: number): Span {
  const o = Math.max(0, Math.min(offset, text.length));
  const { line, column } = positionAt(text, o);
  return { file, offset: o, line, column, length: Math.max(0, Math.min(length, text.length - o)) };
}

/** Line starts of a text, for many offset → line/column lookups (binary search, not a scan each). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  span(offset: number, length: number): Span {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return {
      file: this.file,
      offset: o,
      line: lo + 1,
      column: o - this.starts[lo]! + 1,
      length: Math.max(0, Math.min(length, this.text.length - o)),
    };
  }
}
