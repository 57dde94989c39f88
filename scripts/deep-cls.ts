// Deep Compression on PP-OCR cls (issue 9): deep-compression.squish with the fixture lines as
// calibration, compiled to .sqz at sparsity 30/40/45/60/75%: bytes, % of the original, top-1 agreement
// on the 96 lines (upright + flipped, onnxruntime-node), and the per-stage byte table at 40%.
// Usage: npx tsx scripts/deep-cls.ts [prune-only] [sparsity …]
import { CLS_MODEL, clsDeepRecipe, clsLines, clsTop1, compileDeep, sqzToOnnx } from '../specs/pack/deep.ts';

const args = process.argv.slice(2);
const pruneOnly = args.includes('prune-only'); // without the cluster statement, to separate the two losses
const list = args.filter((a) => a !== 'prune-only').map(Number);
const variant = (text: string) => (pruneOnly ? text.replace(/cluster weights[^}]*\}/, '') : text);
const sparsities = list.length ? list : [40, 30, 45, 60, 75];
const xs = await clsLines();
let ref: number[] | undefined;
for (const p of sparsities) {
  const t0 = performance.now();
  const r = await compileDeep(CLS_MODEL, variant(clsDeepRecipe(p)));
  ref ??= await clsTop1(r.original, xs);
  const got = await clsTop1(sqzToOnnx(r.model), xs);
  const agree = got.filter((v, i) => v === ref![i]).length;
  console.log(
    `cls deep-compression${pruneOnly ? ' (prune only)' : ''} sparsity ${p}%: ${r.model.length} bytes of ${r.original.length} = ${((r.model.length / r.original.length) * 100).toFixed(2)}%, top-1 agreement ${agree}/${xs.length} = ${((agree / xs.length) * 100).toFixed(2)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  const st = r.report.pack;
  if (st && p === sparsities[0]) {
    const kb = (n: number) => `${(n / 1000).toFixed(1)}`.padStart(8);
    console.log(
      '  layer                         params  nonzero  dense KB  pruned KB  clustered KB  coded KB  bits/w',
    );
    for (const l of [...st.layers, st.total]) {
      console.log(
        `  ${l.name.padEnd(28).slice(0, 28)} ${String(l.params).padStart(7)} ${String(l.nonzero).padStart(8)} ${kb(l.dense_bytes)}  ${kb(l.pruned_bytes)}     ${kb(l.clustered_bytes)}  ${kb(l.coded_bytes)}  ${l.bits_per_weight.toFixed(2).padStart(6)}`,
      );
    }
    console.log(
      `  graph (${st.graph_coding}: structure, names, metadata, record table) ${st.graph_bytes} bytes = ${(100 * st.graph_share).toFixed(1)}% of the file (${st.file_bytes} bytes)`,
    );
  }
}
