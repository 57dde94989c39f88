// Selectors against a layer model: op types, pseudo-types, globs, regexes, positions, unions, where; "did you mean".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LayerInfo, parseRecipe, resolveSelectors, type StatementOf } from '../../dsl/index.ts';

function layer(index: number, name: string, op: string, extra: Partial<LayerInfo> = {}): LayerInfo {
  return { name, op, index, weightNames: [], params: 0, flops: 0, depthwise: false, ...extra };
}

const LAYERS: LayerInfo[] = [
  layer(0, 'stem/conv', 'Conv', {
    weightNames: ['stem.w'],
    params: 432,
    kernel: [3, 3],
    out_channels: 16,
    in_channels: 3,
    group: 1,
    stride: 2,
  }),
  layer(1, 'stem/relu', 'Relu'),
  layer(2, 'block1/dw', 'Conv', {
    weightNames: ['b1.dw.w'],
    params: 144,
    kernel: [3, 3],
    out_channels: 16,
    in_channels: 16,
    group: 16,
    stride: 1,
    depthwise: true,
  }),
  layer(3, 'block1/pw', 'Conv', {
    weightNames: ['b1.pw.w', 'b1.pw.b'],
    params: 528,
    kernel: [1, 1],
    out_channels: 32,
    in_channels: 16,
    group: 1,
    stride: 1,
  }),
  layer(4, 'attn/qk', 'MatMul'),
  layer(5, 'attn/proj', 'MatMul', {
    weightNames: ['attn.proj.w'],
    params: 70_000,
    in_channels: 256,
    out_channels: 256,
  }),
  layer(6, 'head/fc', 'Gemm', {
    weightNames: ['head.fc.w', 'head.fc.b'],
    params: 2_000,
    in_channels: 32,
    out_channels: 60,
  }),
  layer(7, 'head/classifier', 'Gemm', {
    weightNames: ['cls.w'],
    params: 120,
    in_channels: 60,
    out_channels: 2,
  }),
];

/** The selectors and where of `keep SELECTORS [where …]`, parsed by the real parser. */
function sel(text: string): StatementOf<'keep'> {
  const { ast, diagnostics } = parseRecipe(`keep ${text}`);
  expect(diagnostics).toEqual([]);
  return ast.statements[0] as StatementOf<'keep'>;
}

function names(text: string): string[] {
  const s = sel(text);
  const r = resolveSelectors(s.selectors!, LAYERS, s.where);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.matches.map((l) => l.name);
}

function problems(text: string): { code: string; message: string; help?: string }[] {
  const s = sel(text);
  return resolveSelectors(s.selectors!, LAYERS, s.where).diagnostics.map((d) => ({
    code: d.code,
    message: d.message,
    ...(d.help ? { help: d.help } : {}),
  }));
}

