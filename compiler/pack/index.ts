// compiler/pack: the .sqz writer (docs/sqz.md) and where its bytes go (the report's pack section);
// the reader is runtime/sqz (the runtime loads .sqz without the compiler).
export { type PackLayer, type PackReport, packReport, packTable, sqzReport } from './report.ts';
export { type PackOptions, type PackResult, packSqz } from './write.ts';
