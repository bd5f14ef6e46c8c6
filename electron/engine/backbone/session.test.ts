import { existsSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { loadCard, parseCard, selectTaps } from './card';
import { tapGraph } from './graph';
import { autoOrder, Extractor } from './session';
import { embedImage } from '../features/embed';
import { sharedDir } from '../paths';
import { TINY, tinyTrunkOnnx, tinyWeight } from '../testing/tiny-onnx';

const tinyCard = parseCard(
  {
    id: 'tiny',
    name: 'tiny float trunk',
    file: 'tiny.onnx',
    sha256: null,
    input: { name: 'input', size: 32, channelOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1] },
    taps: [
      { name: 'layer2', stride: 8, channels: TINY.c2 },
      { name: 'layer3', stride: 16, channels: TINY.c3 },
    ],
    embedDimension: 8,
  },
  'tiny',
);

function tinyFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pl-tiny-'));
  const file = path.join(dir, 'tiny.onnx');
  writeFileSync(file, tinyTrunkOnnx());
  return file;
}

describe('tapGraph', () => {
  it('makes the taps the only outputs and prunes the head', () => {
    const g = tapGraph(tinyTrunkOnnx(), tinyCard.taps);
    expect(g.nodesTotal).toBe(5);
    expect(g.nodesKept).toBe(4);
    const m = onnxProto.onnx.ModelProto.decode(g.bytes);
    expect(m.graph?.output?.map((o) => o.name)).toEqual(['layer2', 'layer3']);
    expect(g.inputName).toBe('input');
  });

  it('names a tensor that does not exist', () => {
    expect(() => tapGraph(tinyTrunkOnnx(), [{ name: 'layer9', stride: 32, channels: 1 }], 'tiny.onnx')).toThrow(/tiny\.onnx has no tensor "layer9"/);
    expect(() => tapGraph(new Uint8Array([1, 2, 3, 4, 5]), tinyCard.taps, 'junk.onnx')).toThrow(/junk\.onnx/);
  });
});

