import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './codec';

describe('WebSocket frame codec', () => {
  it('sends messages without binary parts as JSON text', () => {
    const msg = { t: 'req', id: 3, v: 1, method: 'models.list', input: {} };
    const frame = encodeFrame(msg);
    expect(typeof frame).toBe('string');
    expect(decodeFrame(frame)).toEqual(msg);
  });

  it('round-trips nested Uint8Array parts byte for byte in a binary frame', () => {
    const a = new Uint8Array([1, 2, 3, 255]);
    const b = new Uint8Array(70_000).map((_, i) => i % 251);
    const msg = { t: 'res', id: 9, ok: true, data: { heatmap: { data: a }, list: [{ bytes: b }, 'x'], n: null } };
    const frame = encodeFrame(msg);
    expect(frame).toBeInstanceOf(Uint8Array);
    const back = decodeFrame(frame) as typeof msg;
    expect(back.data.heatmap.data).toBeInstanceOf(Uint8Array);
    expect([...back.data.heatmap.data]).toEqual([1, 2, 3, 255]);
    expect(Buffer.from((back.data.list[0] as { bytes: Uint8Array }).bytes).equals(Buffer.from(b))).toBe(true);
    expect(back.data.n).toBeNull();
  });

  it('keeps a subarray view to its own bytes', () => {
    const big = new Uint8Array([9, 9, 1, 2, 9]);
    const back = decodeFrame(encodeFrame({ p: big.subarray(2, 4) })) as { p: Uint8Array };
    expect([...back.p]).toEqual([1, 2]);
  });

  it('accepts an ArrayBuffer as delivered by a browser WebSocket', () => {
    const frame = encodeFrame({ x: new Uint8Array([7]) }) as Uint8Array;
    const ab = new Uint8Array(frame).buffer; // a fresh, exactly-sized ArrayBuffer
    expect((decodeFrame(ab) as { x: Uint8Array }).x[0]).toBe(7);
  });

  it('rejects malformed frames instead of returning garbage', () => {
    expect(() => decodeFrame(new Uint8Array([1, 0]))).toThrow(/too short/);
    expect(() => decodeFrame(new Uint8Array([200, 0, 0, 0, 1]))).toThrow(/overruns/);
    const good = encodeFrame({ x: new Uint8Array(10) }) as Uint8Array;
    expect(() => decodeFrame(good.subarray(0, good.byteLength - 3))).toThrow(/overruns/);
    expect(() => decodeFrame('{nope')).toThrow();
  });

  it('refuses the reserved key so a payload cannot forge a binary reference', () => {
    expect(() => encodeFrame({ $bin: 0 })).toThrow(/reserved/);
  });
});
