#!/usr/bin/env node
// `npm run build`: the renderer (Vite → dist/renderer) and the Electron bundles (esbuild → dist/electron):
//   main.cjs           the Electron main process (services, IPC, app:// protocol)
//   preload.cjs        the sandboxed preload (contextBridge: send / subscribe)
//   engine-worker.mjs  the engine worker thread entry
//   engine.mjs         the PatchCore engine (electron/engine/index.ts), imported by the worker
//   cli.mjs            the `patchline` CLI of the installed app (patchline-cli / PatchLine --cli)
// Native modules stay external (they are unpacked from the asar archive by electron-builder.yml).
//
//   node scripts/build-app.mjs [--renderer] [--electron] [--out DIR]   (default: both, into dist/)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainModule } from './main-module.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const want = (flag) => argv.includes(flag) || (!argv.includes('--renderer') && !argv.includes('--electron'));
const outIdx = argv.indexOf('--out');
const out = outIdx >= 0 ? path.resolve(argv[outIdx + 1]) : path.join(root, 'dist');

// The line outputs' libraries too: node-opcua reads its nodeset XML files beside its own code at run time, and
// modbus-serial's optional serialport is native; they load from node_modules (production dependencies are packaged).
const NATIVE = ['electron', 'better-sqlite3', 'sharp', 'onnxruntime-node', 'bufferutil', 'utf-8-validate', 'node-opcua', 'modbus-serial', 'mqtt'];

export async function buildRenderer(outDir = path.join(out, 'renderer')) {
  // The config imports the CSP from electron/host; Vite's bundling config loader handles that.
  process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING = 'true';
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'renderer.vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export async function buildElectron(outDir = path.join(out, 'electron')) {
  const { build } = await import('esbuild');
  const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', external: NATIVE, absWorkingDir: root };
  // CommonJS bundles have no import.meta: give them one from __filename.
  const cjsMeta = {
    define: { 'import.meta.url': '__patchline_import_meta_url', 'import.meta.filename': '__filename' },
    banner: { js: "const __patchline_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  };
  // ESM bundles may contain CommonJS dependencies that call require().
  const esmRequire = { banner: { js: "import { createRequire as __patchlineCreateRequire } from 'node:module'; const require = __patchlineCreateRequire(import.meta.url);" } };
  const jobs = [
    build({ ...common, ...cjsMeta, entryPoints: ['electron/main/main.ts'], format: 'cjs', outfile: path.join(outDir, 'main.cjs') }),
    build({ ...common, entryPoints: ['electron/preload/preload.ts'], format: 'cjs', platform: 'browser', external: ['electron'], outfile: path.join(outDir, 'preload.cjs') }),
    build({ ...common, ...esmRequire, entryPoints: ['electron/services/worker/engine-worker.ts'], format: 'esm', outfile: path.join(outDir, 'engine-worker.mjs') }),
    build({ ...common, ...esmRequire, entryPoints: ['electron/main/cli-entry.ts'], format: 'esm', outfile: path.join(outDir, 'cli.mjs') }),
  ];
  if (existsSync(path.join(root, 'electron/engine/index.ts'))) {
    jobs.push(build({ ...common, ...esmRequire, entryPoints: ['electron/engine/index.ts'], format: 'esm', outfile: path.join(outDir, 'engine.mjs') }));
  } else {
    console.warn('[build] electron/engine/index.ts is not in this tree yet: dist/electron/engine.mjs not built.');
  }
  await Promise.all(jobs);
  return outDir;
}

if (isMainModule(import.meta.url)) {
  try {
    if (want('--renderer')) console.log(`[build] renderer → ${path.relative(root, await buildRenderer())}`);
    if (want('--electron')) console.log(`[build] electron → ${path.relative(root, await buildElectron())}`);
  } catch (e) {
    console.error(`[build] ${e.message}`);
    process.exit(1);
  }
}
