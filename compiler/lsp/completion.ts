// What an editor offers at the cursor of a recipe: statement words at the start of a line, the
// option names of the block the cursor is in, target metrics after `target`, and op types and the
// model's layer names after `of`. Pure (no I/O): the language server and the playground share it.

import { statementSyntax } from '../../dsl/hover.ts';
import { PSEUDO_TYPES } from '../../dsl/onnx-ops.ts';
import { defsOf, STATEMENTS } from '../../dsl/table/index.ts';
import { TARGET_METRICS } from '../../dsl/table/settings.ts';
import type { OptionSpec } from '../../dsl/table/types.ts';

export type CompletionKind = 'statement' | 'option' | 'metric' | 'selector' | 'layer';

export interface Completion {
  label: string;
  kind: CompletionKind;
  /** One line shown beside the label. */
  detail: string;
  /** What the editor inserts (default: the label). */
  insert?: string;
}

/** Op types a selector usually names (any ONNX op type is valid; these carry weights). */
const SELECTOR_WORDS = ['conv', 'convtranspose', 'gemm', 'matmul', ...PSEUDO_TYPES, '*'];

/** The header words of the blocks open at `offset`, outermost first (comments and strings skipped). */
function openBlocks(text: string, offset: number): string[][] {
  const stack: string[][] = [];
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = text[i];
    if (c === '\n') lineStart = i + 1;
    else if (c === '#') {
      while (i + 1 < offset && text[i + 1] !== '\n') i++;
    } else if (c === '"') {
      i++;
      while (i < offset && text[i] !== '"' && text[i] !== '\n') i++;
    } else if (c === '{') stack.push(text.slice(lineStart, i).trim().split(/\s+/));
    else if (c === '}') stack.pop();
  }
  return stack;
}

/** The options of the innermost open block, or undefined at the top level. */
function blockOptions(blocks: string[][]): OptionSpec[] | undefined {
  let options: OptionSpec[] | undefined;
  for (const words of blocks) {
    const [first = '', second] = words;
    const defs = defsOf(first);
    if (defs.length) {
      const def = defs.find((d) => d.variant === second) ?? defs[0]!;
      options = def.options ?? [];
      continue;
    }
    const spec = options?.find((o) => o.name === first);
    const inner = spec?.forms.flat().find((v) => v.type === 'block');
    options = inner?.type === 'block' ? inner.options : [];
  }
  return options;
}

/** Completions at `offset` of `text`; `layers` are the model's layer names when a model is known. */
export function completionsAt(text: string, offset: number, layers: readonly string[] = []): Completion[] {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  if (before.includes('#')) return [];
  const blocks = openBlocks(text, lineStart);
  const words = before.trimStart().split(/\s+/);
  const atFirstWord = words.length === 1;
  const options = blockOptions(blocks);
  if (options) {
    if (!atFirstWord) return [];
    return options.map((o) => ({ label: o.name, kind: 'option', detail: o.doc }));
  }
  if (atFirstWord) {
    return STATEMENTS.map((d) => ({
      label: d.variant ? `${d.keyword} ${d.variant}` : d.keyword,
      kind: 'statement',
      detail: `${statementSyntax(d)} — ${d.summary}`,
    }));
  }
  if (words[0] === 'target' && words.length === 2)
    return TARGET_METRICS.map((m) => ({ label: m.name, kind: 'metric', detail: m.doc }));
  if (!words.slice(0, -1).includes('of') || words.slice(0, -1).includes('where')) return [];
  return [
    ...SELECTOR_WORDS.map(
      (w): Completion => ({
        label: w,
        kind: 'selector',
        detail: w === '*' ? 'every layer with weights' : 'op type',
      }),
    ),
    ...layers.map(
      (name): Completion => ({
        label: name,
        kind: 'layer',
        detail: 'layer of the model',
        insert: `"${name}"`,
      }),
    ),
  ];
}
