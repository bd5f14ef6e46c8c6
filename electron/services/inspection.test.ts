import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { sniffFormat } from './inspection';

describe('sniffFormat', () => {
  const pixels = { create: { width: 4, height: 3, channels: 3 as const, background: '#808080' } };

  it('knows JPEG and PNG by their signatures', async () => {
    expect(sniffFormat(await sharp(pixels).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffFormat(await sharp(pixels).png().toBuffer())).toBe('png');
  });

  it('leaves other formats, text and truncated signatures to the header check', async () => {
    expect(sniffFormat(await sharp(pixels).webp().toBuffer())).toBeNull();
    expect(sniffFormat(Buffer.from('this is not a PNG'))).toBeNull();
    expect(sniffFormat(Uint8Array.from([0x89, 0x50, 0x4e]))).toBeNull();
    expect(sniffFormat(new Uint8Array())).toBeNull();
  });
});
