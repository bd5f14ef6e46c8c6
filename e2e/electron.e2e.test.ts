// The same workstation in the real Electron shell (Playwright's _electron.launch): the app:// page through the
// sandboxed preload, the contract over IPC, the security settings as Electron applies them. Electron's binary cannot be
// downloaded on these machines; where it is missing the suite reports itself skipped and says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { repoRoot } from '../electron/services/testing/fixtures';
import { ARTIFACTS, tempDir } from './support/harness';

function electronBinary(): { path: string | null; reason: string } {
  try {
    // The electron package exports the binary's path, and throws when the binary was never downloaded.
    const p = createRequire(import.meta.url)('electron') as unknown;
    if (typeof p === 'string' && existsSync(p)) return { path: p, reason: '' };
    return { path: null, reason: `the electron package points at ${String(p)}, which does not exist` };
  } catch (e) {
    return { path: null, reason: `no Electron binary is installed (${(e as Error).message.split('\n')[0]})` };
  }
}

const binary = electronBinary();
if (!binary.path) {
  console.warn(`[e2e:electron] SKIPPED: ${binary.reason}. The headless-host suite (workstation.e2e.test.ts) covers the same screens and contract.`);
}

describe.skipIf(!binary.path)('PatchLine in Electron', () => {
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-app.mjs')], { cwd: repoRoot, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    const userData = await tempDir('electron-user');
    app = await _electron.launch({
      executablePath: binary.path!,
      args: [path.join(repoRoot, 'dist', 'electron', 'main.cjs'), `--user-data-dir=${userData}`],
      cwd: repoRoot,
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('loads the renderer from app:// with the preload bridge and no Node in the page', async () => {
    expect(page.url()).toBe('app://patchline/index.html');
    expect(await page.evaluate<string>('typeof window.patchline?.send + "/" + typeof window.patchline?.subscribe')).toBe('function/function');
    expect(await page.evaluate<string>('typeof require + "/" + typeof process')).toBe('undefined/undefined');
    expect(await page.evaluate<string[]>('Object.keys(window.patchline)')).toEqual(['send', 'subscribe']);
  });

  it('speaks the contract over IPC: first start asks for the engineer PIN', async () => {
    await page.getByTestId('pin-dialog').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('role').textContent()).toBe('Operator');
    await page.screenshot({ path: path.join(ARTIFACTS, 'electron-01-first-start.png') });
  });

  it('refuses to navigate away from the app or open windows', async () => {
    await page.evaluate<void>("location.href = 'https://example.com/'");
    await page.waitForTimeout(500);
    expect(page.url()).toBe('app://patchline/index.html');
    expect(await page.evaluate<boolean>("window.open('https://example.com/') === null")).toBe(true);
    expect(app.windows()).toHaveLength(1);
  });
});
