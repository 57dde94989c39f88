// Startup of the built CLI (dist/, through bin/squish.js): median wall time of `squish --version`
// and `squish check` over N runs each, interleaved. Run `npm run build` first.
//   node bench/startup.mjs [RUNS]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 11);
const commands = {
  '--version': ['--version'],
  check: ['check', 'examples/default.squish'],
};
const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(commands)) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/squish.js'), ...args], { cwd: ROOT });
    times[name].push(performance.now() - t);
    if (r.status !== 0) throw new Error(`squish ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
}
for (const [name, ts] of Object.entries(times)) {
  ts.sort((a, b) => a - b);
  const ms = (q) => ts[Math.min(ts.length - 1, Math.floor(q * ts.length))].toFixed(0);
  console.log(`squish ${name}: median ${ms(0.5)} ms (min ${ms(0)}, max ${ms(1)}) over ${runs} runs`);
}
