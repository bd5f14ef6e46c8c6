// `npm run bench:native [-- --quick] [-- --json FILE]`: the native addon's benchmark.
// Coreset kernels (approximate greedy vs pruned) and k-NN search (Flat vs IVF-PQ vs HNSW), on seeded synthetic data.
import { describeMachine, machine, parseBenchArgs, writeJson } from './lib/report';
import { runCoresetBench } from './native-coreset';
import { runSearchBench } from './native-search';

async function main(): Promise<void> {
  const args = parseBenchArgs();
  const started = Date.now();
  console.log(`PatchLine native benchmark (${args.quick ? 'quick' : 'full'}) on ${describeMachine()}\n`);
  const coreset = await runCoresetBench(args);
  const search = await runSearchBench(args);
  const result = {
    benchmark: 'native',
    mode: args.quick ? 'quick' : 'full',
    machine: machine(),
    seconds: (Date.now() - started) / 1000,
    summary: { ...coreset.summary, ...search.summary },
    coreset: coreset.rows,
    search: search.rows,
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
