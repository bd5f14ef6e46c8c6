// `npm run bench:native [-- --quick] [-- --only coreset|search|image] [-- --json FILE]`: the native addon's benchmark.
// Coreset kernels (approximate greedy vs pruned), k-NN search (Flat vs IVF-PQ vs HNSW), and one image against the
// bank (the engine's search + refine path vs the one native call vs exact search), on seeded synthetic data.
import { loadavg } from 'node:os';
import { describeMachine, machine, parseBenchArgs, writeJson } from './lib/report';
import { runCoresetBench } from './native-coreset';
import { runImageBench } from './native-image';
import { runSearchBench } from './native-search';

const PARTS = ['coreset', 'search', 'image'] as const;

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const started = Date.now();
  console.log(`PatchLine native benchmark (${args.quick ? 'quick' : 'full'}) on ${describeMachine()}\n`);
  const at = args.rest.indexOf('--only');
  const only = at >= 0 ? (args.rest[at + 1] ?? '').split(',') : [...PARTS];
  const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`--only takes ${PARTS.join(', ')} (comma-separated), got ${unknown.join(', ')}`);
  const loadBefore = loadavg();
  const coreset = only.includes('coreset') ? await runCoresetBench(args) : undefined;
  const search = only.includes('search') ? await runSearchBench(args) : undefined;
  const image = only.includes('image') ? await runImageBench(args) : undefined;
  const result = {
    benchmark: 'native',
    mode: args.quick ? 'quick' : 'full',
    machine: machine(),
    loadAverage: { before: loadBefore, after: loadavg() },
    seconds: (Date.now() - started) / 1000,
    summary: { ...coreset?.summary, ...search?.summary, ...image?.summary },
    coreset: coreset?.rows,
    search: search?.rows,
    image: image && { paths: image.rows, sweep: image.sweep },
  };
  if (args.json) {
    writeJson(args.json, result);
    console.log(`\nJSON written to ${args.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
