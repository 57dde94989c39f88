// The recipe language server (`squish lsp --stdio`), on vscode-languageserver: diagnostics as you
// type are `squish check`'s (on the unsaved text, relative to the recipe's folder), formatting is
// `squish fmt`'s, hover shows the statement table's docs, completion offers statement words,
// option names, metrics, op types and — with a model — its layer names.
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CompletionItemKind,
  type Connection,
  DiagnosticSeverity,
  type Diagnostic as LspDiagnostic,
  MarkupKind,
  type Range,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { type Diagnostic, formatRecipe, hoverAt, parseRecipe } from '../../dsl/index.ts';
import type { Model } from '../../runtime/ir/model.ts';
import { checkRecipeText } from '../cli/commands/check.ts';
import { loadModelFile } from '../io/model-file.ts';
import { layersForRecipe } from '../select/layers.ts';
import { type CompletionKind, completionsAt } from './completion.ts';

export interface ServerOptions {
  /** An ONNX model: diagnostics are `squish check --model`'s, completion offers its layer names. */
  model?: string;
  /** Milliseconds of quiet typing before a document is checked again. */
  debounceMs?: number;
}

const KINDS: Record<CompletionKind, CompletionItemKind> = {
  statement: CompletionItemKind.Keyword,
  option: CompletionItemKind.Property,
  metric: CompletionItemKind.EnumMember,
  selector: CompletionItemKind.Class,
  layer: CompletionItemKind.Field,
};

function where(uri: string): { file: string; cwd: string; shown: string } {
  const file = uri.startsWith('file:') ? fileURLToPath(uri) : resolve(uri);
  return { file, cwd: dirname(file), shown: basename(file) };
}

/** A span of the document itself by offsets; of another (included) file by line and column. */
function rangeOf(d: Diagnostic, doc: TextDocument | undefined): Range {
  const { span } = d;
  if (doc) return { start: doc.positionAt(span.offset), end: doc.positionAt(span.offset + span.length) };
  const start = { line: span.line - 1, character: span.column - 1 };
  return { start, end: { line: start.line, character: start.character + span.length } };
}

function toLsp(d: Diagnostic, doc: TextDocument | undefined): LspDiagnostic {
  return {
    range: rangeOf(d, doc),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'squish',
    message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
  };
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();
  let modelPath = options.model;
  let model: { path: string; mtimeMs: number; model: Model } | undefined;

  const loadModel = (): Model | undefined => {
    if (!modelPath) return undefined;
    try {
      const { mtimeMs } = statSync(modelPath);
      if (model?.path !== modelPath || model.mtimeMs !== mtimeMs)
        model = { path: modelPath, mtimeMs, model: loadModelFile(modelPath) };
      return model.model;
    } catch {
      return undefined;
    }
  };

  const validate = async (doc: TextDocument): Promise<void> => {
    const { cwd, shown } = where(doc.uri);
    const version = doc.version;
    let diagnostics: Diagnostic[];
    try {
      ({ diagnostics } = await checkRecipeText(doc.getText(), shown, cwd, { model: modelPath }));
    } catch (e) {
      connection.console.error(`squish: cannot check ${doc.uri}: ${(e as Error).message}`);
      return;
    }
    if (documents.get(doc.uri)?.version !== version) return;
    const byUri = new Map<string, LspDiagnostic[]>([[doc.uri, []]]);
    for (const d of diagnostics) {
      const own = d.span.file === shown;
      const uri = own ? doc.uri : pathToFileURL(resolve(cwd, d.span.file)).href;
      byUri.set(uri, [...(byUri.get(uri) ?? []), toLsp(d, own ? doc : undefined)]);
    }
    for (const [uri, list] of byUri) await connection.sendDiagnostics({ uri, diagnostics: list });
  };

  const schedule = (doc: TextDocument) => {
    clearTimeout(timers.get(doc.uri));
    timers.set(
      doc.uri,
      setTimeout(() => {
        timers.delete(doc.uri);
        void validate(doc);
      }, options.debounceMs ?? 150),
    );
  };

  connection.onInitialize((params) => {
    const init = params.initializationOptions as { model?: unknown } | undefined;
    if (typeof init?.model === 'string') modelPath = resolve(init.model);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        documentFormattingProvider: true,
        hoverProvider: true,
        completionProvider: { triggerCharacters: [' ', '"', ','] },
      },
      serverInfo: { name: 'squish' },
    };
  });

  documents.onDidChangeContent((e) => schedule(e.document));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    const text = doc.getText();
    const r = formatRecipe(text, { file: where(doc.uri).shown });
    if (!r.ok || r.text === text) return [];
    return [{ range: { start: doc.positionAt(0), end: doc.positionAt(text.length) }, newText: r.text }];
  });

  connection.onHover(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const h = hoverAt(doc.getText(), doc.offsetAt(position), where(doc.uri).shown);
    if (!h) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: h.markdown },
      range: { start: doc.positionAt(h.span.offset), end: doc.positionAt(h.span.offset + h.span.length) },
    };
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    const text = doc.getText();
    const m = loadModel();
    const layers = m ? layersForRecipe(m, parseRecipe(text).ast).map((l) => l.name) : [];
    return completionsAt(text, doc.offsetAt(position), layers).map((c) => ({
      label: c.label,
      kind: KINDS[c.kind],
      detail: c.detail,
      insertText: c.insert,
    }));
  });

  documents.listen(connection);
  connection.listen();
}
