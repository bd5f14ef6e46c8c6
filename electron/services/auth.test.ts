import { describe, expect, it } from 'vitest';
import { openDatabase } from './db';
import { ENGINEER_IDLE_MS, PinStore, Session, lockMs } from './auth';

const fast = { N: 1024, r: 8, p: 1, keylen: 32 };

function setup() {
  let now = 1_000_000;
  const db = openDatabase(':memory:');
  const clock = { get: () => now, advance: (ms: number) => (now += ms) };
  return { db, clock, pins: new PinStore(db, fast, clock.get) };
}

describe('engineer PIN', () => {
  it('stores only a salted scrypt hash', async () => {
    const { db, pins } = setup();
    expect(pins.isSet()).toBe(false);
    await pins.set('4711');
    const row = db.prepare('SELECT hash, salt, params FROM pin').get() as { hash: string; salt: string; params: string };
    expect(row.hash).not.toContain('4711');
    expect(Buffer.from(row.hash, 'base64')).toHaveLength(32);
    expect(JSON.parse(row.params)).toMatchObject({ N: 1024 });
    await expect(pins.set('1111')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(pins.verify('4711')).resolves.toBeUndefined();
  });

  it('refuses a wrong PIN and throttles repeated failures, even against the right PIN', async () => {
    const { pins, clock } = setup();
    await pins.set('4711');
    await expect(pins.verify('0000')).rejects.toMatchObject({ code: 'WRONG_PIN' });
    await expect(pins.verify('0001')).rejects.toMatchObject({ code: 'WRONG_PIN' });
    await expect(pins.verify('0002')).rejects.toMatchObject({ code: 'WRONG_PIN', details: { retryAfterMs: 1000 } });
    await expect(pins.verify('4711')).rejects.toMatchObject({ code: 'THROTTLED' });
    clock.advance(1001);
    await expect(pins.verify('0003')).rejects.toMatchObject({ code: 'WRONG_PIN', details: { retryAfterMs: 2000 } });
    clock.advance(2001);
    await expect(pins.verify('4711')).resolves.toBeUndefined();
    expect(pins.retryAfterMs()).toBe(0); // success resets the count
    await expect(pins.verify('9999')).rejects.toMatchObject({ code: 'WRONG_PIN', details: { retryAfterMs: 0 } });
  });

  it('keeps the throttle across a restart (state in the database)', async () => {
    const { db, pins, clock } = setup();
    await pins.set('4711');
    for (const p of ['1', '2', '3'].map((d) => d.repeat(4))) await pins.verify(p).catch(() => undefined);
    const again = new PinStore(db, fast, clock.get);
    await expect(again.verify('4711')).rejects.toMatchObject({ code: 'THROTTLED' });
  });

  it('caps the lock at five minutes', () => {
    expect(lockMs(2)).toBe(0);
    expect(lockMs(3)).toBe(1000);
    expect(lockMs(50)).toBe(300_000);
  });
});

describe('session roles', () => {
  it('starts as operator, elevates, and lapses after idle time', () => {
    let now = 0;
    const s = new Session(() => now);
    const changes: string[] = [];
    s.onChange(() => changes.push(s.role));
    expect(s.current()).toBe('operator');
    s.elevate();
    expect(s.current()).toBe('engineer');
    now += ENGINEER_IDLE_MS - 1;
    s.touch();
    now += ENGINEER_IDLE_MS - 1;
    expect(s.current()).toBe('engineer');
    now += 2;
    expect(s.current()).toBe('operator');
    expect(changes).toEqual(['engineer', 'operator']);
    s.dispose();
  });
});
