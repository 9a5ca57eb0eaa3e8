/**
 * A small, strict command-line parser: `--name value`, `--name=value` and boolean
 * `--flag`. Unknown options are errors (a typo should not silently run the default).
 */
import { OptionValueError, UsageError } from "../errors.js";

export interface OptionSpec {
  /** "string" takes a value; "boolean" does not. */
  type: "string" | "boolean";
  description: string;
  default?: string | boolean;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

/** One `flash <name>` subcommand: its options (parsed strictly) and what it runs. */
export interface Command {
  summary: string;
  options: Record<string, OptionSpec>;
  run(options: ParsedOptions, positionals: string[]): Promise<void>;
}

export { UsageError };

/** Parse `argv` (without the command words) against `specs`; positionals are returned apart. */
export function parseArgs(argv: readonly string[], specs: Record<string, OptionSpec>): { options: ParsedOptions; positionals: string[] } {
  const options: ParsedOptions = {};
  const positionals: string[] = [];
  for (const [k, s] of Object.entries(specs)) if (s.default !== undefined) options[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs)
        .map((k) => `--${k}`)
        .join(", ");
      throw new UsageError(`unknown option --${name}; known options: ${known || "(none)"}`);
    }
    if (spec.type === "boolean") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
    } else {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq === -1 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    }
  }
  return { options, positionals };
}

/** Option `name` as an integer >= `min` (undefined when not given); anything else is an OptionValueError. */
export function intOption(o: ParsedOptions, name: string, min: number): number | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isInteger(n) || n < min) throw new OptionValueError(`--${name}`, `an integer >= ${min}`, v);
  return n;
}

/** Option `name` as a non-empty string, or a usage error saying the command needs it. */
export function requiredOption(o: ParsedOptions, name: string, what: string): string {
  const v = o[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} ${what} is required`);
  return v;
}

/** One line per option, for help texts. */
export function describeOptions(specs: Record<string, OptionSpec>): string {
  return Object.entries(specs)
    .map(
      ([k, s]) =>
        `  --${k}${s.type === "string" ? " VALUE" : ""}`.padEnd(26) +
        s.description +
        (s.default !== undefined && s.default !== false ? ` (default ${s.default})` : ""),
    )
    .join("\n");
}
