// Patch features from a file, read in chunks so a day's worth never sits in memory: raw little-endian float32 rows
// (`.f32`, any other extension; the dimension is given) or a NumPy `.npy` array of float32, shape (rows, dim), C order
// (what `np.save(f, x.astype('<f4'))` writes). Every refusal names the file and what is wrong with it.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { throwIfAborted } from '../progress';

export interface FeatureFile {
  file: string;
  format: 'npy' | 'f32';
  rows: number;
  dim: number;
  /** Bytes before the first row. */
  offset: number;
}

const NPY_MAGIC = '\x93NUMPY';

function refuse(file: string, what: string): Error {
  return new Error(`${file}: ${what}`);
}

/** The .npy header (versions 1-3): a Python dict literal naming dtype, order and shape. */
function npyHeader(file: string, fd: number, size: number): { rows: number; dim: number; offset: number } {
  const head = Buffer.alloc(Math.min(size, 12));
  readSync(fd, head, 0, head.length, 0);
  if (head.length < 10 || head.toString('latin1', 0, 6) !== NPY_MAGIC) throw refuse(file, 'not a NumPy .npy file (bad magic bytes)');
  const major = head[6];
  const lenBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw refuse(file, `unsupported .npy version ${major}`);
  const headerLen = lenBytes === 2 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const offset = 8 + lenBytes + headerLen;
  if (offset > size) throw refuse(file, 'truncated .npy header');
  const text = Buffer.alloc(headerLen);
  readSync(fd, text, 0, headerLen, 8 + lenBytes);
  const header = text.toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== '<f4' && descr !== '=f4' && descr !== '|f4') {
    throw refuse(file, `holds ${descr ?? 'an unknown dtype'}, not little-endian float32 ('<f4'): save it with x.astype('<f4')`);
  }
  if (!/'fortran_order'\s*:\s*False/.test(header)) throw refuse(file, 'is in Fortran order; save a C-ordered array (np.ascontiguousarray)');
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  const dims = (shape ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (dims.length !== 2 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw refuse(file, `has shape (${shape ?? '?'}); expected (rows, dim)`);
  }
  return { rows: dims[0], dim: dims[1], offset };
}

/** Opens and checks a feature file; `dim` is required for raw files and checked against a .npy's shape. */
export function openFeatureFile(file: string, dim?: number): FeatureFile {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw refuse(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (file.toLowerCase().endsWith('.npy')) {
      const h = npyHeader(file, fd, size);
      if (dim !== undefined && dim !== h.dim) throw refuse(file, `holds ${h.dim}-d rows, not ${dim}-d`);
      const need = h.offset + h.rows * h.dim * 4;
      if (size < need) throw refuse(file, `is truncated: ${size} bytes, the header's shape needs ${need}`);
      return { file, format: 'npy', ...h };
    }
    if (dim === undefined) throw refuse(file, 'is a raw float32 file: give its dimension (--dim)');
    if (!(Number.isInteger(dim) && dim > 0)) throw refuse(file, `dimension must be a positive integer, got ${dim}`);
    if (size === 0 || size % (4 * dim) !== 0) throw refuse(file, `holds ${size} bytes, not a whole number of ${dim}-d float32 rows`);
    return { file, format: 'f32', rows: size / (4 * dim), dim, offset: 0 };
  } finally {
    closeSync(fd);
  }
}

/** The rows, `chunkRows` at a time (the last chunk shorter); refuses NaN or infinite values by row and column. */
export async function* readFeatureChunks(f: FeatureFile, chunkRows = 32768, signal?: AbortSignal): AsyncGenerator<Float32Array> {
  const handle = await open(f.file, 'r');
  try {
    for (let row = 0; row < f.rows; row += chunkRows) {
      throwIfAborted(signal);
      const n = Math.min(chunkRows, f.rows - row);
      const chunk = new Float32Array(n * f.dim);
      const bytes = new Uint8Array(chunk.buffer);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, f.offset + row * f.dim * 4);
      if (bytesRead !== bytes.length) throw refuse(f.file, `ended early at row ${row + Math.floor(bytesRead / (4 * f.dim))} of ${f.rows}`);
      for (let i = 0; i < chunk.length; i++) {
        if (!Number.isFinite(chunk[i])) {
          throw refuse(f.file, `row ${row + Math.floor(i / f.dim)}, column ${i % f.dim} is ${Number.isNaN(chunk[i]) ? 'NaN' : 'infinite'}`);
        }
      }
      yield chunk;
    }
  } finally {
    await handle.close();
  }
}
