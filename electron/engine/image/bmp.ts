// A small BMP decoder: sharp's prebuilt libvips has no BMP loader, and line cameras and older QA tools still write it.
// Uncompressed 1/4/8-bit palette, 16/24/32-bit (BI_RGB and BI_BITFIELDS), bottom-up or top-down. No RLE.

export interface DecodedRgb {
  data: Uint8Array; // interleaved RGB
  width: number;
  height: number;
}

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmp(buf: Uint8Array): DecodedRgb {
  if (!isBmp(buf) || buf.length < 26) throw new Error('not a BMP file');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number) => {
    if (n > buf.length) throw new Error(`BMP is truncated (needs ${n} bytes, has ${buf.length})`);
  };
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  let width: number, height: number, bpp: number, compression = 0, colorsUsed = 0;
  if (headerSize === 12) {
    need(26);
    width = dv.getUint16(18, true);
    height = dv.getInt16(20, true);
    bpp = dv.getUint16(24, true);
  } else if (headerSize >= 40) {
    need(54);
    width = dv.getInt32(18, true);
    height = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    colorsUsed = dv.getUint32(46, true);
  } else {
    throw new Error(`unsupported BMP header size ${headerSize}`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535) throw new Error(`BMP has invalid size ${width}×${height}`);
  if (compression !== 0 && compression !== 3 && compression !== 6) throw new Error(`BMP compression ${compression} (RLE/JPEG/PNG) is not supported`);

  let masks = [0x00ff0000, 0x0000ff00, 0x000000ff];
  if (bpp === 16) masks = [0x7c00, 0x03e0, 0x001f];
  if (compression === 3 || compression === 6) {
    // Masks follow a 40-byte header, or sit inside V4/V5 headers at the same place.
    need(14 + 40 + 12);
    masks = [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true)];
  }
  const palette: number[][] = [];
  if (bpp <= 8) {
    const entries = colorsUsed || 1 << bpp;
    const entrySize = headerSize === 12 ? 3 : 4;
    const start = 14 + headerSize;
    need(start + entries * entrySize);
    for (let i = 0; i < entries; i++) {
      const p = start + i * entrySize;
      palette.push([buf[p + 2], buf[p + 1], buf[p]]);
    }
  } else if (![16, 24, 32].includes(bpp)) {
    throw new Error(`BMP bit depth ${bpp} is not supported`);
  }
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  need(dataOffset + rowBytes * (height - 1) + Math.ceil((width * bpp) / 8));
  const out = new Uint8Array(width * height * 3);
  const [mr, mg, mb] = masks.map(maskShift);
  const scale = (v: number, m: { shift: number; max: number }) => (m.max ? Math.round((((v >>> m.shift) & m.max) * 255) / m.max) : 0);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      let r: number, g: number, b: number;
      if (bpp <= 8) {
        const bitPos = x * bpp;
        const byte = buf[row + (bitPos >> 3)];
        const idx = (byte >> (8 - bpp - (bitPos & 7))) & ((1 << bpp) - 1);
        const c = palette[idx] ?? [0, 0, 0];
        [r, g, b] = c;
      } else if (bpp === 24) {
        const p = row + x * 3;
        [b, g, r] = [buf[p], buf[p + 1], buf[p + 2]];
      } else {
        const v = bpp === 16 ? dv.getUint16(row + x * 2, true) : dv.getUint32(row + x * 4, true);
        [r, g, b] = [scale(v, mr), scale(v, mg), scale(v, mb)];
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return { data: out, width, height };
}

/** Writes a 24-bit bottom-up BMP (tests and the synthetic dataset use it to exercise the decoder). */
export function encodeBmp24(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + rowBytes * height;
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  buf[0] = 0x42;
  buf[1] = 0x4d;
  dv.setUint32(2, size, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 24, true);
  dv.setUint32(34, rowBytes * height, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      buf[row + x * 3] = rgb[s + 2];
      buf[row + x * 3 + 1] = rgb[s + 1];
      buf[row + x * 3 + 2] = rgb[s];
    }
  }
  return buf;
}
