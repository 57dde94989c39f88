// `squish lsp --stdio` driven over stdio as an editor drives it (the built CLI, bin/squish.js): a
// broken recipe gets exactly `squish check --model`'s diagnostics (position, severity, code, message),
// also those that need the file system (a calibration glob); fixing it as you type clears them;
// formatting equals `squish fmt`; hover shows the statement table's docs; completion offers the
// statement words, a block's option names and, with --model, the model's layer names.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CompletionItem,
  createMessageConnection,
  type Diagnostic,
  type MessageConnection,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
} from 'vscode-languageserver/node';
import { loadModelFile } from '../../compiler/io/model-file.ts';
import { layersForRecipe } from '../../compiler/select/layers.ts';
import { parseRecipe } from '../../dsl/index.ts';
import { defsOf, STATEMENTS } from '../../dsl/table/index.ts';
import { runCli } from '../support/cli.ts';
import { MODELS, ROOT } from '../support/paths.ts';

const BROKEN = `recipe "broken"
prune channel of conv { sparsity 150% }
quantize weights of matmul { bits 3  per-chanel }
squeeze everything
target size <= 40%
`;
const FIXED = BROKEN.replace('channel of', 'channels of')
  .replace('150%', '50%')
  .replace('bits 3  per-chanel', 'bits 8  per-channel')
  .replace('squeeze everything\n', '');

const NO_DATA = `recipe "nodata"
calibrate {
  images "nowhere/*.png"
  samples 8
}
quantize activations of conv { bits 8 }
`;

const MESSY = `recipe   "messy"
quantize weights of conv,matmul {bits 8
per-channel}
target    size<=40%
`;

let tmp: string;
let server: ChildProcess;
let rpc: MessageConnection;
const published = new Map<string, PublishDiagnosticsParams[]>();
const waiters: (() => void)[] = [];

const uri = (name: string) => pathToFileURL(join(tmp, name)).href;

/** The next diagnostics published for `name` after `act` runs. */
async function diagnosticsAfter(name: string, act: () => Promise<void> | void): Promise<Diagnostic[]> {
  const seen = published.get(uri(name))?.length ?? 0;
  await act();
  while ((published.get(uri(name))?.length ?? 0) <= seen) await new Promise<void>((r) => waiters.push(r));
  return published.get(uri(name))!.at(-1)!.diagnostics;
}

function open(name: string, text: string): Promise<void> {
  writeFileSync(join(tmp, name), text);
  return rpc.sendNotification('textDocument/didOpen', {
    textDocument: { uri: uri(name), languageId: 'squish', version: 1, text },
  });
}

/** `squish check --model cls`'s findings as `file:line:col: severity[code]: message` heads. */
async function checkHeads(name: string): Promise<string[]> {
  const r = await runCli(['check', name, '--model', MODELS.cls], tmp);
  expect(r.code).toBe(1);
  return r.stderr.split('\n').filter((l) => /^\S+:\d+:\d+: (error|warning)\[SQ\d+\]/.test(l));
}

function lspHeads(name: string, diags: Diagnostic[]): string[] {
  return diags.map(
    (d) =>
      `${name}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity === 1 ? 'error' : 'warning'}[${d.code}]: ${(d.message as string).split('\n')[0]}`,
  );
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'squish-lsp-'));
  server = spawn(process.execPath, [join(ROOT, 'bin/squish.js'), 'lsp', '--stdio', '--model', MODELS.cls], {
    cwd: tmp,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  rpc = createMessageConnection(
    new StreamMessageReader(server.stdout!),
    new StreamMessageWriter(server.stdin!),
  );
  rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), p]);
    for (const w of waiters.splice(0)) w();
  });
  rpc.listen();
  const init = await rpc.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(tmp).href,
    capabilities: {},
  });
  expect(init).toMatchObject({
    capabilities: { documentFormattingProvider: true, hoverProvider: true, completionProvider: {} },
  });
  await rpc.sendNotification('initialized', {});
}, 60_000);

