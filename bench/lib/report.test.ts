import { describe, expect, it } from 'vitest';
import { median, parseBenchArgs, percentile, sizesArg, table } from './report';

describe('bench report helpers', () => {
  it('prints a markdown table with every column', () => {
    const t = table([{ a: 1, b: 'x' }, { a: 2.5, c: 1234567 }]);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/\| a +\| b +\| c +\|/);
    expect(lines[2]).toContain('–');
    expect(lines[3]).toContain('1,234,567');
  });

  it('parses --quick and --json', () => {
    expect(parseBenchArgs(['--quick', '--json', 'x.json', 'extra'])).toEqual({ quick: true, json: 'x.json', rest: ['extra'] });
    expect(() => parseBenchArgs(['--json'])).toThrow(/needs a file/);
  });

  it('computes median and percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

describe('sizesArg', () => {
  it('reads --sizes, and refuses what is not a list of positive integers', () => {
    expect(sizesArg(['--sizes', '100000,1000000'])).toEqual([100000, 1000000]);
    expect(sizesArg(['--quick'])).toBeNull();
    expect(() => sizesArg(['--sizes'])).toThrow(/--sizes/);
    expect(() => sizesArg(['--sizes', '10,-1'])).toThrow(/positive integers/);
  });
});
