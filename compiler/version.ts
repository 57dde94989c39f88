// squish's version, as written into provenance (kept equal to package.json's by a spec).
export const SQUISH_VERSION = '0.1.0';
