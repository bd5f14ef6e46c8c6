// `patchline fold`: patch features from a file folded into a day-scale bank folder (electron/engine/stream/fold-file.ts).
import { foldFeatureFile } from '../engine/index';
import { num, parseArgs, required, str } from './args';
import { writeJson, type Context } from './commands';

export const FOLD_HELP = `patchline fold --features FILE --out BANKDIR [options]

Folds patch features extracted elsewhere into a memory bank with bounded memory: the file is read in chunks and each
row joins the bank only when it lies farther than r from everything already in it (a streaming epsilon-net). Writes
BANKDIR (bank.f32, a compressed index.faiss to load with mmap, fold.json with r, the growth curve and any growth
alarms) atomically: a failed or cancelled fold leaves nothing, and an existing BANKDIR as it was.

  --features FILE      NumPy .npy of float32, shape (rows, dim) — np.save(f, x.astype('<f4')) — or raw float32 rows
  --dim D              row dimension (required for raw files; checked for .npy)
  --radius R           coverage radius by hand
  --budget N           bank vectors to aim for: r is predicted from the warm-up for the file's length (the budget is
                       also a hard cap, re-thinned should the data drift)
  --ratio X            r = the approximate-greedy radius at this ratio on the warm-up (default 0.01)
  --cap N              hard cap on the bank (re-thinned to 90 % of it when exceeded)
  --warmup N           warm-up vectors (default 50000)
  --index-budget MB    memory budget for the index (default 1500): IVF-SQ8, or OPQ+IVF-PQ when it does not fit
  --overwrite          replace an existing BANKDIR   --json FILE   write fold.json's record here too
Example: patchline fold --features day-2026-11-28.npy --budget 120000 --out banks/2026-11-28
`;

export async function cmdFold(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, {
    help: { type: 'boolean', alias: 'h' },
    features: { type: 'string' },
    dim: { type: 'string' },
    out: { type: 'string' },
    radius: { type: 'string' },
    budget: { type: 'string' },
    ratio: { type: 'string' },
    cap: { type: 'string' },
    warmup: { type: 'string' },
    'index-budget': { type: 'string' },
    overwrite: { type: 'boolean' },
    json: { type: 'string' },
  });
  const budgetMb = num(p, 'index-budget', { min: Number.MIN_VALUE });
  const { dir, record } = await foldFeatureFile({
    features: required(p, 'features', 'fold'),
    out: required(p, 'out', 'fold'),
    dim: num(p, 'dim', { int: true, min: 1 }),
    radius: num(p, 'radius', { min: Number.MIN_VALUE }),
    budgetVectors: num(p, 'budget', { int: true, min: 1 }),
    ratio: num(p, 'ratio', { min: Number.MIN_VALUE, max: 1 }),
    cap: num(p, 'cap', { int: true, min: 1 }),
    warmup: num(p, 'warmup', { int: true, min: 1 }),
    indexBudgetBytes: budgetMb === undefined ? undefined : budgetMb * 1e6,
    overwrite: p.options.overwrite === true,
    signal: ctx.signal,
    onProgress: ctx.bar.update,
    onNote: (m) => ctx.bar.note(m),
  });
  const s = record.summary;
  ctx.out(
    `Bank written to ${dir}\n  ${record.rows.toLocaleString('en-US')} rows × ${record.dim} → bank ${s.bankVectors.toLocaleString('en-US')} ` +
      `(r ${s.radius.toFixed(4)} from ${s.radiusChoice.source}${s.rethins ? `, re-thinned ${s.rethins}×` : ''}), ${record.index.factory}, ` +
      `${s.alarms.length} growth alarm(s), ${record.seconds.toFixed(1)} s`,
  );
  const json = str(p, 'json');
  if (json) await writeJson(json, record);
}
