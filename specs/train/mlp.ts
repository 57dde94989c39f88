// The keyword-spotting MLP of issue 13 (the "wake-word MLP" exists nowhere in the project, so it is
// built here): input [N, 490] = 49 frames × 10 MFCC, Gemm 144 → Relu → Gemm 144 → Relu → Gemm 12,
// He-initialized from a seed.

import { normal, rng } from '../../compiler/data/random.ts';
import { Graph } from '../../runtime/ir/graph.ts';
import { Model } from '../../runtime/ir/model.ts';
import { float32 } from '../../runtime/ir/tensor.ts';

export function keywordMlp(seed = 1, batch: number | string = 'N', sizes = [490, 144, 144, 12]): Model {
  const draw = normal(rng(seed));
  const g = new Graph('kws_mlp');
  g.inputs = [{ name: 'mfcc', type: { dtype: 'float32', shape: [batch, sizes[0]!] } }];
  let x = 'mfcc';
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fin, fout] = [sizes[l]!, sizes[l + 1]!];
    const std = Math.sqrt(2 / fin);
    g.addInitializer(
      `fc${l}.weight`,
      float32(
        [fout, fin],
        Array.from({ length: fout * fin }, () => draw() * std),
      ),
    );
    g.addInitializer(
      `fc${l}.bias`,
      float32(
        [fout],
        Array.from({ length: fout }, () => draw() * 0.01),
      ),
    );
    const y = l + 2 < sizes.length ? `fc${l}` : 'logits';
    g.addNode({
      op: 'Gemm',
      name: `fc${l}`,
      inputs: [x, `fc${l}.weight`, `fc${l}.bias`],
      outputs: [y],
      attrs: { transB: 1 },
    });
    x = y;
    if (l + 2 < sizes.length) {
      g.addNode({ op: 'Relu', name: `relu${l}`, inputs: [y], outputs: [`relu${l}`] });
      x = `relu${l}`;
    }
  }
  g.outputs = [{ name: 'logits', type: { dtype: 'float32', shape: [batch, sizes[sizes.length - 1]!] } }];
  const m = new Model(g);
  m.irVersion = 8;
  m.opsetImports = [{ domain: '', version: 17 }];
  m.producerName = 'squish specs';
  return m;
}
