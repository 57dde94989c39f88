// LeNet-300-100 and LeNet-5 (the Caffe variant Deep Compression measured: conv 20 5×5, pool, conv 50
// 5×5, pool, fc 500, fc 10) built as ONNX models with squish's IR, He-initialized from a seed.
// Input 'image' [N, 1, 28, 28] in [0, 1]; output 'logits' [N, 10].

import { rng } from '../../compiler/data/random.ts';
import { float32, Graph, Model } from '../../compiler/index.ts';

export type LeNet = 'lenet-300-100' | 'lenet-5';
export const LENETS: readonly LeNet[] = ['lenet-300-100', 'lenet-5'];

function seeded(seed: number): () => number {
  const uniform = rng(seed);
  // standard normal (Box–Muller, the cosine half only)
  return () => Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-12))) * Math.cos(2 * Math.PI * uniform());
}

export function buildLeNet(kind: LeNet, seed = 1): Model {
  const draw = seeded(seed);
  const g = new Graph(kind);
  g.inputs = [{ name: 'image', type: { dtype: 'float32', shape: ['N', 1, 28, 28] } }];
  const param = (name: string, dims: number[], fanIn: number) => {
    const std = Math.sqrt(2 / fanIn);
    g.addInitializer(
      name,
      float32(
        dims,
        Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => draw() * std),
      ),
    );
    return name;
  };
  const zeros = (name: string, n: number) => {
    g.addInitializer(name, float32([n]));
    return name;
  };
  const fc = (name: string, x: string, fin: number, fout: number, relu: boolean, out?: string) => {
    const y = out ?? name;
    g.addNode({
      op: 'Gemm',
      name,
      inputs: [x, param(`${name}.weight`, [fout, fin], fin), zeros(`${name}.bias`, fout)],
      outputs: [y],
      attrs: { transB: 1 },
    });
    if (!relu) return y;
    g.addNode({ op: 'Relu', name: `${name}.relu`, inputs: [y], outputs: [`${name}.relu`] });
    return `${name}.relu`;
  };
  let x = 'image';
  if (kind === 'lenet-5') {
    const conv = (name: string, input: string, cin: number, cout: number) => {
      g.addNode({
        op: 'Conv',
        name,
        inputs: [input, param(`${name}.weight`, [cout, cin, 5, 5], cin * 25), zeros(`${name}.bias`, cout)],
        outputs: [name],
        attrs: { kernel_shape: [5, 5] },
      });
      g.addNode({
        op: 'MaxPool',
        name: `${name}.pool`,
        inputs: [name],
        outputs: [`${name}.pool`],
        attrs: { kernel_shape: [2, 2], strides: [2, 2] },
      });
      return `${name}.pool`;
    };
    x = conv('conv2', conv('conv1', x, 1, 20), 20, 50);
    g.addNode({ op: 'Flatten', name: 'flatten', inputs: [x], outputs: ['flatten'] });
    x = fc('ip2', fc('ip1', 'flatten', 800, 500, true), 500, 10, false, 'logits');
  } else {
    g.addNode({ op: 'Flatten', name: 'flatten', inputs: [x], outputs: ['flatten'] });
    x = fc('ip3', fc('ip2', fc('ip1', 'flatten', 784, 300, true), 300, 100, true), 100, 10, false, 'logits');
  }
  g.outputs = [{ name: 'logits', type: { dtype: 'float32', shape: ['N', 10] } }];
  const m = new Model(g);
  m.irVersion = 8;
  m.opsetImports = [{ domain: '', version: 17 }];
  m.producerName = 'squish examples/mnist';
  return m;
}
