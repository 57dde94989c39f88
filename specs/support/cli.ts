// Run the CLI in-process and capture what it prints.
import type { CliIO } from '../../compiler/cli/io.ts';
import { main } from '../../compiler/cli/main.ts';

export type CapturedIO = CliIO & { stdout: string; stderr: string };

export function captureIO(cwd = process.cwd()): CapturedIO {
  // no plain progress lines: specs compare stderr exactly
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    progressEveryMs: Number.POSITIVE_INFINITY,
    cwd,
  } as CapturedIO;
  io.out = (t: string) => {
    io.stdout += t;
  };
  io.err = (t: string) => {
    io.stderr += t;
  };
  return io;
}

export async function runCli(
  argv: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIO(cwd);
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
