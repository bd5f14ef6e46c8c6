import { describe, expect, it } from 'vitest';
import { contract, isMethod, isTopic, methodDef } from './contract';
import { clientMessageSchema } from './protocol';

const names = Object.keys(contract);

describe('the IPC contract', () => {
  it('names every entry area.verb and declares each exactly once', () => {
    for (const n of names) expect(n).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
    expect(isMethod('models.train')).toBe(true);
    expect(isTopic('metrics.stream')).toBe(true);
    expect(isMethod('metrics.stream')).toBe(false);
    expect(isMethod('toString')).toBe(false); // no prototype leaks
    expect(isMethod('__proto__')).toBe(false);
  });

  it('reserves model, threshold and bank changes for engineers', () => {
    const engineer = names.filter((n) => isMethod(n) && methodDef(n).access === 'engineer').sort();
    expect(engineer).toEqual([
      'audit.list',
      'auth.changePin',
      'models.delete',
      'models.load',
      'models.rollback',
      'models.train',
      'models.update',
      'review.addToBank',
      'settings.set',
      'station.httpToken',
      'thresholds.evaluate',
      'thresholds.save',
    ]);
    // Operators inspect and review.
    for (const n of ['inspect.file', 'review.label', 'review.list', 'hotfolder.start', 'settings.get', 'settings.setAlerts', 'station.status'] as const) {
      expect(methodDef(n).access).toBe('operator');
    }
  });

  it('audits every engineer action', () => {
    for (const n of names) {
      if (!isMethod(n)) continue;
      const d = methodDef(n);
      if (d.access === 'engineer' && n !== 'audit.list') expect(d.audited, n).toBe(true);
    }
  });

  it('marks training, evaluation and bank updates as long (progress + cancel)', () => {
    expect(methodDef('models.train').long).toBe(true);
    expect(methodDef('thresholds.evaluate').long).toBe(true);
    expect(methodDef('review.addToBank').long).toBe(true);
    expect(methodDef('inspect.file').long).toBe(false);
  });

  it('validates inputs strictly and names the bad field', () => {
    const pin = contract['auth.elevate'].input;
    expect(pin.safeParse({ pin: '1234' }).success).toBe(true);
    const bad = pin.safeParse({ pin: '12a4' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['pin']);
    expect(pin.safeParse({ pin: '1234', role: 'engineer' }).success).toBe(false); // unknown keys refused
    expect(contract['thresholds.save'].input.safeParse({ modelId: 'm', threshold: Number.NaN }).success).toBe(false);
    expect(contract['thresholds.save'].input.safeParse({ modelId: 'm', threshold: -1 }).success).toBe(false);
  });

  it('applies record filter defaults', () => {
    const parsed = contract['review.list'].input.parse({ verdict: 'NG' });
    expect(parsed).toMatchObject({ verdict: 'NG', limit: 60, offset: 0 });
  });

  it('envelopes: rejects a message without a type or id', () => {
    expect(clientMessageSchema.safeParse({ t: 'req', id: 1, v: 1, method: 'x', input: {} }).success).toBe(true);
    expect(clientMessageSchema.safeParse({ t: 'eval', id: 1 }).success).toBe(false);
    expect(clientMessageSchema.safeParse({ t: 'cancel' }).success).toBe(false);
  });
});
