import { defineConfig } from 'vitest/config';

// One runner for everything. `unit` is fast and parallel; `e2e` drives Debian's Chromium against the headless host
// and runs one file at a time, after `unit` (groupOrder): it measures the window's long tasks, which the engine's
// integration tests would otherwise stretch by keeping both cores busy beside it.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{native,electron,shared,renderer,bench,scripts}/**/*.test.{ts,tsx}'],
          // Native addons and onnxruntime are happiest in child processes, not worker threads.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
