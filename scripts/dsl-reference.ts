// Writes the statements section of dsl/README.md from the statement table (dsl/reference.ts).
// `npm run docs:dsl` after changing dsl/table; specs/dsl/reference.spec.ts fails while they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_BEGIN, REFERENCE_END, statementsReference } from '../dsl/reference.ts';

const file = join(import.meta.dirname, '../dsl/README.md');
const text = readFileSync(file, 'utf8');
const from = text.indexOf(REFERENCE_BEGIN);
const to = text.indexOf(REFERENCE_END);
if (from < 0 || to < from)
  throw new Error(`dsl/README.md has no ${REFERENCE_BEGIN} … ${REFERENCE_END} section`);
writeFileSync(file, text.slice(0, from) + statementsReference() + text.slice(to + REFERENCE_END.length));
console.log(`wrote the statements reference into ${file}`);
