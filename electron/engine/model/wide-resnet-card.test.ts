// The shipped WideResNet-50-2 card, exercised end to end with a stand-in ONNX file of the same interface (float
// outputs "layer2" with 512 channels at stride 8 and "layer3" with 1024 at stride 16), since the real export is
// produced by users (docs/wide-resnet50-2.md).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCard } from '../backbone/card';
import { fit } from './fit';
import { loadModel } from './model';
import { exactBackends } from '../testing/exact-backends';
import { smallDataset, tempDir } from '../testing/fixtures';
import { tinyTrunkOnnx } from '../testing/tiny-onnx';

let data: string;
let onnxSha: string;

beforeAll(async () => {
  const dir = tempDir('pl-wrn-');
  const card = loadCard('wide-resnet50-2');
  const bytes = tinyTrunkOnnx(512, 1024);
  writeFileSync(path.join(dir, card.file), bytes);
  onnxSha = createHash('sha256').update(bytes).digest('hex');
  process.env.PATCHLINE_MODELS = dir;
  data = await smallDataset({ train: 3 });
});

describe('wide-resnet50-2 card', () => {
  it('fits with float taps pooled from 1536 to 1024 dimensions and pins the file it used', async () => {
    const out = path.join(tempDir(), 'm');
    const r = await fit({ data, out, backbone: 'wide-resnet50-2', imageSize: 64, coreset: { method: 'approx-greedy', ratio: 0.1 } }, { backends: exactBackends });
    expect(r.manifest.backbone).toMatchObject({ id: 'wide-resnet50-2', sha256: onnxSha });
    expect(r.manifest.params).toMatchObject({ taps: ['layer2', 'layer3'], embedDimension: 1024 });
    expect(r.manifest.bank.dimension).toBe(1024);
    const model = await loadModel(out, { backends: exactBackends });
    const p = await model.predictFile(path.join(data, 'test', 'hole', '000.png'));
    expect(p.score).toBeGreaterThan(0);
    expect(p.map.width).toBe(64);
    await model.close();
    // A different export later (other bytes) is refused for this model.
    const file = path.join(process.env.PATCHLINE_MODELS!, 'wide_resnet50_2_layer2_layer3.onnx');
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from([0])]));
    await expect(loadModel(out, { backends: exactBackends })).rejects.toThrow(/sha256 .* but wide-resnet50-2 expects/);
  });
});
