// Coreset part of bench:native (owner: the coreset work).
import type { BenchArgs, Row } from './lib/report';

export async function runCoresetBench(_args: BenchArgs): Promise<{ rows: Row[]; summary: Record<string, number> }> {
  throw new Error('coreset benchmark not written yet');
}
