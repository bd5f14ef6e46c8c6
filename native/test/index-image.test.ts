// FaissIndex.searchImage: one native call per image gives what the engine's two-step path gives (approximate search,
// then exact re-search of the top patches in a Flat copy of the bank, in rounds), and its maximum is the exact one.
import { describe, expect, it } from 'vitest';
import { FaissIndex, type ImageSearchResult, type SearchParams } from '../index';
import { clustered } from './index-helpers';

const D = 32;
const { bank, queries } = clustered(D, 6000, 300, 21);

function patchScores(distances: Float32Array, patches: number, k: number): Float32Array {
  const out = new Float32Array(patches);
  for (let p = 0; p < patches; p++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.sqrt(Math.max(0, distances[p * k + j]));
    out[p] = s / k;
  }
  return out;
}

// The engine's path as Scorer.refine writes it (electron/engine/score/scorer.ts), with its separate Flat index.
async function reference(index: FaissIndex, exact: FaissIndex, q: Float32Array, k: number, top: number, params: SearchParams) {
  const n = q.length / D;
  const approx = await index.search(q, k, params);
  const distances = approx.distances.slice();
  const labels = approx.labels.slice();
  const scores = patchScores(distances, n, k);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const refined: number[] = [];
  let best = -Infinity;
  for (let start = 0; top > 0 && start < n; start += top) {
    if (best >= scores[order[start]]) break;
    const ids = order.slice(start, start + top);
    const batch = new Float32Array(ids.length * D);
    ids.forEach((p, i) => batch.set(q.subarray(p * D, (p + 1) * D), i * D));
    const res = await exact.search(batch, k);
    const s = patchScores(res.distances, ids.length, k);
    ids.forEach((p, i) => {
      distances.set(res.distances.subarray(i * k, (i + 1) * k), p * k);
      labels.set(res.labels.subarray(i * k, (i + 1) * k), p * k);
      scores[p] = s[i];
      refined.push(p);
      if (s[i] > best) best = s[i];
    });
  }
  let arg = 0;
  for (let p = 1; p < n; p++) if (scores[p] > scores[arg]) arg = p;
  return { distances, labels, scores, refined, maxPatch: arg, maxScore: scores[arg] };
}

async function build(factory: string, ids?: BigInt64Array): Promise<FaissIndex> {
  const index = FaissIndex.create(D, factory);
  if (!index.isTrained) await index.train(bank);
  await index.add(bank, ids);
  return index;
}

async function exactMax(q: Float32Array, k: number): Promise<number> {
  const flat = await build('Flat');
  const r = await flat.search(q, k);
  flat.close();
  return Math.max(...patchScores(r.distances, q.length / D, k));
}

function expectSame(got: ImageSearchResult, want: Awaited<ReturnType<typeof reference>>): void {
  expect(Array.from(got.refined)).toEqual(want.refined);
  expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
  expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
  expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
  expect(got.maxPatch).toBe(want.maxPatch);
  expect(got.maxScore).toBe(want.maxScore);
}

