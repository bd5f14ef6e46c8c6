// Shared test fixtures: a tiny float backbone (card + ONNX file in a temp folder found through PATCHLINE_MODELS) and a
// small synthetic dataset, so engine tests run in seconds and without ../shared.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSynthetic } from '../data/synthetic';
import { TINY, tinyTrunkOnnx } from './tiny-onnx';

export function tempDir(prefix = 'pl-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes tiny.onnx and its card; points PATCHLINE_MODELS at them. Returns the card path. */
export function tinyBackbone(size = 64): string {
  const dir = tempDir('pl-tiny-');
  writeFileSync(path.join(dir, 'tiny.onnx'), tinyTrunkOnnx());
  const card = {
    id: 'tiny',
    name: 'tiny float trunk (tests)',
    file: 'tiny.onnx',
    sha256: null,
    input: { name: 'input', size, channelOrder: 'RGB', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    taps: [
      { name: 'layer2', stride: 8, channels: TINY.c2 },
      { name: 'layer3', stride: 16, channels: TINY.c3 },
    ],
  };
  const file = path.join(dir, 'tiny.json');
  writeFileSync(file, JSON.stringify(card));
  process.env.PATCHLINE_MODELS = dir;
  return file;
}

export async function smallDataset(opts: { train?: number; testGood?: number; perDefect?: number; seed?: number } = {}): Promise<string> {
  return generateSynthetic(path.join(tempDir('pl-data-'), 'washers'), { size: 96, train: 6, testGood: 3, perDefect: 1, ...opts });
}
