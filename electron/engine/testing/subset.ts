// Builds a smaller MVTec-layout view of a dataset out of symlinks (nothing copied): every n-th image of each split,
// masks alongside. Integration tests and quick benchmarks use it to keep runtimes short on real data.
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { openFitSource, openTestSet } from '../data/dataset';

export interface SubsetSpec {
  train: number;
  testGood: number;
  perDefect: number;
}

function spread<T>(items: T[], count: number): T[] {
  if (count >= items.length) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

export function linkSubset(src: string, dest: string, spec: SubsetSpec): string {
  const fitSrc = openFitSource(src);
  const test = openTestSet(src);
  const link = (file: string, rel: string) => {
    const target = path.join(dest, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    symlinkSync(path.resolve(file), target);
  };
  for (const f of spread(fitSrc.train, spec.train)) link(f, path.join('train', 'good', path.basename(f)));
  const byDefect = new Map<string, typeof test.images>();
  for (const im of test.images) byDefect.set(im.defect, [...(byDefect.get(im.defect) ?? []), im]);
  for (const [defect, images] of byDefect) {
    for (const im of spread(images, defect === 'good' ? spec.testGood : spec.perDefect)) {
      link(im.path, path.join('test', defect, path.basename(im.path)));
      if (im.mask) link(im.mask, path.join('ground_truth', defect, path.basename(im.mask)));
    }
  }
  return dest;
}
