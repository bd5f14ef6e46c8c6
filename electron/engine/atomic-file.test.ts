import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFile, writeFileAtomic, writeFilesAtomic } from './atomic-file';

const dir = () => mkdtempSync(path.join(tmpdir(), 'pl-atomic-'));

describe('atomic writes', () => {
  it('replaces a file whole and leaves no temp file', async () => {
    const d = dir();
    const f = path.join(d, 'manifest.json');
    writeFileSync(f, 'old');
    await writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(d)).toEqual(['manifest.json']);
  });

  it('keeps the old file and removes its temp file when the rename fails', async () => {
    const d = dir();
    mkdirSync(path.join(d, 'taken', 'inside'), { recursive: true }); // a non-empty folder cannot be renamed over
    await expect(writeFileAtomic(path.join(d, 'taken'), 'x')).rejects.toThrow();
    expect(readdirSync(d)).toEqual(['taken']);
  });

  it('writes several files into a new folder; its temp names are what the cleaners look for', async () => {
    const d = path.join(dir(), 'records', '2024');
    await writeFilesAtomic(d, [
      { name: 'a.jpg', data: new Uint8Array([1, 2]) },
      { name: 'a.json', data: '{}' },
    ]);
    expect(readdirSync(d).sort()).toEqual(['a.jpg', 'a.json']);
    expect(isTempFile(`.a.jpg.${process.pid}.0badcafe.tmp`)).toBe(true);
    expect(isTempFile('a.jpg')).toBe(false);
  });
});
