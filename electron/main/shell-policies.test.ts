// The line-PC policies of the Electron shell, as plain logic: the menu, the crash reloads, keeping the display awake,
// and where an installed app's parts are.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { appMenuTemplate, DEV_ONLY_ROLES, devToolsAllowed, menuLocale } from './menu';
import { ReloadLimiter } from './renderer-watchdog';
import { KeepAwake } from './keep-awake';
import { appLayout, applyLayoutEnv, unpacked } from './app-layout';

function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((i) => [...(i.role ? [i.role] : []), ...(Array.isArray(i.submenu) ? roles(i.submenu) : [])]);
}

const menu = (dev: boolean, locale: 'en' | 'zh-CN' = 'en') => appMenuTemplate({ dev, locale, platform: 'linux', openLogs: () => {}, about: () => {} });

describe('app menu', () => {
  it('has no Reload, Force Reload or DevTools in production', () => {
    const r = roles(menu(false));
    for (const role of DEV_ONLY_ROLES) expect(r).not.toContain(role);
    expect(r).toEqual(expect.arrayContaining(['quit', 'copy', 'paste', 'zoomIn']));
  });

  it('adds them back for a developer', () => {
    expect(roles(menu(true))).toEqual(expect.arrayContaining([...DEV_ONLY_ROLES]));
  });

  it('only an unpackaged run with --dev or PATCHLINE_DEV=1 is a developer run', () => {
    expect(devToolsAllowed(true, ['x', '--dev'], { PATCHLINE_DEV: '1' })).toBe(false);
    expect(devToolsAllowed(false, ['x', '--dev'], {})).toBe(true);
    expect(devToolsAllowed(false, ['x'], { PATCHLINE_DEV: '1' })).toBe(true);
    expect(devToolsAllowed(false, ['x'], {})).toBe(false);
  });

  it('speaks Chinese on a Chinese OS', () => {
    expect(menuLocale('zh-CN')).toBe('zh-CN');
    expect(menuLocale('zh-TW')).toBe('zh-CN');
    expect(menuLocale('en-US')).toBe('en');
    expect(menu(false, 'zh-CN')[0].label).toBe('文件');
  });

  it('opens the log folder from Help', () => {
    let opened = 0;
    const help = appMenuTemplate({ dev: false, locale: 'en', platform: 'win32', openLogs: () => opened++, about: () => {} }).find((m) => m.label === 'Help');
    const item = (help?.submenu as MenuItemConstructorOptions[]).find((i) => i.label === 'Open log folder');
    (item?.click as () => void)();
    expect(opened).toBe(1);
  });
});

describe('renderer crash reloads', () => {
  it('reloads up to 3 times a minute, then stops and says so', () => {
    const w = new ReloadLimiter(3, 60_000);
    expect(w.onGone('crashed', 1, 0).reload).toBe(true);
    expect(w.onGone('oom', 1, 1000).reload).toBe(true);
    expect(w.onGone('killed', 9, 2000)).toMatchObject({ reload: true, message: expect.stringContaining('3/3') });
    const stop = w.onGone('crashed', 1, 3000);
    expect(stop.reload).toBe(false);
    expect(stop.message).toMatch(/3 reloads in the last 60 s, not reloading again/);
    // A minute after the first crashes, reloading is allowed again.
    expect(w.onGone('crashed', 1, 62_001).reload).toBe(true);
  });

  it('does not reload a renderer that exited cleanly', () => {
    expect(new ReloadLimiter().onGone('clean-exit', 0, 0).reload).toBe(false);
  });
});

describe('keep awake while inspecting', () => {
  function rig() {
    let t = 0;
    const timers: { at: number; fn: () => void }[] = [];
    const calls: string[] = [];
    let next = 1;
    const blocker = {
      start: (type: string) => (calls.push(`start:${type}`), next++),
      stop: (id: number) => calls.push(`stop:${id}`),
    };
    const k = new KeepAwake(blocker, {
      idleMs: 60_000,
      now: () => t,
      setTimer: (fn, ms) => {
        const timer = { at: t + ms, fn };
        timers.push(timer);
        return timer;
      },
      clearTimer: (x) => timers.splice(timers.indexOf(x as (typeof timers)[0]), 1),
    });
    const advance = (ms: number) => {
      t += ms;
      for (const timer of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.fn();
      }
    };
    return { k, calls, advance };
  }

  it('holds the blocker while the hot folder runs and releases it when it stops', () => {
    const { k, calls } = rig();
    k.setHotFolder(true);
    k.setHotFolder(true);
    expect(calls).toEqual(['start:prevent-display-sleep']);
    expect(k.holding).toBe(true);
    k.setHotFolder(false);
    expect(calls).toEqual(['start:prevent-display-sleep', 'stop:1']);
    expect(k.holding).toBe(false);
  });

  it('holds it while camera parts arrive, and lets go a minute after the last one', () => {
    const { k, calls, advance } = rig();
    k.partScored();
    advance(30_000);
    k.partScored();
    advance(59_000);
    expect(k.holding).toBe(true);
    advance(1_000);
    expect(k.holding).toBe(false);
    expect(calls).toEqual(['start:prevent-display-sleep', 'stop:1']);
  });

  it('releases on dispose', () => {
    const { k, calls } = rig();
    k.setHotFolder(true);
    k.dispose();
    expect(calls.at(-1)).toBe('stop:1');
  });
});

describe('app layout', () => {
  it('finds an installed app\'s resources, renderer and unpacked addon, under spaces and CJK', () => {
    const res = path.join(tmpdir(), 'Program Files', '检测 line', 'PatchLine', 'resources');
    const l = appLayout(path.join(res, 'app.asar', 'dist', 'electron'));
    expect(l).toEqual({
      packaged: true,
      resourcesDir: res,
      rendererDir: path.join(res, 'app.asar', 'dist', 'renderer'),
      nativeAddon: path.join(res, 'app.asar.unpacked', 'native', 'build', 'Release', 'patchline_native.node'),
    });
    // The CLI bundle runs from app.asar.unpacked: the same layout.
    expect(appLayout(path.join(res, 'app.asar.unpacked', 'dist', 'electron')).resourcesDir).toBe(res);
    expect(unpacked(path.join(res, 'app.asar', 'x.node'))).toBe(path.join(res, 'app.asar.unpacked', 'x.node'));
  });

  it('is a checkout when not inside app.asar', () => {
    const repo = path.join(tmpdir(), '检测 line', 'patchline');
    expect(appLayout(path.join(repo, 'dist', 'electron'))).toMatchObject({ packaged: false, resourcesDir: null, rendererDir: path.join(repo, 'dist', 'renderer') });
  });

  it('passes the addon and resources on to workers and the CLI, keeping what the user set', () => {
    const res = path.join(mkdtempSync(path.join(tmpdir(), 'pl-layout-')), '检测 line', 'resources');
    const addon = path.join(res, 'app.asar.unpacked', 'native', 'build', 'Release', 'patchline_native.node');
    mkdirSync(path.dirname(addon), { recursive: true });
    writeFileSync(addon, '');
    const l = appLayout(path.join(res, 'app.asar', 'dist', 'electron'));
    const env: NodeJS.ProcessEnv = {};
    applyLayoutEnv(l, env);
    expect(env).toEqual({ PATCHLINE_NATIVE_PATH: addon, PATCHLINE_RESOURCES: res });
    const mine: NodeJS.ProcessEnv = { PATCHLINE_RESOURCES: '/elsewhere' };
    applyLayoutEnv(l, mine);
    expect(mine.PATCHLINE_RESOURCES).toBe('/elsewhere');
  });
});
