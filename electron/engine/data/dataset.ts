// Datasets on disk, for fit, eval, labelled-folder scoring and the benches: the MVTec AD category layout, a plain
// folder of good images for fitting, or a folder of class folders (good/, <defect>/) for image scores.
//   train/good/*.png                 defect-free training images
//   validation/good/*.png            optional: defect-free images for calibration
//   test/good/*, test/<defect>/*     test images
//   ground_truth/<defect>/<name>_mask.png   one mask per defective test image
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { IMAGE_EXTENSIONS, isImageFileName } from '../../../shared/images';

export interface TestImage {
  path: string;
  defect: string; // the class folder's name: 'good' (or 'ok') or the defect's
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
    .filter(isImageFileName)
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

/** Folder names of defect-free classes; every other class folder is a defect kind. */
const GOOD_CLASS = /^(good|ok)$/i;

export interface LabelledSetOptions {
  /**
   * 'required' (evaluation with pixel metrics): an MVTec AD test/ split, every defective image with its mask and every
   * mask with its image. 'optional' (image scores only): class folders directly in the folder or under test/; a mask
   * is attached where ground_truth/ has one; empty class folders are allowed.
   */
  masks: 'required' | 'optional';
}

/**
 * A labelled set of images: one folder per class ('good' or 'ok' is defect-free, any other name a defect kind),
 * under test/ in the MVTec AD layout, with masks in ground_truth/<defect>/<name>_mask.*.
 */
export function openLabelledSet(dir: string, o: LabelledSetOptions): TestSet {
  const root = path.resolve(dir);
  needDir(root);
  const required = o.masks === 'required';
  const testDir = path.join(root, 'test');
  if (required && !isDir(testDir)) throw new Error(`${root} is not an MVTec AD category folder: it has no test/. ${LAYOUT_HELP}`);
  const base = isDir(testDir) ? testDir : root;
  const folders = readdirSync(base)
    .filter((f) => isDir(path.join(base, f)))
    .sort();
  const defects = folders.filter((f) => !GOOD_CLASS.test(f));
  if (required && defects.length === folders.length) {
    throw new Error(`${base} has no good/ folder: image AUROC needs defect-free test images. ${LAYOUT_HELP}`);
  }
  if (required && defects.length === 0) throw new Error(`${base} has only good/: add at least one test/<defect>/ folder. ${LAYOUT_HELP}`);
  const images: TestImage[] = [];
  const problems: string[] = [];
  for (const folder of folders) {
    const files = listImages(path.join(base, folder));
    if (required && files.length === 0) throw new Error(`${path.join(base, folder)} is empty.`);
    if (GOOD_CLASS.test(folder)) {
      for (const file of files) images.push({ path: file, defect: folder, label: 0, mask: null });
      continue;
    }
    const gtDir = path.join(root, 'ground_truth', folder);
    const masks = new Map((isDir(gtDir) ? readdirSync(gtDir).filter(isImageFileName) : []).map((m) => [path.basename(m, path.extname(m)), m]));
    for (const file of files) {
      const stem = path.basename(file, path.extname(file));
      const mask = masks.get(`${stem}_mask`);
      if (mask) masks.delete(`${stem}_mask`);
      else if (required) problems.push(`${file} has no mask (expected ${path.join(gtDir, `${stem}_mask.png`)})`);
      if (mask || !required) images.push({ path: file, defect: folder, label: 1, mask: mask ? path.join(gtDir, mask) : null });
    }
    if (required) for (const orphan of masks.values()) problems.push(`mask ${path.join(gtDir, orphan)} has no image in ${path.join(base, folder)}`);
  }
  if (problems.length) {
    const shown = problems.slice(0, 5).join('\n  ');
    const more = problems.length > 5 ? `\n  … and ${problems.length - 5} more` : '';
    throw new Error(`${root} does not follow the MVTec AD layout:\n  ${shown}${more}`);
  }
  if (images.length === 0) {
    throw new Error(`${base} has no labelled images: it needs a good/ folder and one folder per defect kind (${IMAGE_EXTENSIONS.join(', ')}).`);
  }
  return { root, images, defects };
}

/** The test split of an MVTec AD category with its masks (for pixel metrics). */
export function openTestSet(dir: string): TestSet {
  return openLabelledSet(dir, { masks: 'required' });
}
