// Unknown flags are found before anything else about the command line: a misspelled required flag
// (`--recpie`) says "unknown option --recpie, did you mean --recipe?" rather than that --recipe is
// missing. The scan follows commander's rules: `--` ends options, `--flag=value` and `-o value`.

import type { Command, Option } from 'commander';
import { nearest } from '../../dsl/suggest.ts';
import { UserError } from '../../runtime/errors.ts';

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

/** Throws a UserError for the first option `argv` (after the command name) gives that `cmd` lacks. */
export function checkUnknownOptions(cmd: Command, args: readonly string[]): void {
  const byName = new Map<string, Option>();
  for (const o of cmd.options) {
    if (o.long) byName.set(o.long, o);
    if (o.short) byName.set(o.short, o);
  }
  const known = new Set([...byName.keys(), '--help', '-h']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return;
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) continue;
    const flag = a.startsWith('--') ? a.split('=')[0]! : a.slice(0, 2);
    if (!known.has(flag)) {
      const near = a.startsWith('--')
        ? nearest(
            flag,
            [...known].filter((k) => k.startsWith('--')),
            1,
          )
        : [];
      throw new UserError(
        `unknown option ${flag}${near.length ? `, did you mean ${near[0]}?` : ''}`,
        `see squish ${cmd.name()} --help for its options`,
      );
    }
    const o = byName.get(flag);
    const inline = a.startsWith('--') ? a.includes('=') : a.length > 2;
    if (o && takesValue(o) && !inline) i++;
  }
}

/** The subcommand `argv` names (by name or alias), if any. */
export function subcommandOf(program: Command, argv: readonly string[]): Command | undefined {
  const name = argv[0];
  return program.commands.find((c) => c.name() === name || c.aliases().includes(name ?? ''));
}
