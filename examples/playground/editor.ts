// The playground's recipe editor: CodeMirror with the recipe's diagnostics underlined as you type
// (the API's checkRecipe, with the dropped model when there is one) and a small highlighter.
import { StreamLanguage } from '@codemirror/language';
import { type Diagnostic as CmDiagnostic, linter, lintGutter } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { checkRecipe } from '../../compiler/api.ts';
import type { Diagnostic } from '../../dsl/diagnostics.ts';
import { STATEMENT_KEYWORDS } from '../../dsl/table/index.ts';

const KEYWORDS = new Set(STATEMENT_KEYWORDS);

const recipeLanguage = StreamLanguage.define<null>({
  name: 'squish',
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match('#')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^"[^"]*"?/)) return 'string';
    if (stream.match(/^-?\d[\w.%:]*(\.\.[\w.%]+)?/)) return 'number';
    if (stream.match(/^[a-z][\w-]*/i)) {
      const word = stream.current();
      const first = stream.string.slice(0, stream.start).trim() === '';
      if (first && KEYWORDS.has(word)) return 'keyword';
      return word === 'of' || word === 'where' ? 'operatorKeyword' : first ? 'propertyName' : null;
    }
    stream.next();
    return null;
  },
});

export interface RecipeEditor {
  view: EditorView;
  text: () => string;
  /** The diagnostics of the last check (what the editor underlines). */
  diagnostics: () => Diagnostic[];
}

/** An editor in `parent`; `model` gives the dropped model's bytes (or undefined) at check time. */
export function recipeEditor(
  parent: HTMLElement,
  initial: string,
  recipeFile: () => string,
  model: () => Uint8Array | undefined,
  onChecked: (diagnostics: Diagnostic[]) => void,
): RecipeEditor {
  let last: Diagnostic[] = [];
  const lint = linter(
    (view): CmDiagnostic[] => {
      const text = view.state.doc.toString();
      const m = model();
      let found: Diagnostic[];
      try {
        found = checkRecipe(text, { recipeFile: recipeFile(), model: m }).diagnostics;
      } catch {
        found = checkRecipe(text, { recipeFile: recipeFile() }).diagnostics;
      }
      last = found.filter((d) => d.span.file === recipeFile());
      onChecked(last);
      return last.map((d) => ({
        from: Math.min(d.span.offset, text.length),
        to: Math.min(d.span.offset + Math.max(1, d.span.length), text.length),
        severity: d.severity,
        source: d.code,
        message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
      }));
    },
    { delay: 250 },
  );
  const view = new EditorView({
    doc: initial,
    parent,
    extensions: [basicSetup, recipeLanguage, lint, lintGutter()],
  });
  return { view, text: () => view.state.doc.toString(), diagnostics: () => last };
}