afterAll(async () => {
  if (rpc) {
    await rpc.sendRequest('shutdown');
    const exited = new Promise<number | null>((r) => server.once('exit', r));
    await rpc.sendNotification('exit');
    expect(await exited).toBe(0);
    rpc.dispose();
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('squish lsp --stdio', () => {
  it('publishes squish check’s diagnostics for a broken recipe, and clears them as it is fixed', async () => {
    const diags = await diagnosticsAfter('broken.squish', () => open('broken.squish', BROKEN));
    const heads = await checkHeads('broken.squish');
    expect(heads.length).toBeGreaterThanOrEqual(4);
    expect(lspHeads('broken.squish', diags)).toEqual(heads);
    expect(diags.every((d) => d.source === 'squish')).toBe(true);
    const fixed = await diagnosticsAfter('broken.squish', () =>
      rpc.sendNotification('textDocument/didChange', {
        textDocument: { uri: uri('broken.squish'), version: 2 },
        contentChanges: [{ text: FIXED }],
      }),
    );
    expect(fixed).toEqual([]);
  }, 60_000);

  it('checks calibration globs against the recipe’s folder, as squish check does', async () => {
    const diags = await diagnosticsAfter('nodata.squish', () => open('nodata.squish', NO_DATA));
    const heads = await checkHeads('nodata.squish');
    expect(heads.some((h) => h.includes('[SQ408]'))).toBe(true);
    expect(lspHeads('nodata.squish', diags)).toEqual(heads);
  }, 60_000);

  it('formats a document exactly as squish fmt does', async () => {
    await open('messy.squish', MESSY);
    const edits: TextEdit[] = await rpc.sendRequest('textDocument/formatting', {
      textDocument: { uri: uri('messy.squish') },
      options: { tabSize: 2, insertSpaces: true },
    });
    const fmt = await runCli(['fmt', 'messy.squish'], tmp);
    expect(fmt.code).toBe(0);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.range.start).toEqual({ line: 0, character: 0 });
    expect(edits[0]!.newText).toBe(fmt.stdout);
    expect(edits[0]!.newText).not.toBe(MESSY);
  }, 60_000);

  it('shows the statement table’s docs on hover over a statement word and an option', async () => {
    await open('hover.squish', FIXED);
    const prune = await rpc.sendRequest<{ contents: { value: string } }>('textDocument/hover', {
      textDocument: { uri: uri('hover.squish') },
      position: { line: 1, character: 2 },
    });
    expect(prune.contents.value).toContain(defsOf('prune')[0]!.summary);
    const sparsity = defsOf('prune')[0]!.options!.find((o) => o.name === 'sparsity')!;
    const onOption = await rpc.sendRequest<{ contents: { value: string } }>('textDocument/hover', {
      textDocument: { uri: uri('hover.squish') },
      position: { line: 1, character: FIXED.split('\n')[1]!.indexOf('sparsity') + 1 },
    });
    expect(onOption.contents.value).toContain(sparsity.doc);
  }, 60_000);

  it('completes statement words, option names and the model’s layer names', async () => {
    const text = 'calibrate {\n  sa\n}\nprune channels of \n';
    await open('complete.squish', text);
    const at = (line: number, character: number) =>
      rpc.sendRequest<CompletionItem[]>('textDocument/completion', {
        textDocument: { uri: uri('complete.squish') },
        position: { line, character },
      });
    const statements = (await at(0, 2)).map((c) => c.label);
    for (const d of STATEMENTS)
      expect(statements).toContain(d.variant ? `${d.keyword} ${d.variant}` : d.keyword);
    const options = (await at(1, 4)).map((c) => c.label);
    expect(options).toEqual(defsOf('calibrate')[0]!.options!.map((o) => o.name));
    const layers = layersForRecipe(loadModelFile(MODELS.cls), parseRecipe(text).ast).map((l) => l.name);
    expect(layers.length).toBeGreaterThan(10);
    const selectors = await at(3, 18);
    expect(selectors.map((c) => c.label)).toEqual(expect.arrayContaining(['conv', 'matmul', ...layers]));
    expect(selectors.find((c) => c.label === layers[0])?.insertText).toBe(`"${layers[0]}"`);
  }, 60_000);
});