describe('searchImage: one call per image', () => {
  it.each([
    [1, 8],
    [3, 8],
    [1, 1],
    [2, 500], // one round holds every patch
  ])('IVF,SQ8,RFlat k=%i exactTop=%i: equals the engine path (approximate values, exact refined ones) and the exact max, with and without the packed lists and binary16 bank', async (k, top) => {
    for (const packing of [true, false]) {
      const index = await build('IVF64,SQ8,RFlat');
      index.setListPacking(packing);
      const exact = await build('Flat');
      // Few probes and no re-ranking slack, so that the approximate answers are often wrong and refinement matters.
      const params = { nprobe: 1, kFactor: 1 };
      const got = await index.searchImage(queries, k, { exactTop: top, ...params });
      // Packed lists and, for rounds of at most 16 patches, the binary16 copy of the bank (2 bytes per component).
      expect(index.packedBytes() > 0).toBe(packing);
      const want = await reference(index, exact, queries, k, top, params);
      expectSame(got, want);
      expect(got.refined.length).toBeGreaterThan(0);
      expect(got.rounds).toBe(Math.ceil(got.refined.length / top));
      expect(got.exact).toBe(false);
      expect(got.maxScore).toBe(await exactMax(queries, k));
      // The unrefined patches kept their approximate values.
      const approx = await index.search(queries, k, params);
      const refined = new Set(got.refined);
      for (let p = 0; p < queries.length / D; p++) {
        if (!refined.has(p)) expect(got.labels.subarray(p * k, (p + 1) * k)).toEqual(approx.labels.subarray(p * k, (p + 1) * k));
      }
      index.close();
      exact.close();
    }
  });

  it('an empty RFlat bank: every patch without a neighbour, packed or not', async () => {
    for (const packing of [true, false]) {
      const index = FaissIndex.create(D, 'IVF4,SQ8,RFlat');
      index.setListPacking(packing);
      await index.train(bank);
      const got = await index.searchImage(queries, 1, { exactTop: 1 });
      expect(Array.from(new Set(got.labels))).toEqual([-1n]);
      expect(got.maxScore).toBe(Infinity);
      index.close();
    }
  });

  it('an index without exact vectors refines against the caller bank, read in place', async () => {
    const index = await build('IVF64,SQ8');
    expect(index.exactSource).toBeNull();
    const exact = await build('Flat');
    const params = { nprobe: 2 };
    const got = await index.searchImage(queries, 1, { exactTop: 8, exactVectors: bank, ...params });
    expectSame(got, await reference(index, exact, queries, 1, 8, params));
    expect(got.maxScore).toBe(await exactMax(queries, 1));
    await expect(index.searchImage(queries, 1, { exactTop: 8 })).rejects.toMatchObject({
      code: 'ERR_PATCHLINE_STATE',
      message: expect.stringMatching(/FaissIndex.searchImage: this index keeps no exact vectors .* pass exactVectors/),
    });
    // Without refinement no exact vectors are needed.
    const plain = await index.searchImage(queries, 1, { exactTop: 0, ...params });
    expect(plain.refined.length).toBe(0);
    expect(Array.from(plain.labels)).toEqual(Array.from((await index.search(queries, 1, params)).labels));
    index.close();
    exact.close();
  });

  it('a Flat index is exact as it is: no rounds, the max is the exact max', async () => {
    const index = await build('Flat');
    expect(index.exactSource).toBe('flat');
    const got = await index.searchImage(queries, 2, { exactTop: 8 });
    expect(got.exact).toBe(true);
    expect(got.rounds).toBe(0);
    expect(got.refined.length).toBe(0);
    expect(got.maxScore).toBe(await exactMax(queries, 2));
    expect(got.scores[got.maxPatch]).toBe(got.maxScore);
    index.close();
  });

  it('IDMap: labels are the caller ids, refined ones included', async () => {
    const ids = BigInt64Array.from({ length: bank.length / D }, (_, i) => BigInt(5_000_000 + 3 * i));
    // Faiss cannot add ids through a refine stage, so an IDMap bank refines against the caller's vectors (add order).
    const index = await build('IDMap,IVF64,SQ8', ids);
    expect(index.exactSource).toBeNull();
    const plain = await build('IVF64,SQ8');
    const a = await index.searchImage(queries, 1, { exactTop: 8, nprobe: 1, exactVectors: bank });
    const b = await plain.searchImage(queries, 1, { exactTop: 8, nprobe: 1, exactVectors: bank });
    expect(a.refined.length).toBeGreaterThan(0);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels, (l) => (l < 0n ? l : ids[Number(l)])));
    expect(a.maxScore).toBe(b.maxScore);
    const flat = await build('IDMap,Flat', ids);
    expect(flat.exactSource).toBe('flat');
    const f = await flat.searchImage(queries, 1, { exactTop: 8 });
    expect(f.exact).toBe(true);
    expect(f.maxScore).toBe(await exactMax(queries, 1));
    for (const l of f.labels) expect(l >= 5_000_000n).toBe(true);
    index.close();
    plain.close();
    flat.close();
  });

  it('uses the index parameters unless the call overrides them', async () => {
    const index = await build('IVF64,SQ8,RFlat');
    index.setParams({ nprobe: 64, kFactor: 8 });
    const stored = await index.searchImage(queries, 1, { exactTop: 0 });
    const exact = await build('Flat');
    const truth = await exact.search(queries, 1);
    // nprobe = nlist with a wide re-ranking is exhaustive: the exact answer.
    expect(Array.from(stored.labels)).toEqual(Array.from(truth.labels));
    const cheap = await index.searchImage(queries, 1, { exactTop: 0, nprobe: 1, kFactor: 1 });
    expect(Array.from(cheap.labels)).toEqual(Array.from((await index.search(queries, 1, { nprobe: 1, kFactor: 1 })).labels));
    index.close();
    exact.close();
  });

  it('aborts: before it starts, and while it waits behind a mutation; the index stays usable', async () => {
    const index = await build('IVF64,SQ8,RFlat');
    await expect(index.searchImage(queries, 1, { exactTop: 8, signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
      code: 'ABORT_ERR',
    });
    const more = clustered(D, 60000, 1, 22).bank;
    const adding = index.add(more);
    const controller = new AbortController();
    const waiting = index.searchImage(queries, 1, { exactTop: 8, signal: controller.signal });
    controller.abort(new Error('operator pressed stop'));
    const err = (await waiting.catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ABORT_ERR');
    expect((err.cause as Error).message).toBe('operator pressed stop');
    await adding;
    const after = await index.searchImage(queries, 1, { exactTop: 8 });
    expect(after.scores.length).toBe(queries.length / D);
    index.close();
  });

  it('refuses bad input with a clear error and a code', async () => {
    const index = await build('IVF64,SQ8,RFlat');
    const nan = queries.slice(0, 4 * D);
    nan[2 * D + 5] = NaN;
    await expect(index.searchImage(nan, 1, { exactTop: 8 })).rejects.toMatchObject({
      code: 'ERR_PATCHLINE_INPUT',
      message: 'FaissIndex.searchImage: queries contain NaN at row 2, column 5',
    });
    await expect(index.searchImage(queries.subarray(1), 1, { exactTop: 8 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(index.searchImage(new Float64Array(D) as unknown as Float32Array, 1, { exactTop: 8 })).rejects.toThrow(TypeError);
    await expect(index.searchImage(queries, 0, { exactTop: 8 })).rejects.toThrow(/k must be a positive integer/);
    await expect(index.searchImage(queries, 1, { exactTop: -1 })).rejects.toThrow(/exactTop must be an integer in \[0, 4294967295\]/);
    await expect(index.searchImage(queries, 1, { exactTop: 8, nprobe: 0 })).rejects.toThrow(/nprobe must be a positive integer/);
    await expect(index.searchImage(queries, 1, { exactTop: 8, exactVectors: bank.subarray(0, 10 * D) })).rejects.toThrow(
      /exactVectors holds 10 vectors; the index holds 6000/,
    );
    await expect(index.searchImage(queries, 1, null as unknown as { exactTop: number })).rejects.toThrow(/options must be an object/);
    const untrained = FaissIndex.create(D, 'IVF64,SQ8');
    await expect(untrained.searchImage(queries, 1, { exactTop: 8 })).rejects.toMatchObject({ code: 'ERR_PATCHLINE_STATE' });
    untrained.close();
    index.close();
    await expect(index.searchImage(queries, 1, { exactTop: 8 })).rejects.toThrow(/closed/);
  });
});
