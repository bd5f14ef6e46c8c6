// Layers only import downward, and every file's environment is visible from its folder:
//   shared/    environment-neutral types and the IPC contract: no Node, no Electron, no other layer
//   native/    the C++ addon and its thin TS layer: Node only
//   electron/  main process (engine, services, host, cli, main, preload): may use shared/ and native/
//   renderer/  browser only: may use shared/, never electron/, native/ or Node
//   electron/preload/  sandboxed: only `electron` and shared/ (bundled)
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url', 'stream', 'util', 'events', 'module'];

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'native/build/**', 'e2e/artifacts/**', 'bench/results/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['shared/**'],
    rules: restrict(
      [...nodeBuiltins, 'electron', '**/electron/**', '**/native/**', '**/renderer/**', '*.node'],
      'shared/ is environment-neutral: no Node, Electron or other layers.',
    ),
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      [...nodeBuiltins, 'electron', '**/electron/**', '**/native/**', '*.node'],
      'renderer/ talks to main only through the shared/ contract.',
    ),
  },
  {
    files: ['electron/engine/**'],
    rules: restrict(['electron', '**/renderer/**', '**/native/lib/**', '*.node'], 'The engine imports nothing from Electron; use native/index.ts.'),
  },
  {
    // The preload runs sandboxed: it can load nothing but `electron` and what the bundler inlines from shared/.
    files: ['electron/preload/**'],
    ignores: ['electron/preload/**/*.test.ts'],
    rules: restrict(
      [...nodeBuiltins, '**/services/**', '**/engine/**', '**/host/**', '**/main/**', '**/native/**', '**/renderer/**', '*.node'],
      'The sandboxed preload exposes the contract channel and nothing else.',
    ),
  },
  {
    files: ['electron/**', 'bench/**', 'e2e/**', 'scripts/**'],
    ignores: ['electron/engine/**', 'electron/preload/**'],
    rules: restrict(['**/renderer/src/**', '**/native/lib/**', '*.node'], 'Import native/ through native/index.ts; the renderer only through its build.'),
  },
);
