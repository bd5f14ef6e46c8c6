// The addon is context-aware: it loads in worker threads, runs in several environments at once with the same answers
// as the main thread, and a worker terminated in the middle of native work does not take the process down. (Node
// lets thread-pool work finish before it tears an environment down, so terminate() resolves when the job ends; the
// promise of a job whose environment is gone is dropped, not settled.)
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FaissIndex } from '../index';
import { runJobs, type JobAnswers } from './fixtures/native-jobs';

const boot = new URL('./fixtures/worker-boot.mjs', import.meta.url);
const file = new URL('./fixtures/native-worker.ts', import.meta.url).href;

interface Reply {
  answers?: JobAnswers;
  started?: boolean;
  done?: boolean;
  error?: string;
}

function startWorker(job: 'jobs' | 'long' | 'train', seed = 0): { worker: Worker; next: (want: keyof Reply) => Promise<Reply> } {
  const worker = new Worker(boot, { workerData: { file, job, seed } });
  const replies: Reply[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on('message', (m: Reply) => {
    replies.push(m);
    wake?.();
  });
  worker.on('error', (e) => {
    failure = e;
    wake?.();
  });
  const next = async (want: keyof Reply): Promise<Reply> => {
    for (;;) {
      if (failure) throw failure;
      const i = replies.findIndex((r) => r[want] !== undefined || r.error !== undefined);
      if (i >= 0) {
        const [r] = replies.splice(i, 1);
        if (r.error) throw new Error(`worker failed: ${r.error}`);
        return r;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { worker, next };
}

describe('worker threads', () => {
  it('two workers and the main thread run index builds, searches and coresets at once, with the same answers', async () => {
    const a = startWorker('jobs', 4);
    const b = startWorker('jobs', 5);
    const [main4, main5, fromA, fromB] = await Promise.all([runJobs(4), runJobs(5), a.next('answers'), b.next('answers')]);
    await Promise.all([a.worker.terminate(), b.worker.terminate()]);
    expect(fromA.answers).toEqual(main4);
    expect(fromB.answers).toEqual(main5);
    // The answers are real ones: the IVF search mostly agrees with the exact one, and the seeds differ.
    const agree = main4.ivfLabels.filter((l, i) => l === main4.flatLabels[i]).length / main4.flatLabels.length;
    expect(agree).toBeGreaterThan(0.9);
    expect(main4.coreset).not.toEqual(main5.coreset);
  });

  it.each(['long', 'train'] as const)(
    'terminating a worker in the middle of native work (%s) leaves the process and the other environments working',
    async (job) => {
      const w = startWorker(job);
      await w.next('started');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const exitCode = await w.worker.terminate();
      expect(exitCode).toBe(1);
      // The main thread's addon is untouched, and a fresh worker loads it again.
      const index = FaissIndex.create(4, 'Flat');
      await index.add(new Float32Array([0, 0, 0, 0, 1, 1, 1, 1]));
      const r = await index.search(new Float32Array([0.9, 0.9, 0.9, 0.9]), 1);
      expect(r.labels[0]).toBe(1n);
      index.close();
      const again = startWorker('jobs', 6);
      const [fromWorker, here] = await Promise.all([again.next('answers'), runJobs(6)]);
      expect(fromWorker.answers).toEqual(here);
      await again.worker.terminate();
    },
  );
});
