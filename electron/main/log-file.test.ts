import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeError, openAppLogs, RotatingLog } from './log-file';

const userData = () => path.join(mkdtempSync(path.join(tmpdir(), 'pl-log-')), '检测 line', 'PatchLine 数据');

describe('RotatingLog', () => {
  it('writes timestamped lines into userData/logs, under a path with spaces and CJK', () => {
    const logs = openAppLogs(userData(), { now: () => new Date('2026-01-02T03:04:05.000Z') });
    logs.main.info('started 检测');
    logs.services.error('line one\nline two');
    logs.close();
    expect(readdirSync(logs.dir).sort()).toEqual(['main.log', 'services.log']);
    expect(readFileSync(logs.main.file, 'utf8')).toBe('2026-01-02T03:04:05.000Z INFO  started 检测\n');
    // A multi-line message stays one entry: its continuation lines are indented.
    expect(readFileSync(logs.services.file, 'utf8')).toBe('2026-01-02T03:04:05.000Z ERROR line one\n    line two\n');
  });

  it('rotates by size and keeps only `keep` old files', () => {
    const dir = userData();
    const log = new RotatingLog(dir, 'main', { maxBytes: 200, keep: 2 });
    for (let i = 0; i < 40; i++) log.info(`message ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`);
    log.close();
    expect(readdirSync(dir).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f)).length).toBeLessThanOrEqual(200);
    // Newest in main.log, the one before in main.1.log; nothing lost between them.
    const last = readFileSync(path.join(dir, 'main.log'), 'utf8').trim().split('\n');
    const before = readFileSync(path.join(dir, 'main.1.log'), 'utf8').trim().split('\n');
    expect(last.at(-1)).toContain('message 039');
    const n = (l: string) => Number(/message (\d+)/.exec(l)![1]);
    expect(n(last[0])).toBe(n(before.at(-1)!) + 1);
  });

  it('continues an existing file after a restart, and rotates it first when it is already full', () => {
    const dir = userData();
    new RotatingLog(dir, 'main').info('first run');
    const again = new RotatingLog(dir, 'main');
    again.info('second run');
    again.close();
    expect(readFileSync(path.join(dir, 'main.log'), 'utf8')).toMatch(/first run\n.*second run\n$/);
    writeFileSync(path.join(dir, 'main.log'), 'y'.repeat(300));
    const full = new RotatingLog(dir, 'main', { maxBytes: 200 });
    full.info('third run');
    full.close();
    expect(readFileSync(path.join(dir, 'main.1.log'), 'utf8')).toBe('y'.repeat(300));
    expect(readFileSync(path.join(dir, 'main.log'), 'utf8')).toMatch(/third run/);
  });

  it('never throws when the folder cannot be written', () => {
    const dir = userData();
    const blocker = path.join(dir, 'not-a-folder');
    new RotatingLog(dir, 'x').info('make dir');
    writeFileSync(blocker, 'a file where the log folder should be');
    const log = new RotatingLog(blocker, 'main');
    expect(() => log.error('lost')).not.toThrow();
    expect(existsSync(path.join(blocker, 'main.log'))).toBe(false);
  });

  it('describes errors with their stack', () => {
    expect(describeError(new Error('boom'))).toMatch(/^Error: boom\n\s+at /);
    expect(describeError('plain')).toBe('plain');
  });
});