describe('Extractor on a float trunk (the WideResNet card path)', () => {
  it('returns float taps at strides 8 and 16 with the values the graph defines', async () => {
    const ex = await Extractor.create(tinyCard, tinyCard.taps, tinyFile(), { threads: 1 });
    expect(ex.provider).toBe('cpu');
    // Two 32×32 images, constant per channel: image b has channel c = (b + 1) · (c + 1).
    const n = 2;
    const batch = new Float32Array(n * 3 * 32 * 32);
    for (let b = 0; b < n; b++) for (let c = 0; c < 3; c++) batch.fill((b + 1) * (c + 1), (b * 3 + c) * 1024, (b * 3 + c + 1) * 1024);
    const [l2, l3] = await ex.run(batch, n, 32);
    expect([l2.channels, l2.height, l2.width]).toEqual([TINY.c2, 4, 4]);
    expect([l3.channels, l3.height, l3.width]).toEqual([TINY.c3, 2, 2]);
    const w2 = tinyWeight(TINY.c2, 3);
    const w3 = tinyWeight(TINY.c3, TINY.c2);
    const x = [2, 4, 6]; // image 1
    const v2 = [...Array(TINY.c2).keys()].map((o) => x.reduce((s, xi, i) => s + w2[o * 3 + i] * xi, 0));
    const v3 = [...Array(TINY.c3).keys()].map((o) => v2.reduce((s, vi, i) => s + w3[o * TINY.c2 + i] * vi, 0));
    expect(l2.data[(1 * TINY.c2 + 3) * 16 + 5]).toBeCloseTo(v2[3], 4);
    expect(l3.data[(1 * TINY.c3 + 5) * 4 + 2]).toBeCloseTo(v3[5], 3);
    // Embedding: interior patch of the 4×4 grid averages a full window → the raw values; 10 channels pool to 8.
    const e = embedImage([l2, l3], 1, tinyCard.embedDimension);
    expect([e.gridH, e.gridW, e.dim]).toEqual([4, 4, 8]);
    const p = 5;
    // bin 0 of adaptive pooling 10 → 8 covers channels [0, 2): both stride-8 channels 0 and 1.
    expect(e.data[p * 8]).toBeCloseTo((v2[0] + v2[1]) / 2, 3);
    await ex.close();
  });

  it('gives the same taps whatever the session options (threads, spinning, graph optimisation)', async () => {
    const batch = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
    const runWith = async (o: Parameters<typeof Extractor.create>[3]) => {
      const ex = await Extractor.create(tinyCard, tinyCard.taps, tinyFile(), o);
      const [l2] = await ex.run(batch, 1, 32);
      await ex.close();
      return l2.data;
    };
    const ref = await runWith({ threads: 1 });
    for (const o of [{ threads: 2, spin: true }, { threads: 0, spin: false }, { threads: 1, graphOptimization: 'basic' as const }]) {
      const d = await runWith(o);
      expect(d.length).toBe(ref.length);
      for (let i = 0; i < d.length; i += 7) expect(d[i]).toBeCloseTo(ref[i], 4);
    }
  });

  it('refuses a missing execution provider and falls back only for auto', async () => {
    const file = tinyFile();
    await expect(Extractor.create(tinyCard, tinyCard.taps, file, { device: 'cuda' })).rejects.toThrow(/cuda execution provider is not available.*--device auto/);
    await expect(Extractor.create(tinyCard, tinyCard.taps, file, { device: 'coreml' })).rejects.toThrow(/coreml execution provider is not available/);
    const notes: string[] = [];
    const ex = await Extractor.create(tinyCard, tinyCard.taps, file, { device: 'auto', onNote: (m) => notes.push(m) });
    // This machine has no GPU: whatever auto tried before CPU must be reported, and CPU must run.
    expect(ex.provider).toBe('cpu');
    expect(notes.join(' ')).toMatch(/cuda unavailable/);
    expect(autoOrder('linux')).toEqual(['cuda', 'webgpu', 'cpu']);
    await ex.close();
  });
});

const model = path.join(sharedDir(), 'models', 'mobilenetv2-12-int8.onnx');
const haveShared = existsSync(model);
if (!haveShared) console.log(`SKIP MobileNetV2 tap test: ${model} is absent (../shared is not beside this checkout)`);

describe.skipIf(!haveShared)('Extractor on MobileNetV2 int8', () => {
  it('taps and dequantizes 365/426 (and the optional stride-4 tap)', async () => {
    const card = loadCard();
    const taps = selectTaps(card, ['339_quantized', '365_quantized', '426_quantized']);
    const ex = await Extractor.create(card, taps, model, { threads: 1 });
    const batch = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.001));
    const out = await ex.run(batch, 1);
    expect(out.map((o) => [o.channels, o.height, o.width])).toEqual([
      [24, 56, 56],
      [32, 28, 28],
      [96, 14, 14],
    ]);
    // Dequantized values lie on the (q − zp) · scale lattice; 365's scale is 0.0498…
    const v = out[1].data;
    const scale = 0.04982829466462135;
    const q = v.map((x) => x / scale + 120);
    expect(q.every((x) => Math.abs(x - Math.round(x)) < 1e-3 && x >= -0.001 && x <= 255.001)).toBe(true);
    expect(new Set(v).size).toBeGreaterThan(10);
    await ex.close();
  });

  it('runs the fully convolutional trunk at 320 px (40×40 patch grid)', async () => {
    const card = loadCard();
    const ex = await Extractor.create(card, card.taps, model, { threads: 1, inputSize: 320 });
    const out = await ex.run(new Float32Array(3 * 320 * 320), 1);
    expect(out.map((o) => [o.height, o.width])).toEqual([
      [40, 40],
      [20, 20],
    ]);
    await ex.close();
  });
});
