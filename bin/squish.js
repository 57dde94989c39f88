#!/usr/bin/env node
// The squish CLI: runs the built JavaScript in dist/ (a checkout builds it in `npm ci`, or `npm run build`).
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli.js')) throw e;
  process.stderr.write(
    'error: squish is not built (dist/cli.js is missing)\nhelp: run `npm run build` in the squish folder\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
