// `npx tsx bench/auto-config.ts [--data DIR] [--threads N] [--json FILE]`
// fit --auto against a plain fit on the same data, in one process (the machine's load stretches both alike): the
// wall time of each, the ratio, the choice, and the test-set metrics (eval) of both models.
// Default data: ../shared/datasets/magnetic_tile.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { evaluate, fit, sharedDir } from '../electron/engine/index';
import { autoFit, settingLabel } from '../electron/engine/model/auto-config';
import { describeMachine, machine, parseBenchArgs, table, writeJson, type Row } from './lib/report';

// As bench/engine.ts: the coreset at the priority of everything else on a shared machine.
process.env.PATCHLINE_CORESET_NICE ??= '0';

function option(rest: string[], name: string): string | undefined {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const data = option(args.rest, 'data') ?? path.join(sharedDir(), 'datasets', 'magnetic_tile');
  if (!existsSync(data)) throw new Error(`${data} does not exist: pass --data DIR (an MVTec AD category folder).`);
  const threads = option(args.rest, 'threads') ? Number(option(args.rest, 'threads')) : undefined;
  console.log(`fit --auto vs plain fit on ${describeMachine()}\ndata ${data}\n`);
  const work = mkdtempSync(path.join(tmpdir(), 'pl-bench-auto-'));
  try {
    const rows: Row[] = [];
    const load: number[] = [loadavg()[0]];
    const t0 = performance.now();
    const plain = await fit({ data, out: path.join(work, 'plain'), threads });
    const plainS = (performance.now() - t0) / 1000;
    load.push(loadavg()[0]);
    const t1 = performance.now();
    const auto = await autoFit({ data, out: path.join(work, 'auto'), threads }, { onNote: (m) => console.log(`  note: ${m}`) });
    const autoS = (performance.now() - t1) / 1000;
    load.push(loadavg()[0]);
    const evals = [];
    for (const [name, dir] of [['plain fit', plain.dir], ['fit --auto', auto.dir]] as const) {
      const e = await evaluate({ model: dir, data, threads });
      evals.push(e);
      rows.push({ model: name, 'fit s': name === 'plain fit' ? plainS : autoS, 'image AUROC': e.image_auroc, 'pixel AUROC': e.pixel_auroc, AUPRO: e.aupro, 'F1-max': e.f1_max });
    }
    load.push(loadavg()[0]);
    const a = auto.auto;
    console.log(table(rows));
    console.log(`\nratio fit --auto / plain fit: ${(autoS / plainS).toFixed(2)}× (grid ${a.seconds.grid.toFixed(1)} s, final fit ${a.seconds.final.toFixed(1)} s; budget ${a.seconds.budget?.toFixed(1)} s from a plain fit estimated at ${a.seconds.plainEstimate?.toFixed(1)} s)`);
    console.log(`choice: ${a.choice ? `${settingLabel(a.choice)}, σ ${a.choice.sigma}` : `defaults (${a.fallback})`}${a.stoppedEarly ? `\nstopped early: ${a.stoppedEarly}` : ''}`);
    console.log(`held out: ${JSON.stringify(a.holdout)}; load average (1 min) at start, after plain, after auto, after evals: ${load.map((l) => l.toFixed(1)).join(', ')}\n`);
    console.log(table(a.grid.map((c) => ({ setting: settingLabel(c), σ: c.sigma, 'image AUROC': c.imageAuroc, AUPRO: c.aupro, score: c.score, 's (setting)': c.seconds }))));
    if (args.json) writeJson(args.json, { machine: machine(), data, threads, load, plainSeconds: plainS, autoSeconds: autoS, rows, auto: a });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
