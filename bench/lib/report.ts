// Shared by every benchmark in bench/: the machine it ran on, a printed table, and the JSON file.
import { cpus, totalmem, platform, release, arch } from 'node:os';
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  hostname?: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

export function describeMachine(m: Machine = machine()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`;
}

export type Cell = string | number | null | undefined;
export type Row = Record<string, Cell>;

function format(v: Cell): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** A GitHub-flavoured Markdown table, so the output pastes straight into the README. */
export function table(rows: Row[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const body = rows.map((r) => cols.map((c) => format(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(cols), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export interface BenchArgs {
  quick: boolean;
  json?: string;
  rest: string[];
}

export function parseBenchArgs(argv = process.argv.slice(2)): BenchArgs {
  const out: BenchArgs = { quick: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--json') {
      const file = argv[++i];
      if (!file) throw new Error('--json needs a file path');
      out.json = file;
    } else if (a.startsWith('--json=')) out.json = a.slice('--json='.length);
    else out.rest.push(a);
  }
  return out;
}

/** Written atomically: a crash mid-write leaves the previous results, never half a file. */
export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, file);
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx];
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** `--sizes 100000,1000000` among a benchmark's extra arguments: the sizes to run (null: the benchmark's default). */
export function sizesArg(rest: string[]): number[] | null {
  const i = rest.indexOf('--sizes');
  if (i < 0) return null;
  const list = (rest[i + 1] ?? '').split(',').map(Number);
  if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v <= 0)) throw new Error('--sizes needs a comma-separated list of positive integers');
  return list;
}
