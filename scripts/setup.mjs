#!/usr/bin/env node
// `npm install` runs this: system packages where they are missing (root on Debian/Ubuntu only), then the native addon.
// Everywhere else it stops with one line naming what to install. Nothing is downloaded from GitHub or a model hub.
//
//   node scripts/setup.mjs               system packages + addon build
//   node scripts/setup.mjs --build-only  addon build only
//
// PATCHLINE_SKIP_APT=1 never calls apt; PATCHLINE_SKIP_BROWSER=1 skips Chromium and mosquitto (only tests need them).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFaiss, osRelease } from './native-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildOnly = process.argv.includes('--build-only');

function log(msg) {
  process.stdout.write(`[patchline setup] ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`\n[patchline setup] ${msg}\n\n`);
  process.exit(1);
}

function canApt() {
  if (process.platform !== 'linux' || process.env.PATCHLINE_SKIP_APT === '1') return false;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  const os = osRelease();
  const family = `${os.ID ?? ''} ${os.ID_LIKE ?? ''}`;
  return /debian|ubuntu/.test(family) && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

function aptInstall(pkgs) {
  log(`apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0) {
    // A fresh container often has no package lists yet.
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
  }
  return r.status === 0;
}

function ensureSystemPackages() {
  let faiss = findFaiss();
  if (!faiss.ok && canApt()) {
    aptInstall(['libfaiss-dev', 'libopenblas-dev']);
    faiss = findFaiss();
  }
  if (!faiss.ok) {
    fail(`The native addon needs ${faiss.missing.join(' and ')}. Install it with:\n    ${faiss.hint}`);
  }
  if (process.platform === 'linux' && process.env.PATCHLINE_SKIP_BROWSER !== '1' && !existsSync('/usr/bin/chromium')) {
    if (!(canApt() && aptInstall(['chromium']))) {
      log('Chromium not installed: the e2e tests need /usr/bin/chromium (sudo apt-get install chromium).');
    }
  }
  // The MQTT output's tests run against a real broker; without one they are skipped with this reason.
  if (process.platform === 'linux' && process.env.PATCHLINE_SKIP_BROWSER !== '1' && !existsSync('/usr/sbin/mosquitto')) {
    if (!(canApt() && aptInstall(['mosquitto']))) {
      log('mosquitto not installed: the MQTT output tests need it (sudo apt-get install mosquitto).');
    }
  }
  // The zh-CN e2e pass takes screenshots: without a CJK font Chromium draws every Chinese character as a box.
  if (process.platform === 'linux' && process.env.PATCHLINE_SKIP_BROWSER !== '1' && !hasCjkFont()) {
    if (!(canApt() && aptInstall(['fonts-wqy-microhei']))) {
      log('No CJK font: the zh-CN screenshots will show boxes (sudo apt-get install fonts-wqy-microhei).');
    }
  }
}

function hasCjkFont() {
  const r = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().length > 0 : existsSync('/usr/share/fonts/truetype/wqy');
}

function buildAddon() {
  const local = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp');
  const gyp = existsSync(local) ? local : 'node-gyp';
  const args = ['rebuild', '--jobs', 'max', '--directory', path.join(root, 'native')];
  // Build against the headers that ship with this Node when they are there, so node-gyp never has to download them.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  log('building native/ (node-gyp)');
  const r = spawnSync(gyp, args, {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0) fail('Building the native addon failed; the compiler output above names the cause.');
}

if (!buildOnly) ensureSystemPackages();
buildAddon();
