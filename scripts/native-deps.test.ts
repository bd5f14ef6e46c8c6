// native-deps.mjs runs as a script (binding.gyp calls it) and is imported (setup.mjs): the main-module check must hold
// under paths with spaces and CJK characters, as on a line PC's `D:\检测 line\patchline`.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainModule } from './main-module.mjs';
import { findFaiss } from './native-deps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The two scripts copied under a folder named like a Chinese line PC's. */
function copyScripts(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'pl-deps-')), '检测 line', '脚本 目录');
  mkdirSync(dir, { recursive: true });
  for (const f of ['native-deps.mjs', 'main-module.mjs']) copyFileSync(path.join(here, f), path.join(dir, f));
  return dir;
}

describe('isMainModule', () => {
  it('matches a script path with spaces and CJK characters (a URL would percent-encode them)', () => {
    const file = path.join(tmpdir(), '检测 line', 'a b.mjs');
    const url = pathToFileURL(file).href;
    expect(url).toContain('%20');
    expect(url === `file://${file}`).toBe(false); // the old check
    expect(isMainModule(url, file)).toBe(true);
    expect(isMainModule(url, path.join(tmpdir(), '检测 line', 'other.mjs'))).toBe(false);
    expect(isMainModule(url, undefined)).toBe(false);
  });

  it('ignores case on Windows only', () => {
    const file = path.join(tmpdir(), 'Line', 'x.mjs');
    const upper = file.toUpperCase();
    expect(isMainModule(pathToFileURL(file).href, upper, 'win32')).toBe(true);
    expect(isMainModule(pathToFileURL(file).href, upper, 'linux')).toBe(false);
  });

  it('follows a symlink to the script (Node runs the real path)', () => {
    const dir = copyScripts();
    const link = path.join(dir, '..', 'link 链接.mjs');
    symlinkSync(path.join(dir, 'native-deps.mjs'), link);
    expect(isMainModule(pathToFileURL(path.join(dir, 'native-deps.mjs')).href, link)).toBe(true);
  });
});

describe('native-deps.mjs as a script under `检测 line`', () => {
  const found = findFaiss();

  it('prints the Faiss include folder and libraries, as binding.gyp reads them', () => {
    if (!found.ok) {
      console.warn(`[native-deps] SKIPPED the include/libs check: Faiss is not installed here (${found.hint})`);
      return;
    }
    const dir = copyScripts();
    const include = spawnSync(process.execPath, [path.join(dir, 'native-deps.mjs'), 'include'], { encoding: 'utf8' });
    expect(include.status, include.stderr).toBe(0);
    expect(include.stdout).toBe(found.include);
    const libs = spawnSync(process.execPath, [path.join(dir, 'native-deps.mjs'), 'libs'], { encoding: 'utf8' });
    expect(libs.status, libs.stderr).toBe(0);
    expect(libs.stdout).toBe(found.libs.join(' '));
  });

  it('also runs from a relative path and cwd inside that folder (binding.gyp calls `node ../scripts/native-deps.mjs`)', () => {
    const dir = copyScripts();
    const r = spawnSync(process.execPath, ['../脚本 目录/native-deps.mjs', 'bogus'], { cwd: path.join(dir, '..', '..'), encoding: 'utf8' });
    // cwd is two levels up: the relative path is wrong on purpose → Node's own "cannot find module" error, not ours.
    expect(r.status).not.toBe(0);
    const ok = spawnSync(process.execPath, ['../脚本 目录/native-deps.mjs', 'bogus'], { cwd: path.join(dir, '..', '脚本 目录'), encoding: 'utf8' });
    // Usage error (2) proves the script ran as main; a Faiss-less machine exits 1 with the install hint.
    expect(ok.status).toBe(found.ok ? 2 : 1);
    expect(ok.stderr).toMatch(found.ok ? /usage: native-deps\.mjs include\|libs/ : /not found/);
  });

  it('does nothing when imported', async () => {
    const dir = copyScripts();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(pathToFileURL(path.join(dir, 'native-deps.mjs')).href)}).then((m) => console.log(typeof m.findFaiss))`], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('function');
  });
});
