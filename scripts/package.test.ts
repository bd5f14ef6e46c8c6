// The installed app, as electron-builder lays it out, under a folder with spaces and CJK characters. Electron's binary
// cannot be downloaded here, so electron-builder packs around a stand-in: Node itself in place of the app binary. Node
// is what the packaged CLI runs on anyway (ELECTRON_RUN_AS_NODE), and, having no asar support, it also proves that
// everything the unpacked engine and CLI bundles import is unpacked with them. What needs Electron itself (the window,
// the --cli flag of the GUI binary, better-sqlite3 rebuilt for Electron's ABI) is not run here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNotices } from './notices.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const req = createRequire(import.meta.url);
const card = JSON.parse(readFileSync(path.join(root, 'assets', 'backbones', 'mobilenetv2-int8.json'), 'utf8')) as { file: string; sha256: string };
const sharedModel = path.join(process.env.PATCHLINE_SHARED ?? path.resolve(root, '..', 'shared'), 'models', card.file);
const dataset = path.join(process.env.PATCHLINE_SHARED ?? path.resolve(root, '..', 'shared'), 'datasets', 'magnetic_tile');

let base = '';
let app = '';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  expect(r.status, `${what}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const canPack = existsSync(sharedModel) || process.env.PATCHLINE_MODELS;

beforeAll(() => {
  if (!canPack) return;
  base = path.join(mkdtempSync(path.join(tmpdir(), 'pl-pack-')), '检测 line');
  // The stand-in Electron distribution: the app binary is Node.
  const fakeDist = path.join(base, 'electron dist');
  mkdirSync(fakeDist, { recursive: true });
  copyFileSync(process.execPath, path.join(fakeDist, 'electron'));
  ok(run(process.execPath, ['scripts/build-app.mjs']), 'build');
  ok(run(process.execPath, ['scripts/stage-models.mjs']), 'stage-models');
  ok(run(process.execPath, ['scripts/notices.mjs']), 'notices');
  const out = path.join(base, 'PatchLine 输出');
  ok(
    run(process.execPath, [
      req.resolve('electron-builder/cli.js'),
      '--linux',
      'dir',
      `--config.electronDist=${fakeDist}`,
      // Rebuilding better-sqlite3 for Electron's ABI needs Electron's headers, which cannot be downloaded here.
      '--config.npmRebuild=false',
      `--config.directories.output=${out}`,
    ]),
    'electron-builder',
  );
  app = path.join(out, 'linux-unpacked');
}, 300_000);

afterAll(() => {
  if (base) rmSync(path.dirname(base), { recursive: true, force: true });
});

describe.skipIf(!canPack)('the packaged app (electron-builder --dir around a stand-in binary)', () => {
  it('carries the licenses, the CLI wrapper, the backbone cards and the default backbone', () => {
    expect(readFileSync(path.join(app, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    const notices = readFileSync(path.join(app, 'THIRD_PARTY_NOTICES.md'), 'utf8');
    for (const c of ['Faiss', 'OpenBLAS', 'libvips', 'ONNX Runtime', 'Electron', 'MobileNetV2']) expect(notices).toContain(c);
    // Every npm package the app ships is listed with its license text.
    for (const p of buildNotices().packages) expect(notices).toContain(`### ${p.name} ${p.version}`);
    expect(statSync(path.join(app, 'patchline-cli')).mode & 0o111).not.toBe(0);
    expect(readdirSync(path.join(app, 'resources', 'backbones')).sort()).toEqual(readdirSync(path.join(root, 'assets', 'backbones')).sort());
    const model = path.join(app, 'resources', 'models', card.file);
    const sha = run('sha256sum', [model]).stdout.split(' ')[0];
    expect(sha).toBe(card.sha256);
  });

  it('packs the renderer and main into app.asar and unpacks the native and worker parts', () => {
    const asar = req('@electron/asar') as { listPackage(file: string, o: { isPack: boolean }): string[] };
    const files = asar.listPackage(path.join(app, 'resources', 'app.asar'), { isPack: false }).map((f) => f.split(path.sep).join('/'));
    for (const f of ['/dist/renderer/index.html', '/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/package.json']) expect(files).toContain(f);
    expect(files.some((f) => f.endsWith('.map'))).toBe(false);
    const unpacked = path.join(app, 'resources', 'app.asar.unpacked');
    for (const f of ['dist/electron/cli.mjs', 'dist/electron/engine.mjs', 'dist/electron/engine-worker.mjs', 'native/build/Release/patchline_native.node']) {
      expect(existsSync(path.join(unpacked, f)), f).toBe(true);
    }
  });

  it('the CLI of the installed app works offline on first start: fit and predict in folders named in Chinese', () => {
    const home = path.join(base, '用户 主目录');
    // No ../shared, no PATCHLINE_MODELS, an empty user cache: the packaged backbone is the only one there is.
    const env = { HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), PATCHLINE_SHARED: path.join(base, 'no shared'), PATCHLINE_MODELS: '', PATCHLINE_NATIVE_PATH: '' };
    const cli = path.join(app, 'patchline-cli');
    const listed = ok(run(cli, ['backbones'], env, base), 'backbones');
    expect(listed).toContain(`file ${path.join(app, 'resources', 'models', card.file)} (packaged)`);

    const good = path.join(base, '良品 图像');
    mkdirSync(good, { recursive: true });
    const images = readdirSync(path.join(dataset, 'train', 'good')).sort().slice(0, 10);
    for (const f of images) copyFileSync(path.join(dataset, 'train', 'good', f), path.join(good, `零件 ${f}`));
    const model = path.join(base, '模型 目录', '一号线');
    ok(run(cli, ['fit', '--data', good, '--out', model], env), 'fit');
    expect(JSON.parse(readFileSync(path.join(model, 'manifest.json'), 'utf8')).backbone.sha256).toBe(card.sha256);
    const heat = path.join(base, '热图 输出');
    const part = path.join(good, `零件 ${images[0]}`);
    const out = ok(run(cli, ['predict', '--model', model, part, '--out', heat], env), 'predict');
    expect(out).toMatch(new RegExp(`^(OK|NG) .*${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(readdirSync(heat)).toEqual([`零件 ${images[0].replace(/\.\w+$/, '')}_heatmap.png`]);
    // Nothing was downloaded into the user cache.
    expect(existsSync(path.join(home, '.cache', 'patchline', 'models'))).toBe(false);
  });
});

if (!canPack) console.warn(`[package] SKIPPED: the default backbone is neither in ${sharedModel} nor in $PATCHLINE_MODELS, so it cannot be packaged offline.`);
