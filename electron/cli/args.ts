// A small argv parser: `--name value`, `--name=value`, boolean switches, repeated positionals. No dependency, strict:
// an unknown option is an error that names it.

export interface OptionSpec {
  /** Takes a value (string) or is a switch (boolean). */
  type: 'string' | 'boolean';
  alias?: string;
}

export interface Parsed {
  options: Record<string, string | boolean>;
  positionals: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): Parsed {
  const options: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const byAlias = new Map(Object.entries(spec).flatMap(([k, v]) => (v.alias ? [[v.alias, k] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const rawName = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const name = byAlias.get(rawName) ?? rawName;
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option ${a.split('=')[0]}`);
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} is a switch and takes no value`);
      options[name] = true;
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    }
  }
  return { options, positionals };
}

export function num(p: Parsed, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = p.options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  if (opts.int && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got ${v}`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name} must be at least ${opts.min}, got ${v}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${name} must be at most ${opts.max}, got ${v}`);
  return n;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function oneOf<T extends string>(p: Parsed, name: string, values: readonly T[]): T | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) throw new UsageError(`--${name} must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

export function required(p: Parsed, name: string, command: string): string {
  const v = str(p, name);
  if (!v) throw new UsageError(`${command} needs --${name}`);
  return v;
}
