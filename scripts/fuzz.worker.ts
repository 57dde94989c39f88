// A long-lived child of the fuzz harness (scripts/fuzz.harness.ts): reads one job per line on
// stdin ({id, argv, cwd}), runs the squish CLI in-process with captured output, and answers one
// line per job on fd 3 ({id, code, stdout, stderr, ms}). Anything that escapes main() — an
// uncaught exception, an unhandled rejection — is reported as `fatal` and ends the process, so the
// harness counts it and starts a fresh worker.

import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CliIO } from '../compiler/cli/io.ts';
import { main } from '../compiler/cli/main.ts';

const reply = createWriteStream('', { fd: 3 });
const KEEP = 20_000; // characters of output kept per stream

function fatal(e: unknown): void {
  const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
  reply.write(`${JSON.stringify({ fatal: text.slice(0, KEEP) })}\n`, () => process.exit(70));
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

for await (const line of createInterface({ input: process.stdin })) {
  const job = JSON.parse(line) as { id: number; argv: string[]; cwd: string };
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: (t) => {
      if (stdout.length < KEEP) stdout += t;
    },
    err: (t) => {
      if (stderr.length < KEEP) stderr += t;
    },
    isTTY: false,
    errIsTTY: false,
    progressEveryMs: Number.POSITIVE_INFINITY,
    cwd: job.cwd,
  };
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(job.argv, io);
  } catch (e) {
    code = 99; // main() itself threw: a bug the table shows as such
    stderr += `main() threw: ${e instanceof Error ? e.stack : String(e)}`;
  }
  const ms = Math.round(performance.now() - t0);
  reply.write(`${JSON.stringify({ id: job.id, code, stdout, stderr, ms })}\n`);
}
