import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FaissIndex, type SearchParams } from '../index';
import { clustered, tempDir } from './index-helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const d = 24;
const { bank, queries } = clustered(d, 3000, 50, 31);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function built(factory: string, params?: SearchParams): Promise<FaissIndex> {
  const index = FaissIndex.create(d, factory);
  if (!index.isTrained) await index.train(bank);
  if (factory.startsWith('IDMap')) await index.add(bank, BigInt64Array.from({ length: 3000 }, (_, i) => BigInt(i * 3 + 1)));
  else await index.add(bank);
  if (params) index.setParams(params);
  return index;
}

describe('paths named in any script', () => {
  // Paths cross into C++ as UTF-8; Windows needs them through its wide API (src/file_path.h), POSIX as they are.
  for (const mmap of [false, true]) {
    it(`writes and reads an index under a folder with spaces and CJK characters${mmap ? ' (mmap)' : ''}`, async () => {
      const dir = path.join(tmp.dir, '检测 line', `模型 ${mmap ? 'mmap' : 'heap'}`);
      mkdirSync(dir, { recursive: true });
      const index = await built('IVF16,SQ8,RFlat', { nprobe: 16, kFactor: 4 });
      const before = await index.search(queries, 2);
      const file = path.join(dir, '索引 v1.faiss');
      await index.write(file);
      index.close();
      expect(readdirSync(dir)).toEqual(['索引 v1.faiss']);
      const back = await FaissIndex.read(file, { mmap });
      back.setParams({ nprobe: 16, kFactor: 4 });
      const after = await back.search(queries, 2);
      expect(Array.from(after.labels)).toEqual(Array.from(before.labels));
      back.close();
      await expect(FaissIndex.read(path.join(dir, '没有.faiss'))).rejects.toThrow(/not found: .*没有\.faiss/);
    });
  }
});

describe('write / read round trips', () => {
  const cases: [string, SearchParams | undefined][] = [
    ['Flat', undefined],
    ['IVF16,Flat', { nprobe: 5 }],
    ['IVF16,SQ8,RFlat', { nprobe: 6, kFactor: 3 }],
    ['IVF16,PQ8', { nprobe: 4 }],
    ['HNSW16', { efSearch: 40 }],
    ['IDMap,Flat', undefined],
  ];
  for (const [factory, params] of cases) {
    for (const mmap of [false, true]) {
      it(`${factory}${mmap ? ' (mmap)' : ''}: same results, size and parameters after a round trip`, async () => {
        const index = await built(factory, params);
        const before = await index.search(queries, 3);
        const file = path.join(tmp.dir, `${factory.replace(/,/g, '_')}-${mmap}.index`);
        await index.write(file);
        expect(statSync(file).size).toBeGreaterThan(0);
        const back = await FaissIndex.read(file, { mmap });
        expect(back.dimension).toBe(d);
        expect(back.ntotal).toBe(3000);
        expect(back.isTrained).toBe(true);
        expect(back.factory).toBeNull();
        expect(back.getParams()).toMatchObject(params ?? {});
        const after = await back.search(queries, 3);
        expect(after.labels).toEqual(before.labels);
        expect(after.distances).toEqual(before.distances);
        if (mmap && factory.startsWith('IVF')) {
          // Faiss 1.7.3 maps the inverted lists of IVF indexes; everything else is read into memory.
          expect(back.mappedBytes()).toBeGreaterThan(0);
          expect(back.memoryBytes()).toBeLessThan(index.memoryBytes());
        } else {
          expect(back.mappedBytes()).toBe(0);
        }
        index.close();
        back.close();
      });
    }
  }
});

describe('memory-mapped IVF index', () => {
  it('is read-only, can be written elsewhere, and survives its file being replaced by write()', async () => {
    const index = await built('IVF16,SQ8', { nprobe: 4 });
    const file = path.join(tmp.dir, 'mapped.index');
    await index.write(file);
    const mapped = await FaissIndex.read(file, { mmap: true });
    const want = await mapped.search(queries, 2);
    await expect(mapped.add(bank)).rejects.toThrow(/opened with mmap and is read-only/);
    await expect(mapped.removeIds(new BigInt64Array([1n]))).rejects.toThrow(/read-only/);
    await expect(mapped.reset()).rejects.toThrow(/read-only/);
    expect(mapped.ntotal).toBe(3000);

    // Written inline (not as a reference to the mapped file), so the copy stands alone.
    const copy = path.join(tmp.dir, 'mapped-copy.index');
    await mapped.write(copy);
    const reread = await FaissIndex.read(copy);
    expect((await reread.search(queries, 2)).labels).toEqual(want.labels);

    // Replacing the mapped file by rename leaves the open mapping on the old data.
    await index.reset();
    await index.write(file);
    expect((await mapped.search(queries, 2)).labels).toEqual(want.labels);
    mapped.close();
    reread.close();
    index.close();
  });
});

