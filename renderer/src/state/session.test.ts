import { describe, expect, it } from 'vitest';
import { text } from '../i18n/testing';
import { msg } from '../i18n/message';
import { createAppStore } from './store';
import { engineerStatus, fakeClient, operatorStatus } from './testing';
import { AppError } from '../../../shared/errors';

describe('session slice', () => {
  it('asks for a PIN to be set at first start', async () => {
    const { client } = fakeClient({
      'app.hello': () => ({ contractVersion: 1, appVersion: '1.2.3' }),
      'auth.status': () => ({ ...operatorStatus, pinSet: false }),
    });
    const store = createAppStore({ client });
    await store.getState().loadSession();
    expect(store.getState().pinDialog).toMatchObject({ mode: 'setup' });
    expect(store.getState().appVersion).toBe('1.2.3');
  });

  it('runs an engineer action only after the PIN is accepted', async () => {
    let ran = 0;
    let pinOk = false;
    const { client, calls } = fakeClient({
      'auth.elevate': ({ pin }: { pin: string }) => {
        if (pin !== '2468') throw new AppError('WRONG_PIN', 'Wrong PIN.');
        pinOk = true;
        return engineerStatus;
      },
    });
    const store = createAppStore({ client });
    store.setState({ auth: operatorStatus });
    await store.getState().asEngineer(msg('needsPin.threshold'), async () => {
      expect(pinOk).toBe(true);
      ran++;
    });
    expect(ran).toBe(0);
    expect(store.getState().pinDialog).toMatchObject({ mode: 'unlock', reason: msg('needsPin.threshold') });
    expect(text(store.getState().pinDialog?.reason)).toBe('Changing a threshold needs the engineer PIN.');
    expect(await store.getState().submitPin('1111')).toBe(false);
    expect(text(store.getState().pinDialog?.error)).toBe('Wrong PIN.');
    expect(text(store.getState().pinDialog?.error, 'zh-CN')).toBe('PIN 错误。');
    expect(ran).toBe(0);
    expect(await store.getState().submitPin('2468')).toBe(true);
    expect(ran).toBe(1);
    expect(store.getState().pinDialog).toBeNull();
    expect(store.getState().auth?.role).toBe('engineer');
    expect(calls.map((c) => c.method)).toEqual(['auth.elevate', 'auth.elevate']);
  });

  it('shows the throttle message and keeps the dialog open', async () => {
    const { client } = fakeClient({
      'auth.elevate': () => {
        throw new AppError('THROTTLED', 'Too many wrong PINs. Try again in 4 s.', { retryAfterMs: 4000 });
      },
    });
    const store = createAppStore({ client });
    store.getState().openPin('unlock');
    await store.getState().submitPin('0000');
    expect(store.getState().pinDialog?.busy).toBe(false);
    expect(text(store.getState().pinDialog?.error)).toBe('Too many wrong PINs. Try again in 4 s.');
    // The wait comes from the error's details, so Chinese says it too.
    expect(text(store.getState().pinDialog?.error, 'zh-CN')).toBe('PIN 错误次数过多，请 4 秒后重试。');
  });

  it('asks again when engineer rights lapsed between click and call, then retries', async () => {
    let attempts = 0;
    const { client } = fakeClient({ 'auth.elevate': () => engineerStatus });
    const store = createAppStore({ client });
    store.setState({ auth: engineerStatus });
    await store.getState().asEngineer(msg('needsPin.train'), async () => {
      attempts++;
      if (attempts === 1) throw new AppError('PIN_REQUIRED', 'This needs the engineer PIN.');
    });
    expect(store.getState().pinDialog?.mode).toBe('unlock');
    expect(store.getState().auth?.role).toBe('operator');
    await store.getState().submitPin('2468');
    expect(attempts).toBe(2);
  });

  it('an engineer action that fails shows its message', async () => {
    const { client } = fakeClient({});
    const store = createAppStore({ client });
    store.setState({ auth: engineerStatus });
    await store.getState().asEngineer(msg('needsPin.train'), async () => {
      throw new AppError('NOT_FOUND', 'Training folder not found: /nope');
    });
    const toast = store.getState().toasts.at(-1);
    expect(toast?.tone).toBe('error');
    // English shows main's message as it is; Chinese puts it after a translated lead.
    expect(text(toast?.text)).toBe('Training folder not found: /nope');
    expect(text(toast?.text, 'zh-CN')).toBe('未找到：Training folder not found: /nope');
  });
});
