// Search part of bench:native (owner: the index work).
import type { BenchArgs, Row } from './lib/report';

export async function runSearchBench(_args: BenchArgs): Promise<{ rows: Row[]; summary: Record<string, number> }> {
  throw new Error('search benchmark not written yet');
}
