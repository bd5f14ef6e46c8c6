// Datasets on disk: the MVTec AD category layout, or a plain folder of good images for fitting.
//   train/good/*.png                 defect-free training images
//   validation/good/*.png            optional: defect-free images for calibration
//   test/good/*, test/<defect>/*     test images
//   ground_truth/<defect>/<name>_mask.png   one mask per defective test image
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()) && !name.startsWith('.');
}

export interface TestImage {
  path: string;
  defect: string; // 'good' or the defect folder name
  label: 0 | 1;
  mask: string | null;
}

export interface FitSource {
  kind: 'mvtec' | 'folder';
  root: string;
  train: string[];
  /** validation/good when the dataset has it; empty otherwise (calibration then holds out part of train). */
  validation: string[];
}

export interface TestSet {
  root: string;
  images: TestImage[];
  defects: string[];
}

const LAYOUT_HELP =
  'An MVTec AD category folder holds train/good/, test/good/, test/<defect>/ and ground_truth/<defect>/<name>_mask.png.';

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function listImages(dir: string): string[] {
  return readdirSync(dir)
    .filter(isImageFile)
    .sort()
    .map((f) => path.join(dir, f));
}

function needDir(root: string): void {
  if (!existsSync(root)) throw new Error(`Dataset folder ${root} does not exist.`);
  if (!isDir(root)) throw new Error(`Dataset path ${root} is not a folder.`);
}

export function isMvtecLayout(root: string): boolean {
  return isDir(path.join(root, 'train')) || isDir(path.join(root, 'test')) || isDir(path.join(root, 'ground_truth'));
}

/** Training images: train/good (+ validation/good) of an MVTec folder, or every image directly inside a plain folder. */
export function openFitSource(dir: string): FitSource {
  const root = path.resolve(dir);
  needDir(root);
  if (isMvtecLayout(root)) {
    const trainDir = path.join(root, 'train', 'good');
    if (!isDir(trainDir)) throw new Error(`${root} looks like an MVTec AD folder but has no train/good/. ${LAYOUT_HELP}`);
    const train = listImages(trainDir);
    if (train.length === 0) throw new Error(`${trainDir} has no images (${IMAGE_EXTENSIONS.join(', ')}).`);
    const valDir = path.join(root, 'validation', 'good');
    const validation = isDir(valDir) ? listImages(valDir) : [];
    if (isDir(valDir) && validation.length === 0) throw new Error(`${valDir} exists but has no images; remove it or add good images.`);
    return { kind: 'mvtec', root, train, validation };
  }
  const train = listImages(root);
  if (train.length === 0) {
    throw new Error(`${root} has no images (${IMAGE_EXTENSIONS.join(', ')}) and is not an MVTec AD folder. ${LAYOUT_HELP} Or pass a folder of good images.`);
  }
  return { kind: 'folder', root, train, validation: [] };
}

/** The test split with its masks; every defective image must have a mask and every mask an image. */
export function openTestSet(dir: string): TestSet {
  const root = path.resolve(dir);
  needDir(root);
  const testDir = path.join(root, 'test');
  if (!isDir(testDir)) throw new Error(`${root} is not an MVTec AD category folder: it has no test/. ${LAYOUT_HELP}`);
  const folders = readdirSync(testDir)
    .filter((f) => isDir(path.join(testDir, f)))
    .sort();
  if (!folders.includes('good')) throw new Error(`${testDir} has no good/ folder: image AUROC needs defect-free test images. ${LAYOUT_HELP}`);
  const defects = folders.filter((f) => f !== 'good');
  if (defects.length === 0) throw new Error(`${testDir} has only good/: add at least one test/<defect>/ folder. ${LAYOUT_HELP}`);
  const images: TestImage[] = [];
  const problems: string[] = [];
  for (const folder of folders) {
    const files = listImages(path.join(testDir, folder));
    if (files.length === 0) throw new Error(`${path.join(testDir, folder)} is empty.`);
    const gtDir = path.join(root, 'ground_truth', folder);
    const masks = new Set(isDir(gtDir) ? readdirSync(gtDir).filter(isImageFile) : []);
    for (const file of files) {
      if (folder === 'good') {
        images.push({ path: file, defect: 'good', label: 0, mask: null });
        continue;
      }
      const stem = path.basename(file, path.extname(file));
      const mask = [...masks].find((m) => path.basename(m, path.extname(m)) === `${stem}_mask`);
      if (!mask) problems.push(`${file} has no mask (expected ${path.join(gtDir, `${stem}_mask.png`)})`);
      else {
        masks.delete(mask);
        images.push({ path: file, defect: folder, label: 1, mask: path.join(gtDir, mask) });
      }
    }
    for (const orphan of masks) problems.push(`mask ${path.join(gtDir, orphan)} has no image in ${path.join(testDir, folder)}`);
  }
  if (problems.length) {
    const shown = problems.slice(0, 5).join('\n  ');
    const more = problems.length > 5 ? `\n  … and ${problems.length - 5} more` : '';
    throw new Error(`${root} does not follow the MVTec AD layout:\n  ${shown}${more}`);
  }
  return { root, images, defects };
}
