// Image scores of a labelled folder (class folders, no masks needed): what the threshold screen shows as two
// distributions. Any Model scores it, so the services' test double shares this too.
import path from 'node:path';
import { auroc } from '../../../shared/roc';
import type { EvalImageResult, Model, ScoreFolderOptions, ScoreFolderResult, SkippedFile } from '../api';
import { openLabelledSet } from '../data/dataset';
import { ProgressTracker, throwIfAborted } from '../progress';

export async function scoreLabelledFolder(open: (dir: string) => Promise<Model>, o: ScoreFolderOptions): Promise<ScoreFolderResult> {
  const set = openLabelledSet(o.data, { masks: 'optional' });
  const model = await open(o.model);
  try {
    const images: EvalImageResult[] = [];
    const skipped: SkippedFile[] = [];
    const progress = new ProgressTracker('evaluate', set.images.length, o.onProgress);
    for (const item of set.images) {
      throwIfAborted(o.signal);
      const t = performance.now();
      try {
        const p = await model.predictFile(item.path);
        images.push({ path: item.path, defect: item.defect, label: item.label, score: p.score, msPerImage: performance.now() - t });
      } catch (err) {
        // An unreadable file is counted, not fatal: the operator sees how many and which.
        skipped.push({ path: item.path, reason: (err as Error).message.split('\n')[0] || path.basename(item.path) });
      }
      progress.tick();
    }
    const imageAuroc = auroc(
      images.map((i) => i.score),
      images.map((i) => i.label),
    );
    return { images, skipped, imageAuroc };
  } finally {
    await model.close();
  }
}
