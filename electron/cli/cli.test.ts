import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, num, UsageError } from './args';
import { parseCoreset } from './commands';
import { main } from './main';
import { formatProgress } from './progress-bar';
import { tempDir } from '../engine/testing/fixtures';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe('parseArgs', () => {
  const spec = { data: { type: 'string' as const }, strict: { type: 'boolean' as const }, help: { type: 'boolean' as const, alias: 'h' } };
  it('reads values, switches, = forms, aliases and positionals', () => {
    const p = parseArgs(['a.png', '--data', 'x', '--strict', 'b.png', '-h', '--data=y'], spec);
    expect(p.options).toEqual({ data: 'y', strict: true, help: true });
    expect(p.positionals).toEqual(['a.png', 'b.png']);
  });
  it('names the option that is wrong', () => {
    expect(() => parseArgs(['--dat', 'x'], spec)).toThrow(/unknown option --dat/);
    expect(() => parseArgs(['--data'], spec)).toThrow(/--data needs a value/);
    expect(() => parseArgs(['--strict=yes'], spec)).toThrow(/switch/);
    expect(() => num(parseArgs(['--data', 'ten'], spec), 'data')).toThrow(/--data must be a number, got "ten"/);
    expect(() => num(parseArgs(['--data', '1.5'], spec), 'data', { int: true })).toThrow(UsageError);
  });
});

describe('parseCoreset', () => {
  it('accepts ratios, methods and none', () => {
    expect(parseCoreset('0.1')).toEqual({ method: 'approx-greedy', ratio: 0.1 });
    expect(parseCoreset('greedy:0.05')).toEqual({ method: 'approx-greedy', ratio: 0.05 });
    expect(parseCoreset('random:0.2')).toEqual({ method: 'random', ratio: 0.2 });
    expect(parseCoreset('random')).toEqual({ method: 'random', ratio: 0.1 });
    expect(parseCoreset('none')).toEqual({ method: 'none', ratio: 1 });
    expect(() => parseCoreset('1.5')).toThrow(/\(0, 1\]/);
    expect(() => parseCoreset('lots')).toThrow(/--coreset must look like/);
  });
});

describe('formatProgress', () => {
  it('shows a bar, the count, percent and ETA', () => {
    const s = formatProgress({ phase: 'extract', done: 381, total: 762, etaSeconds: 75 }, 10);
    expect(s).toMatch(/^extract\s+█████░░░░░\s+50% 381\/762 {2}ETA 1:15$/);
    expect(formatProgress({ phase: 'index', done: 1, total: 1, etaSeconds: 0 }, 4)).toMatch(/100%\s+done/);
  });
});

describe('patchline main', () => {
  it('prints help for the tool and each command', async () => {
    expect((await run(['--help'])).out).toMatch(/Commands:[\s\S]*fit[\s\S]*demo/);
    const r = await run(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--report FILE\.html/);
    expect((await run([])).code).toBe(2);
  });

  it('exits 2 with the command help on a usage error', async () => {
    const r = await run(['fit', '--data', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/patchline fit: fit needs --out[\s\S]*--coreset SPEC/);
    expect((await run(['frobnicate'])).err).toMatch(/unknown command "frobnicate"/);
    expect((await run(['predict', '--model', 'm'])).err).toMatch(/at least one image/);
  });

  it('exits 1 with one clear line on a bad model folder', async () => {
    const r = await run(['info', path.join(tempDir(), 'none')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no such model folder/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('lists the backbones and where their files are', async () => {
    const r = await run(['backbones']);
    expect(r.out).toMatch(/mobilenetv2-int8[\s\S]*365_quantized[\s\S]*wide-resnet50-2/);
  });
});
