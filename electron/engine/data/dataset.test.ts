import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFitSource, openLabelledSet, openTestSet } from './dataset';

function tree(files: string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'pl-ds-'));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), 'x');
  }
  return root;
}

const mvtec = ['train/good/a.png', 'train/good/b.png', 'test/good/c.png', 'test/crack/d.png', 'ground_truth/crack/d_mask.png', 'readme.txt'];

describe('openFitSource', () => {
  it('reads train/good and validation/good of an MVTec folder', () => {
    const root = tree([...mvtec, 'validation/good/v.png']);
    const s = openFitSource(root);
    expect(s.kind).toBe('mvtec');
    expect(s.train.map((p) => path.basename(p))).toEqual(['a.png', 'b.png']);
    expect(s.validation.map((p) => path.basename(p))).toEqual(['v.png']);
  });

  it('takes a plain folder of good images', () => {
    const s = openFitSource(tree(['x.JPG', 'y.bmp', 'z.tiff', 'notes.txt', '.hidden.png']));
    expect(s.kind).toBe('folder');
    expect(s.train.map((p) => path.basename(p))).toEqual(['x.JPG', 'y.bmp', 'z.tiff']);
  });

  it('says what is wrong', () => {
    expect(() => openFitSource('/definitely/not/here')).toThrow(/does not exist/);
    expect(() => openFitSource(tree(['test/good/c.png']))).toThrow(/no train\/good/);
    expect(() => openFitSource(tree(['train/good/readme.txt']))).toThrow(/train\/good has no images/);
    expect(() => openFitSource(tree(['notes.txt']))).toThrow(/has no images .* not an MVTec AD folder/);
  });
});

describe('openTestSet', () => {
  it('pairs defect images with their masks', () => {
    const t = openTestSet(tree(mvtec));
    expect(t.defects).toEqual(['crack']);
    expect(t.images.map((i) => [path.basename(i.path), i.label, i.mask && path.basename(i.mask)])).toEqual([
      ['d.png', 1, 'd_mask.png'],
      ['c.png', 0, null],
    ]);
  });

  it('names an image without a mask and a mask without an image', () => {
    const root = tree([...mvtec, 'test/crack/e.png', 'ground_truth/crack/f_mask.png']);
    expect(() => openTestSet(root)).toThrow(/e\.png has no mask[\s\S]*f_mask\.png has no image/);
  });

  it('refuses a folder that is not an MVTec category, or a split that is missing or empty', () => {
    expect(() => openTestSet(tree(['a.png']))).toThrow(/not an MVTec AD category folder: it has no test\//);
    expect(() => openTestSet(tree(['test/crack/d.png', 'ground_truth/crack/d_mask.png']))).toThrow(/no good\/ folder/);
    expect(() => openTestSet(tree(['test/good/c.png']))).toThrow(/only good/);
    expect(() => openTestSet(tree(['test/good/c.png', 'test/crack/readme.txt']))).toThrow(/crack is empty/);
  });
});

describe('openLabelledSet without required masks', () => {
  it('reads class folders directly in the folder: good or ok is good, any other folder a defect kind', () => {
    const t = openLabelledSet(tree(['OK/a.png', 'scratch/b.webp', 'scratch/notes.txt', 'dent/c.jpg', 'loose.png']), { masks: 'optional' });
    expect(t.defects).toEqual(['dent', 'scratch']);
    expect(t.images.map((i) => [i.defect, path.basename(i.path), i.label, i.mask])).toEqual([
      ['OK', 'a.png', 0, null],
      ['dent', 'c.jpg', 1, null],
      ['scratch', 'b.webp', 1, null],
    ]);
  });

  it("reads an MVTec folder's test/ and attaches the masks it has", () => {
    const t = openLabelledSet(tree([...mvtec, 'test/crack/e.png']), { masks: 'optional' });
    expect(t.images.map((i) => [path.basename(i.path), i.mask && path.basename(i.mask)])).toEqual([
      ['d.png', 'd_mask.png'],
      ['e.png', null],
      ['c.png', null],
    ]);
  });

  it('refuses a folder with no labelled image', () => {
    expect(() => openLabelledSet(tree(['a.png', 'good/readme.txt']), { masks: 'optional' })).toThrow(/has no labelled images/);
  });
});
