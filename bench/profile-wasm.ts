// Where the wasm backend's time goes on one model, node by node on one thread (median of runs, CPU
// time):
// totals by op and geometry, with GFLOP/s for convolutions.
//
//   npx tsx bench/profile-wasm.ts det|rec|cls [runs]
import { readFileSync } from 'node:fs';
import { WasmBackend } from '../runtime/backends/wasm/index.ts';
import { planProgram } from '../runtime/backends/wasm/planner.ts';
import { createSession, registerBackend } from '../runtime/exec/index.ts';
import { importModel } from '../runtime/onnx/index.ts';
import { MODELS } from '../specs/support/paths.ts';

const SHAPES = { det: [1, 3, 640, 640], rec: [1, 3, 48, 320], cls: [1, 3, 48, 192] } as const;
const which = (process.argv[2] ?? 'det') as keyof typeof SHAPES;
const runs = Number(process.argv[3] ?? 5);
const model = importModel(readFileSync(MODELS[which]));
let captured: Parameters<typeof planProgram>[0] | undefined;
const backend = new WasmBackend({ threads: 1 });
const compile = backend.compileGraph.bind(backend);
backend.compileGraph = (spec) => {
  captured = { ...spec, threads: 1 };
  return compile(spec);
};
registerBackend('webasm', () => backend);
const session = await createSession(model, { backend: 'webasm', threads: 1 });
const shape: number[] = [...SHAPES[which]];
const x = {
  dtype: 'float32' as const,
  dims: shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i)),
};
const t0 = performance.now();
await session.run({ [session.inputs[0]!.name]: x });
console.log(`first run ${(performance.now() - t0).toFixed(0)} ms`);
if (!captured) throw new Error('no program was compiled');
const program = await planProgram(captured);
/** CPU time of this process in ms: less disturbed than wall time on a shared machine. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const feeds = new Map([[session.inputs[0]!.name, x]]);
const all: number[][] = [];
let nodes: string[] = [];
for (let r = 0; r < runs; r++) {
  const t = await program.profile(feeds, cpuMs);
  nodes = t.map(([n]) => {
    const w = n.constInputs[1];
    const k =
      w && w.dims.length === 4
        ? ` ${w.dims[2]}x${w.dims[3]} ${Number(n.attrs.group ?? 1) > 1 ? 'g' : ''}`
        : '';
    return `${n.op}${k}`;
  });
  all.push(t.map(([, ms]) => ms));
}
const med = all[0]!.map((_, i) => all.map((a) => a[i]!).sort((a, b) => a - b)[runs >> 1]!);
const by = new Map<string, number>();
med.forEach((ms, i) => {
  by.set(nodes[i]!, (by.get(nodes[i]!) ?? 0) + ms);
});
const total = med.reduce((a, b) => a + b, 0);
console.log(`total ${total.toFixed(1)} ms over ${med.length} nodes (median of ${runs})`);
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${k.padEnd(28)} ${v.toFixed(1)} ms ${((100 * v) / total).toFixed(1)}%`);
process.exit(0);
