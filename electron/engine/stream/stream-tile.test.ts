// Integration: the streaming fit (epsilon-net + compressed mapped index) against the default offline fit on a subset
// of ../shared/datasets/magnetic_tile, real backbone. The full-data comparison is bench/stream-real.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fit } from '../model/fit';
import { evaluate } from '../model/evaluate';
import { sharedDir } from '../paths';
import { tempDir } from '../testing/fixtures';
import { linkSubset } from '../testing/subset';
import { fitStream } from './fit-stream';

const dataset = path.join(sharedDir(), 'datasets', 'magnetic_tile');
const model = path.join(sharedDir(), 'models', 'mobilenetv2-12-int8.onnx');
const have = existsSync(dataset) && existsSync(model);
if (!have) console.log(`SKIP streaming magnetic tile test: ${existsSync(dataset) ? model : dataset} is absent (../shared is not beside this checkout)`);

// A regression guard, not the product bar. On this 100-image subset the streaming bank (7,424 vectors, r predicted for
// the budget, images folded in a seeded random order) measured image AUROC 0.823 against 0.836 offline, pixel AUROC
// 0.884 against 0.883 (AMD EPYC). Issue 5's bar, at most 0.5 point lost on the full dataset, is measured by
// bench/stream-real.ts (docs/day-scale.md).
const TOLERANCE = 0.025;

describe.skipIf(!have)('streaming fit on a magnetic tile subset', () => {
  it('scores within a tolerance of the offline fit, with a compressed index', async () => {
    const work = tempDir('pl-stream-tile-');
    const data = linkSubset(dataset, path.join(work, 'tile'), { train: 100, testGood: 40, perDefect: 12 });
    const offline = await fit({ data, out: path.join(work, 'offline') });
    const stream = await fitStream({ data, out: path.join(work, 'stream'), stream: { warmupImages: 32 } });
    expect(stream.manifest.bank.indexFactory).toMatch(/^(IVF\d+,SQ8|OPQ)/);
    expect(stream.manifest.history[0].radius).toBeGreaterThan(0);
    expect(stream.manifest.history[0].note).toMatch(/streaming epsilon-net, r from budget/);
    const a = await evaluate({ model: offline.dir, data });
    const b = await evaluate({ model: stream.dir, data });
    console.log(
      `magnetic tile subset: offline bank ${offline.manifest.bank.vectors} (${offline.manifest.bank.indexFactory}) image AUROC ${a.image_auroc.toFixed(4)} pixel ${a.pixel_auroc?.toFixed(4)}; ` +
        `stream bank ${stream.manifest.bank.vectors} (${stream.manifest.bank.indexFactory}, r ${stream.manifest.history[0].radius?.toFixed(3)}) image AUROC ${b.image_auroc.toFixed(4)} pixel ${b.pixel_auroc?.toFixed(4)}`,
    );
    expect(b.image_auroc).toBeGreaterThan(a.image_auroc - TOLERANCE);
    expect(a.pixel_auroc).not.toBeNull();
    expect(b.pixel_auroc).toBeGreaterThan((a.pixel_auroc ?? 1) - TOLERANCE);
  }, 900_000);
});