describe('resolveSelectors', () => {
  it('op types are case-insensitive ONNX names', () => {
    expect(names('conv')).toEqual(['stem/conv', 'block1/dw', 'block1/pw']);
    expect(names('CONV')).toEqual(names('conv'));
    expect(names('matmul')).toEqual(['attn/qk', 'attn/proj']);
  });

  it('pseudo-types: linear (gemm/matmul with a constant weight), depthwise, * (every layer with weights)', () => {
    expect(names('linear')).toEqual(['attn/proj', 'head/fc', 'head/classifier']);
    expect(names('depthwise')).toEqual(['block1/dw']);
    expect(names('*')).toEqual(LAYERS.filter((l) => l.weightNames.length).map((l) => l.name));
  });

  it('globs match the whole node or weight name; * any run, ? one char', () => {
    expect(names('"head/*"')).toEqual(['head/fc', 'head/classifier']);
    expect(names('"*/fc"')).toEqual(['head/fc']);
    expect(problems('"fc"').map((p) => p.code)).toEqual(['SQ401']);
    expect(names('"b1.*.w"')).toEqual(['block1/dw', 'block1/pw']);
    expect(names('"head/f?"')).toEqual(['head/fc']);
  });

  it('regexes match the whole name, with flags', () => {
    expect(names('/.*classifier.*/')).toEqual(['head/classifier']);
    expect(problems('/classifier/').map((p) => p.code)).toEqual(['SQ401']);
    expect(names('/HEAD\\/.*/i')).toEqual(['head/fc', 'head/classifier']);
  });

  it('positions in topological order among that op type', () => {
    expect(names('conv[0]')).toEqual(['stem/conv']);
    expect(names('conv[-1]')).toEqual(['block1/pw']);
    expect(names('conv[1..2]')).toEqual(['block1/dw', 'block1/pw']);
    expect(names('conv[-2..-1]')).toEqual(['block1/dw', 'block1/pw']);
    expect(names('linear[0]')).toEqual(['attn/proj']);
    expect(problems('conv[3]')).toEqual([
      {
        code: 'SQ402',
        message: 'conv[3] is out of range: the model has 3 conv layers',
        help: 'positions are 0..2 or -3..-1',
      },
    ]);
  });

  it('lists are unions in topological order without repeats', () => {
    expect(names('gemm, conv[0], "head/*", conv')).toEqual([
      'stem/conv',
      'block1/dw',
      'block1/pw',
      'head/fc',
      'head/classifier',
    ]);
  });

  it('where predicates over every property', () => {
    expect(names('conv where out_channels >= 16 and not depthwise')).toEqual(['stem/conv', 'block1/pw']);
    expect(names('conv where kernel == 1x1')).toEqual(['block1/pw']);
    expect(names('conv where kernel != 3x3')).toEqual(['block1/pw']);
    expect(names('* where params > 1k')).toEqual(['attn/proj', 'head/fc']);
    expect(names('* where params > 64k or name == "head/c*"')).toEqual(['attn/proj', 'head/classifier']);
    expect(names('conv where stride == 2')).toEqual(['stem/conv']);
    expect(names('conv where group > 1')).toEqual(['block1/dw']);
    expect(names('* where index < 3 and (in_channels == 3 or depthwise == true)')).toEqual([
      'stem/conv',
      'block1/dw',
    ]);
    expect(names('linear where in_channels <= 60 and out_channels != 2')).toEqual(['head/fc']);
  });

  it('a where that leaves nothing is a warning', () => {
    expect(problems('conv where params > 1G').map((p) => [p.code])).toEqual([['SQ403']]);
  });

  it('a selector that matches nothing is an error with the nearest op types or names', () => {
    expect(problems('conb')).toEqual([
      {
        code: 'SQ401',
        message: "selector 'conb' matches nothing: the model has no conb layer",
        help: "did you mean 'conv'?",
      },
    ]);
    expect(problems('"haed/fc"')[0]).toMatchObject({ code: 'SQ401', help: 'did you mean "head/fc"?' });
    expect(problems('"head/clasifier"')[0]).toMatchObject({ help: 'did you mean "head/classifier"?' });
    expect(problems('convtranspose')[0]!.help).toContain('conv');
  });

  it('property: where P and where not P partition the selection', () => {
    const preds = [
      'params > 500',
      'depthwise',
      'kernel == 3x3',
      'name == "head/*"',
      'index >= 3',
      'out_channels < 30',
    ];
    const sels = ['*', 'conv', 'linear', '"head/*"', 'conv[0..1]', 'gemm, matmul'];
    fc.assert(
      fc.property(
        fc.constantFrom(...sels),
        fc.constantFrom(...preds),
        fc.constantFrom(...preds),
        fc.constantFrom('and', 'or'),
        (s, p, q, op) => {
          const pred = `${p} ${op} ${q}`;
          const all = names(s);
          const yes = names(`${s} where ${pred}`);
          const no = names(`${s} where not (${pred})`);
          expect([...yes, ...no].sort()).toEqual([...all].sort());
          expect(yes.filter((n) => no.includes(n))).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: a list resolves to the union of its members', () => {
    const members = ['conv', 'gemm', 'matmul', 'linear', 'depthwise', '"head/*"', '/.*pw/', 'conv[-1]', '*'];
    fc.assert(
      fc.property(fc.subarray(members, { minLength: 1 }), (list) => {
        const union = new Set(list.flatMap((m) => names(m)));
        expect(names(list.join(', '))).toEqual(LAYERS.map((l) => l.name).filter((n) => union.has(n)));
      }),
      { numRuns: 60 },
    );
  });
});
