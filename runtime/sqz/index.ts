// runtime/sqz: the .sqz container reader (docs/sqz.md) — the runtime loads .sqz models directly.
export type { SqzInfo, SqzRecordInfo } from './info.ts';
export { importAnyModel, isSqz, readSqz, readSqzInfo, sqzPayload } from './read.ts';
