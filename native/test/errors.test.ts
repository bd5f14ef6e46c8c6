// The addon's one error path, seen from JS: every family rejects with the same shape (message `${what}: ...`, a
// code, AbortError + ABORT_ERR for aborts), and every rejection carries the stack of the code that made the call.
import { describe, expect, it } from 'vitest';
import { approximateGreedyCoreset, EpsilonNet, FaissIndex, isAbortError, randomProjection } from '../index';
import type { NativeError } from '../index';

const D = 8;

function withNaN(rows: number): Float32Array {
  const x = new Float32Array(rows * D).map((_, i) => (i % 7) / 7);
  x[3 * D + 1] = NaN;
  return x;
}

async function rejection(p: Promise<unknown>): Promise<NativeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as NativeError;
}

// Named functions, so that the stack can be checked for the caller's own frame.
async function searchWithNaNFromTheCaller(): Promise<NativeError> {
  const index = FaissIndex.create(D, 'Flat');
  await index.add(new Float32Array(10 * D));
  const err = await rejection(index.search(withNaN(4), 1));
  index.close();
  return err;
}

async function coresetWithNaNFromTheCaller(): Promise<NativeError> {
  return rejection(approximateGreedyCoreset({ data: withNaN(20), rows: 20, cols: D }, { count: 2 }));
}

async function netBeforeTrainingFromTheCaller(): Promise<NativeError> {
  const net = new EpsilonNet({ dim: D, radius: 1, nlist: 4 });
  const err = await rejection(net.add(new Float32Array(4 * D)));
  await net.close();
  return err;
}

async function readMissingFromTheCaller(): Promise<NativeError> {
  return rejection(FaissIndex.read('/nonexistent/patchline/bank.index'));
}

// Seconds of work (a full pass over 200k points per selected point), aborted 100 ms in: the native abort path.
async function abortedCoresetFromTheCaller(): Promise<NativeError> {
  const rows = 200_000;
  const data = new Float32Array(rows * 32).map((_, i) => Math.sin(i * 0.37));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  return rejection(approximateGreedyCoreset({ data, rows, cols: 32 }, { count: 50_000, signal: controller.signal }));
}

describe('native errors', () => {
  it.each([
    ['FaissIndex.search', searchWithNaNFromTheCaller, 'ERR_PATCHLINE_INPUT', /^FaissIndex.search: queries contain NaN at row 3, column 1$/],
    ['approximateGreedyCoreset', coresetWithNaNFromTheCaller, 'ERR_PATCHLINE_INPUT', /^approximateGreedyCoreset: features row 3, column 1 is NaN$/],
    ['EpsilonNet.add', netBeforeTrainingFromTheCaller, 'ERR_PATCHLINE_STATE', /^EpsilonNet.add: the epsilon-net is not trained/],
    ['FaissIndex.read', readMissingFromTheCaller, 'ERR_PATCHLINE_IO', /^FaissIndex.read: index file not found: \/nonexistent/],
  ] as const)('%s rejects with a code, a message naming the call, and the caller stack', async (_what, call, code, message) => {
    const err = await call();
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.stack).toContain(err.message);
    expect(err.stack).toContain(call.name);
    expect(err.stack).toContain('errors.test.ts');
    expect(isAbortError(err)).toBe(false);
  });

  it('an abort is an AbortError with code ABORT_ERR and the caller stack, in every family', async () => {
    const aborted = await abortedCoresetFromTheCaller();
    expect(aborted.name).toBe('AbortError');
    expect(aborted.code).toBe('ABORT_ERR');
    expect(aborted.message).toBe('approximateGreedyCoreset: the operation was aborted');
    expect(aborted.stack).toContain('abortedCoresetFromTheCaller');
    expect(isAbortError(aborted)).toBe(true);
    const signal = AbortSignal.abort();
    const x = { data: new Float32Array(20 * D), rows: 20, cols: D };
    for (const p of [
      approximateGreedyCoreset(x, { count: 2, signal }),
      new EpsilonNet({ dim: D, radius: 1, nlist: 4 }).train(new Float32Array(8 * D), { signal }),
      FaissIndex.create(D, 'Flat').searchImage(new Float32Array(D), 1, { exactTop: 1, signal }),
    ]) {
      const err = await rejection(p);
      expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      expect(err.stack).toContain('errors.test.ts');
    }
  });

  it('argument errors are TypeError / RangeError with Node codes', async () => {
    const err = await rejection(randomProjection({ data: new Float32Array(8), rows: 2, cols: 4 }, 0, 1));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.code).toBe('ERR_OUT_OF_RANGE');
    expect(err.message).toBe('randomProjection: dim must be an integer in [1, 16384], got 0');
    expect(() => FaissIndex.create(D, '')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
