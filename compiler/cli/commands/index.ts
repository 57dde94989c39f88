// Every CLI command, one a file, imported only when its command runs (`squish check` never loads the
// compiler passes or gpu.js). A command registers itself on the program; it reports a non-zero exit
// through setCode or by throwing a UserError.

import type { Command } from 'commander';
import type { CliIO } from '../io.ts';

export type RegisterCommand = (program: Command, io: CliIO, setCode: (code: number) => void) => void;

/** Command name → its registration, loaded on demand; `squish --help` lists them in this order. */
export const COMMANDS: Record<string, () => Promise<RegisterCommand>> = {
  check: async () => (await import('./check.ts')).registerCheck,
  fmt: async () => (await import('./fmt.ts')).registerFmt,
  inspect: async () => (await import('./inspect.ts')).registerInspect,
  plan: async () => (await import('./plan.ts')).registerPlan,
  compile: async () => (await import('./compile.ts')).registerCompile,
  compare: async () => (await import('./compare.ts')).registerCompare,
  run: async () => (await import('./run.ts')).registerRun,
  bench: async () => (await import('./bench.ts')).registerBench,
  grad: async () => (await import('./grad.ts')).registerGrad,
  unpack: async () => (await import('./unpack.ts')).registerUnpack,
  report: async () => (await import('./report.ts')).registerReport,
  serve: async () => (await import('./serve.ts')).registerServe,
  lsp: async () => (await import('./lsp.ts')).registerLsp,
};

/**
 * The commands argv needs: the one it names, none for a bare `--version`, all of them otherwise
 * (`--help`, `help`, an unknown name that deserves a suggestion).
 */
export function commandsFor(argv: string[]): string[] {
  const first = argv[0];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return [first];
  if (argv.length === 1 && (first === '--version' || first === '-V')) return [];
  return Object.keys(COMMANDS);
}
