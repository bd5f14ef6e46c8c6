// `patchline update` and `patchline rollback`: incremental model versions (electron/engine/model/update.ts).
import { rollbackModel, updateModel } from '../engine/index';
import { num, oneOf, parseArgs, required, str } from './args';
import { writeJson, type Context } from './commands';

export const UPDATE_HELP = `patchline update --model MODEL --data NEWDIR [options]

Adds a new day's good images to an existing model without recomputing the old ones: each new patch joins the memory
bank only when it lies farther than the model's coverage radius r from everything already in it (a streaming
epsilon-net, the same projection as the fit's coreset). Writes a new model version; the previous one stays on disk, so
\`patchline rollback\` can return to it. Crash-safe: an interrupted update leaves the previous version in force, and the
next update or rollback discards its files.

  --model MODEL      the model folder
  --data NEWDIR      a folder of good images (or an MVTec category: train/good and validation/good)
  --radius R         coverage radius for the new patches (default: the radius the model records)
  --keep N           bank versions kept on disk for rollback (default 3)
  --strict           stop on an unreadable image instead of skipping it
  --device D  --threads N  --json FILE
Example: patchline update --model models/tile --data /line/good/2026-11-28
`;

export const ROLLBACK_HELP = `patchline rollback --model MODEL [--json FILE]

Returns a model to its previous bank version (bank, index and calibration), as a new history entry; the undone
version is marked rolled back and its files are deleted.
`;

export async function cmdUpdate(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, {
    help: { type: 'boolean', alias: 'h' },
    model: { type: 'string' },
    data: { type: 'string' },
    radius: { type: 'string' },
    keep: { type: 'string' },
    strict: { type: 'boolean' },
    device: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'string' },
  });
  const r = await updateModel(
    {
      model: required(p, 'model', 'update'),
      data: required(p, 'data', 'update'),
      radius: num(p, 'radius', { min: Number.MIN_VALUE }),
      keepVersions: num(p, 'keep', { int: true, min: 2 }),
      strict: p.options.strict === true,
      device: oneOf(p, 'device', ['cpu', 'cuda', 'webgpu', 'dml', 'coreml', 'auto'] as const),
      threads: num(p, 'threads', { int: true, min: 1 }),
      signal: ctx.signal,
      onProgress: ctx.bar.update,
    },
    { onNote: (m) => ctx.bar.note(m) },
  );
  const v = r.version;
  ctx.out(`v${v.version}: +${v.addedImages} images, +${v.addedVectors} vectors → bank ${v.bankVectors} (r ${v.radius?.toFixed(4)}, ${r.seconds.toFixed(1)} s)`);
  if (r.discarded.length) ctx.out(`discarded an interrupted update: ${r.discarded.join(', ')}`);
  const json = str(p, 'json');
  // The JSON is the update's record; the whole manifest is in the model folder.
  const { manifest: _manifest, ...record } = r;
  if (json) await writeJson(json, record);
}

export async function cmdRollback(argv: string[], ctx: Context): Promise<void> {
  const p = parseArgs(argv, { help: { type: 'boolean', alias: 'h' }, model: { type: 'string' }, json: { type: 'string' } });
  const { version: v } = await rollbackModel({ model: required(p, 'model', 'rollback') });
  ctx.out(`v${v.version}: ${v.note}; bank ${v.bankVectors} vectors`);
  const json = str(p, 'json');
  if (json) await writeJson(json, v);
}