describe('bad files', () => {
  it('missing file, directory, empty file', async () => {
    const missing = path.join(tmp.dir, 'does-not-exist.index');
    await expect(FaissIndex.read(missing)).rejects.toThrow(`index file not found: ${missing}`);
    await expect(FaissIndex.read(tmp.dir)).rejects.toThrow(/is a directory/);
    const empty = path.join(tmp.dir, 'empty.index');
    writeFileSync(empty, '');
    await expect(FaissIndex.read(empty, { mmap: true })).rejects.toThrow(/index file is empty/);
  });

  it('garbage and a corrupt header', async () => {
    const garbage = path.join(tmp.dir, 'garbage.index');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) & 0xff)));
    await expect(FaissIndex.read(garbage)).rejects.toThrow(/cannot read index file .*garbage\.index/);

    const index = await built('Flat');
    const file = path.join(tmp.dir, 'header.index');
    await index.write(file);
    const bytes = readFileSync(file);
    bytes.write('XxXx', 0, 'latin1');
    writeFileSync(file, bytes);
    await expect(FaissIndex.read(file)).rejects.toThrow(/cannot read index file .*header\.index/);
    index.close();
  });

  for (const factory of ['Flat', 'IVF16,SQ8', 'HNSW16', 'IVF16,SQ8,RFlat']) {
    it(`${factory} truncated anywhere: rejects with a clear error, with and without mmap`, async () => {
      const index = await built(factory);
      const file = path.join(tmp.dir, `whole-${factory.replace(/,/g, '_')}.index`);
      await index.write(file);
      index.close();
      const whole = readFileSync(file);
      const cut = path.join(tmp.dir, `cut-${factory.replace(/,/g, '_')}.index`);
      for (const fraction of [0.999, 0.9, 0.6, 0.3, 0.05]) {
        writeFileSync(cut, whole);
        truncateSync(cut, Math.floor(whole.length * fraction));
        for (const mmap of [false, true]) {
          await expect(FaissIndex.read(cut, { mmap })).rejects.toThrow(/index file .*cut-.*(truncated|corrupt)/);
        }
      }
    });
  }
});

describe('atomic write', () => {
  it('an unwritable path rejects and names it', async () => {
    const index = await built('Flat');
    const noDir = path.join(tmp.dir, 'no-such-dir', 'x.index');
    await expect(index.write(noDir)).rejects.toThrow(`cannot write index to ${noDir}`);
    await expect(index.write(tmp.dir)).rejects.toThrow(/is a directory/);
    index.close();
  });

  it('leaves no temporary file behind and replaces the old file whole', async () => {
    const dir = path.join(tmp.dir, 'atomic');
    mkdirSync(dir);
    const file = path.join(dir, 'bank.index');
    const small = await built('Flat');
    await small.write(file);
    const big = await built('IVF16,SQ8,RFlat');
    await big.write(file);
    expect(readdirSync(dir)).toEqual(['bank.index']);
    expect((await FaissIndex.read(file)).ntotal).toBe(3000);
    small.close();
    big.close();
  });

  it('a write that fails part-way (file size limit) leaves the previous file intact and no temporary file', () => {
    const dir = path.join(tmp.dir, 'limited');
    mkdirSync(dir);
    const file = path.join(dir, 'bank.index');
    const previous = Buffer.from('previous index bytes');
    writeFileSync(file, previous);
    const tsx = path.resolve(here, '../../node_modules/.bin/tsx');
    const script = path.join(here, 'fixtures', 'write-past-file-size-limit.ts');
    // SIGXFSZ ignored: the write gets EFBIG instead of killing the process. 256 KiB limit, index ~1 MiB.
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 256; exec "${tsx}" "${script}" "${file}"`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; message?: string };
    expect(out.ok).toBe(false);
    expect(out.message).toBe(`FaissIndex.write: cannot write index to ${file}: File too large`);
    expect(readFileSync(file)).toEqual(previous);
    expect(readdirSync(dir)).toEqual(['bank.index']);
    expect(existsSync(file)).toBe(true);
  });
});
