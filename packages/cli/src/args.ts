export interface ParsedArgs {
  readonly positionals: string[];
  /** The last value of each flag. */
  readonly flags: Map<string, string | true>;
  /** Every value of each flag, in order, for flags that may repeat (`--header`). */
  readonly repeated: Map<string, (string | true)[]>;
}

/** Parses `--name value`, `--name=value` and bare `--flag`; the flags that take no value are listed. */
export function parseArgs(
  argv: readonly string[],
  booleanFlags: ReadonlySet<string> = new Set(),
): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  const repeated = new Map<string, (string | true)[]>();
  const set = (name: string, value: string | true): void => {
    flags.set(name, value);
    repeated.set(name, [...(repeated.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq !== -1) {
      set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (
      booleanFlags.has(arg.slice(2)) ||
      i + 1 >= argv.length ||
      (argv[i + 1] as string).startsWith('--')
    ) {
      set(arg.slice(2), true);
    } else {
      set(arg.slice(2), argv[i + 1] as string);
      i++;
    }
  }
  return { positionals, flags, repeated };
}

/** A command called wrongly: the command line exits 2 with one line naming the fault. */
export class UsageError extends Error {}

/** `--help` or `-h` anywhere among the arguments. */
export function wantsHelp(args: ParsedArgs): boolean {
  return args.flags.get('help') === true || args.positionals.includes('-h');
}

/** Throws a UsageError naming the first flag that is not `known`. */
export function rejectUnknownFlags(args: ParsedArgs, known: ReadonlySet<string>): void {
  for (const name of args.flags.keys()) {
    if (!known.has(name)) throw new UsageError(`unknown option --${name}`);
  }
}

export function integerFlag(args: ParsedArgs, name: string, fallback: number): number {
  const value = args.flags.get(name);
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number))
    throw new UsageError(
      `--${name} takes a whole number, got ${value === true ? 'nothing' : value}`,
    );
  return number;
}

export function stringFlag(args: ParsedArgs, name: string, fallback: string): string {
  const value = args.flags.get(name);
  if (value === true) throw new UsageError(`--${name} takes a value`);
  return value ?? fallback;
}
