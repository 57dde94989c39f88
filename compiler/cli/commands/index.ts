// Every CLI command, one a file. A command registers itself on the program; it reports a
// non-zero exit through setCode or by throwing a UserError.

import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { registerBench } from './bench.ts';
import { registerCheck } from './check.ts';
import { registerCompare } from './compare.ts';
import { registerCompile } from './compile.ts';
import { registerFmt } from './fmt.ts';
import { registerInspect } from './inspect.ts';
import { registerPlan } from './plan.ts';
import { registerRun } from './run.ts';
import { registerUnpack } from './unpack.ts';

export type RegisterCommand = (program: Command, io: CliIO, setCode: (code: number) => void) => void;

export const COMMANDS: RegisterCommand[] = [];
COMMANDS.push(registerCheck, registerFmt);
COMMANDS.push(registerInspect);
COMMANDS.push(registerPlan, registerCompile, registerCompare);
COMMANDS.push(registerRun, registerBench);
COMMANDS.push(registerUnpack);
