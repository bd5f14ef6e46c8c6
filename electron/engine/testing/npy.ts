// Test helper: NumPy .npy bytes, built the way numpy.save writes them (feature-file inputs without Python).
/** A .npy v1 file as numpy writes it (header padded with spaces to a 64-byte boundary, ending in a newline). */
export function npyBytes(x: Float32Array, rows: number, dim: number, descr = '<f4', fortran = false): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${rows}, ${dim}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(x.buffer, x.byteOffset, x.byteLength)]);
}
