// The squish playground: drop an ONNX model and a recipe (or edit the one shown), see the
// diagnostics as you type and the plan, compile in a worker with progress, then download the
// compressed model and the HTML report. Everything runs in the page; nothing is uploaded.
import { type PlanJson, plan, type Report } from '../../compiler/api.ts';
import { reportHtml } from '../../compiler/report/html.ts';
import { recipeEditor } from './editor.ts';
import type { CompileReply, CompileRequest } from './worker.ts';

const EXAMPLE = `# int8 weights, fidelity measured on 4 random inputs
recipe "playground"

model {
  input x: float32[1, 3, 48, 192]
}

calibrate { random  samples 4 }

quantize weights of conv, matmul { bits 8  per-channel  symmetric }

target size <= 40%
`;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const state: {
  model?: { name: string; bytes: Uint8Array };
  recipeFile: string;
  files: Record<string, Blob>;
  worker?: Worker;
  urls: string[];
} = { recipeFile: 'recipe.squish', files: {}, urls: [] };

function setText(id: string, text: string): void {
  $(id).textContent = text;
}

const editor = recipeEditor(
  $('editor'),
  EXAMPLE,
  () => state.recipeFile,
  () => state.model?.bytes,
  (diagnostics) => {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const el = $('diagnostics');
    el.dataset.errors = String(errors);
    el.dataset.warnings = String(diagnostics.length - errors);
    el.textContent = diagnostics.length
      ? diagnostics
          .map((d) => `${d.span.line}:${d.span.column} ${d.severity}[${d.code}] ${d.message}`)
          .join('\n')
      : 'no problems';
    showPlan(errors === 0);
  },
);

function showPlan(ok: boolean): void {
  const table = $<HTMLTableElement>('plan');
  table.replaceChildren();
  ($('compile') as HTMLButtonElement).disabled = !ok || !state.model;
  if (!state.model) return;
  if (!ok) {
    setText('plan-note', 'the plan shows once the recipe has no errors');
    return;
  }
  let p: PlanJson;
  try {
    p = plan(state.model.bytes, editor.text(), { recipeFile: state.recipeFile });
  } catch (e) {
    setText('plan-note', (e as Error).message);
    return;
  }
  const acting = p.layers.filter((l) => l.actions.length || l.kept_by);
  setText('plan-note', `${acting.length} of ${p.layers.length} layers acted on; output format ${p.format}`);
  const head = table.insertRow();
  for (const h of ['layer', 'op', 'params', 'actions'])
    head.appendChild(document.createElement('th')).textContent = h;
  for (const l of acting) {
    const row = table.insertRow();
    const actions = l.kept_by ? `kept (${l.kept_by})` : l.actions.map((a) => a.action).join('; ');
    for (const v of [l.name, l.op, String(l.params), actions]) row.insertCell().textContent = v;
  }
}

async function takeFiles(files: Iterable<File>): Promise<void> {
  for (const f of files) {
    if (/\.onnx$/i.test(f.name)) {
      state.model = { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
      setText('model-name', `${f.name} (${f.size} bytes)`);
    } else if (/\.squish$/i.test(f.name)) {
      state.recipeFile = f.name;
      const text = await f.text();
      editor.view.dispatch({ changes: { from: 0, to: editor.view.state.doc.length, insert: text } });
    } else state.files[f.webkitRelativePath || f.name] = f;
  }
  const data = Object.keys(state.files).length;
  setText('data-count', data ? `${data} data file${data === 1 ? '' : 's'}` : '');
  editor.view.dispatch({}); // check again with the new model
  showPlan(editor.diagnostics().every((d) => d.severity !== 'error'));
}

function download(id: string, bytes: Uint8Array | string, name: string, type: string): void {
  const a = $<HTMLAnchorElement>(id);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  state.urls.push(url);
  a.href = url;
  a.download = name;
  a.hidden = false;
}

async function compileNow(): Promise<void> {
  if (!state.model) return;
  for (const u of state.urls.splice(0)) URL.revokeObjectURL(u);
  for (const id of ['download-model', 'download-report']) $(id).hidden = true;
  const status = $('status');
  status.dataset.state = 'running';
  status.textContent = 'compiling…';
  state.worker?.terminate();
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  state.worker = worker;
  const request: CompileRequest = {
    model: state.model.bytes.slice(),
    recipe: editor.text(),
    recipeFile: state.recipeFile,
    files: state.files,
  };
  const progress = $<HTMLProgressElement>('progress');
  worker.onmessage = async (e: MessageEvent<CompileReply>) => {
    const m = e.data;
    if (m.type === 'progress') {
      progress.max = m.total || 1;
      progress.value = m.done;
      status.textContent = `${m.step} ${m.done}/${m.total}`;
      return;
    }
    worker.terminate();
    if (m.type === 'error') {
      status.dataset.state = 'error';
      status.textContent = m.message;
      return;
    }
    const report = m.report as Report;
    const stem = state.model!.name.replace(/\.onnx$/i, '');
    const ext = report.pack ? 'sqz' : 'onnx';
    download('download-model', m.model, `${stem}.squished.${ext}`, 'application/octet-stream');
    const chart = await (await fetch(new URL('./chart.umd.min.js', import.meta.url))).text();
    download(
      'download-report',
      reportHtml(report, { chartScript: chart, subtitle: stem }),
      `${stem}.report.html`,
      'text/html',
    );
    progress.value = progress.max;
    const f = report.fidelity;
    status.dataset.state = m.missed ? 'missed' : 'done';
    status.dataset.bytes = String(m.model.length);
    status.textContent = `${report.before.bytes} → ${report.after.bytes} bytes${
      f && f.agreement !== null
        ? `; agreement ${(f.agreement * 100).toFixed(2)}% on ${f.samples} samples`
        : ''
    }${m.missed ? `\n${m.missed}` : ''}`;
  };
  worker.postMessage(request);
}

$<HTMLInputElement>('files').addEventListener('change', (e) => {
  void takeFiles((e.target as HTMLInputElement).files ?? []);
});
document.body.addEventListener('dragover', (e) => e.preventDefault());
document.body.addEventListener('drop', (e) => {
  e.preventDefault();
  void takeFiles(e.dataTransfer?.files ?? []);
});
$('compile').addEventListener('click', () => void compileNow());
document.body.dataset.ready = 'true';
