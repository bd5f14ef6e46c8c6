#!/usr/bin/env node
// Locates the system Faiss and BLAS that native/binding.gyp links against, and says what to install when they are
// missing. binding.gyp calls `node native-deps.mjs cflags|libs`; setup.mjs imports findFaiss().
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { isMainModule } from './main-module.mjs';

/** What a user must run to get Faiss, per platform: one actionable line. */
export const INSTALL_HINT = {
  linux: 'sudo apt-get install libfaiss-dev libopenblas-dev   (Debian/Ubuntu; other distributions: install Faiss >= 1.7 with its headers and a BLAS, then set PATCHLINE_FAISS_DIR to its prefix)',
  darwin: 'brew install faiss libomp   (then run npm install again)',
  win32: 'vcpkg install faiss:x64-windows openblas:x64-windows   (then set VCPKG_ROOT and run npm install again)',
};

function linuxMultiarch() {
  try {
    return execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim() || 'x86_64-linux-gnu';
  } catch {
    return process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  }
}

/**
 * @returns {{ ok: true, include: string, libs: string[] } | { ok: false, missing: string[], hint: string }}
 */
export function findFaiss() {
  const platform = process.platform;
  const prefixes = [];
  if (process.env.PATCHLINE_FAISS_DIR) prefixes.push(process.env.PATCHLINE_FAISS_DIR);
  if (platform === 'linux') prefixes.push('/usr', '/usr/local');
  if (platform === 'darwin') prefixes.push('/opt/homebrew', '/usr/local');
  if (platform === 'win32' && process.env.VCPKG_ROOT) {
    prefixes.push(path.join(process.env.VCPKG_ROOT, 'installed', 'x64-windows'));
  }
  const libDirs = (prefix) =>
    platform === 'linux' ? [path.join(prefix, 'lib', linuxMultiarch()), path.join(prefix, 'lib')] : [path.join(prefix, 'lib')];

  for (const prefix of prefixes) {
    const header = path.join(prefix, 'include', 'faiss', 'Index.h');
    if (!existsSync(header)) continue;
    for (const dir of libDirs(prefix)) {
      // Static first: the .node then carries Faiss inside it and needs no libfaiss.so at run time.
      const staticLib = path.join(dir, platform === 'win32' ? 'faiss.lib' : 'libfaiss.a');
      const sharedLib = path.join(dir, platform === 'darwin' ? 'libfaiss.dylib' : 'libfaiss.so');
      const faiss = existsSync(staticLib) ? staticLib : existsSync(sharedLib) ? `-L${dir} -lfaiss` : null;
      if (!faiss) continue;
      const blas = findBlas(dir, platform);
      if (!blas) return { ok: false, missing: ['a BLAS (OpenBLAS)'], hint: INSTALL_HINT[platform] ?? INSTALL_HINT.linux };
      return { ok: true, include: path.join(prefix, 'include'), libs: [...faiss.split(' '), ...blas] };
    }
  }
  return { ok: false, missing: ['Faiss headers and library'], hint: INSTALL_HINT[platform] ?? INSTALL_HINT.linux };
}

function findBlas(dir, platform) {
  if (platform === 'darwin') return ['-framework', 'Accelerate'];
  const candidates = [dir, path.join(path.dirname(dir)), '/usr/lib', `/usr/lib/${linuxMultiarch()}`];
  for (const d of candidates) {
    if (existsSync(path.join(d, 'libopenblas.so')) || existsSync(path.join(d, 'libopenblas.a'))) {
      return [`-L${d}`, '-lopenblas'];
    }
  }
  return null;
}

export function osRelease() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return Object.fromEntries(
      text.split('\n').filter((l) => l.includes('=')).map((l) => {
        const i = l.indexOf('=');
        return [l.slice(0, i), l.slice(i + 1).replace(/^"|"$/g, '')];
      }),
    );
  } catch {
    return {};
  }
}

if (isMainModule(import.meta.url)) {
  const what = process.argv[2];
  const found = findFaiss();
  if (!found.ok) {
    process.stderr.write(`PatchLine: ${found.missing.join(', ')} not found. Install with: ${found.hint}\n`);
    process.exit(1);
  }
  if (what === 'include') process.stdout.write(found.include);
  else if (what === 'libs') process.stdout.write(found.libs.join(' '));
  else {
    process.stderr.write('usage: native-deps.mjs include|libs\n');
    process.exit(2);
  }
}
