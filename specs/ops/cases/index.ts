// Every conformance case, by op family. scripts/gen-conformance.ts turns them into specs/ops/<Op>.json.

import { CONV } from './conv.ts';
import { ELEMENTWISE } from './elementwise.ts';
import { MATH } from './math.ts';
import { MATRIX } from './matrix.ts';
import { NORM } from './norm.ts';
import { QUANT } from './quant.ts';
import { RESIZE } from './resize.ts';
import { SHAPE } from './shape.ts';
import type { CaseDef } from './types.ts';

export type { AttrDef, CaseDef, InputDef } from './types.ts';

export const CASES: CaseDef[] = [
  ...ELEMENTWISE,
  ...MATRIX,
  ...CONV,
  ...NORM,
  ...RESIZE,
  ...SHAPE,
  ...QUANT,
  ...MATH,
];
