// fast-check arbitraries that generate recipes from the grammar, with random layout and comments.
import fc from 'fast-check';
import { STATEMENTS } from '../../dsl/table/index.ts';

const sp = fc.constantFrom(' ', '  ', '\t', ' \t ');
const nl = fc.constantFrom('\n', '\n\n', '  \n', '\n# between\n', '\n\n\n', '\r\n');
const trailing = fc.constantFrom('', '', ' # trailing note', '\t#x');

const opWord = fc.constantFrom(
  'conv',
  'gemm',
  'matmul',
  'linear',
  'depthwise',
  'Conv',
  'convtranspose',
  'MatMul',
);
const position = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map((i) => `[${i}]`),
  fc.tuple(fc.nat(4), fc.nat(4)).map(([a, b]) => `[${a}..${a + b}]`),
);
const selector = fc.oneof(
  fc.constant('*'),
  opWord,
  fc.tuple(opWord, position).map(([o, p]) => o + p),
  fc.constantFrom('"head/*"', '"a?b"', '"backbone.*"', '"ünï/ç*"', '"onnx::Flatten_0"', '"q\\"uote"'),
  fc.constantFrom('/.*classifier.*/', '/conv[0-9]+/i', '/a\\/b/'),
);
const selectors = fc
  .tuple(fc.array(selector, { minLength: 1, maxLength: 3 }), fc.constantFrom(', ', ',', ' , ', ',\n  '))
  .map(([s, sep]) => s.join(sep));

const cmp = fc
  .oneof(
    fc.tuple(
      fc.constantFrom('params', 'flops'),
      fc.constantFrom('>', '>=', '<', '<=', '==', '!='),
      fc.constantFrom('64k', '1.5M', '100', '2G'),
    ),
    fc.tuple(
      fc.constantFrom('out_channels', 'in_channels', 'group', 'stride', 'index'),
      fc.constantFrom('>=', '<', '!='),
      fc.constantFrom('16', '1', '3'),
    ),
    fc.tuple(fc.constant('kernel'), fc.constantFrom('==', '!='), fc.constantFrom('3x3', '1x1')),
    fc.tuple(fc.constant('name'), fc.constantFrom('==', '!='), fc.constantFrom('"a*"', '"x/y"')),
  )
  .map(([p, o, v]) => `${p} ${o} ${v}`);

const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cmp,
    fc.constant('depthwise'),
    tie('expr').map((e) => `not ${e}`),
    tie('expr').map((e) => `(${e})`),
    fc.tuple(tie('expr'), fc.constantFrom('and', 'or'), tie('expr')).map(([a, o, b]) => `${a} ${o} ${b}`),
  ),
}));
const where = fc.option(
  expr.map((e) => ` where ${e}`),
  { nil: '' },
);

function block(options: string[]): fc.Arbitrary<string> {
  return fc.option(
    fc
      .tuple(fc.subarray(options, { minLength: 0 }), fc.constantFrom('inline', 'lines'), trailing)
      .chain(([opts, layout, c]) =>
        layout === 'inline' || c === ''
          ? fc.constant(opts.length ? ` { ${opts.join('  ')} }` : ' {}')
          : fc.constant(` {${c}\n${opts.map((o) => `  ${o}`).join('\n')}\n}`),
      ),
    { nil: '' },
  );
}

/** Every statement of the table that is built from parts, with its options' own examples. */
const tableStatement = fc.constantFrom(...STATEMENTS.filter((d) => !d.shape.argument)).chain((d) => {
  const sh = d.shape;
  const none = fc.constant('');
  const granularity = sh.granularity
    ? fc
        .constantFrom('layers', 'channels', 'filters', 'kernels', 'blocks 4x4', '2:4', 'weights')
        .map((g) => ` ${g}`)
    : none;
  const ofSelectors = selectors.map((x) => ` of ${x}`);
  const sel =
    sh.selectors === 'of'
      ? ofSelectors
      : sh.selectors === 'of?'
        ? fc.option(ofSelectors, { nil: '' })
        : sh.selectors === 'bare'
          ? selectors.map((x) => ` ${x}`)
          : none;
  const opts = sh.block ? block((d.options ?? []).map((o) => o.example)) : none;
  const head = `${d.keyword}${d.variant ? ` ${d.variant}` : ''}`;
  return fc
    .tuple(granularity, sel, sh.where ? where : none, opts)
    .map(([g, x, w, b]) => `${head}${g}${x}${w}${sh.block === 'required' ? b || ' {}' : b}`);
});

const statement = fc.oneof(
  fc.constantFrom('recipe "r"', 'recipe "ünïcode ✓"', 'include "base.squish"', 'cleanup none'),
  fc.constantFrom(
    'model { input x: float32[1, 3, 48, 192] }',
    'model {\n  input "onnx::Flatten_0": float32[1,25,96]\n  input y: int64[2]\n}',
  ),
  tableStatement,
  fc.constantFrom(
    'target size <= 200KB',
    'target agreement >= 99%',
    'target flops <= 50%',
    'target cosine >= 0.99',
    'target params < 1.5M',
    'target latency <= 60%',
  ),
);

/** A whole recipe: statements with random blank lines, indentation and comments. */
export const recipeText = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom('', ' ', '\t'), statement, trailing, nl, sp), {
      minLength: 0,
      maxLength: 8,
    }),
    fc.constantFrom('', '# header\n', '# header\n\n'),
    fc.constantFrom('', '# the end', '\n# the end\n'),
  )
  .map(([parts, head, end]) => head + parts.map(([ind, s, c, n]) => `${ind}${s}${c}${n}`).join('') + end);

/** Characters that stress the lexer and parser when spliced into a recipe. */
export const noise = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '"',
  '/',
  '#',
  ':',
  ',',
  '..',
  '<',
  '>=',
  '=',
  '!',
  '*',
  '%',
  'x',
  '\n',
  ' ',
  'é',
  '\u0000',
  '\uffff',
  '\ud800',
  '9',
  '-',
  'prune',
  'where',
  'of',
  'not',
);
