// Incremental update and rollback: only patches farther than r from the bank join it, versions can be undone, and a
// kill -9 mid-update leaves the previous version usable and the next update clean.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fit } from './fit';
import { loadModel } from './model';
import { readManifest, verifyModelFiles } from './artifact';
import { discardPartial, lockModel, rollbackModel, updateModel } from './update';
import { smallDataset, tempDir, tinyBackbone } from '../testing/fixtures';

let card: string;
let data: string;
let newDay: string;

beforeAll(async () => {
  card = tinyBackbone();
  data = await smallDataset({ train: 6, testGood: 4 });
  newDay = path.join(tempDir(), 'day2');
  mkdirSync(newDay);
  for (const f of readdirSync(path.join(data, 'test', 'good'))) cpSync(path.join(data, 'test', 'good', f), path.join(newDay, f));
});

async function fitted(): Promise<string> {
  const out = path.join(tempDir(), 'model');
  await fit({ data, out, backbone: card, coreset: { method: 'approx-greedy', ratio: 0.25 }, seed: 1 });
  return out;
}

async function vectorsOf(dir: string): Promise<number> {
  const model = await loadModel(dir);
  try {
    return model.manifest.bank.vectors;
  } finally {
    await model.close();
  }
}

describe('updateModel / rollbackModel', () => {
  it('adds only patches the bank does not cover, keeps versions, and rolls back', async () => {
    const dir = await fitted();
    const v1 = readManifest(dir);
    expect(v1.history[0].radius).toBeGreaterThan(0);
    const first = await updateModel({ model: dir, data: newDay });
    expect(first.manifest).toEqual(readManifest(dir));
    expect(first.version).toMatchObject({ version: 2, kind: 'update', addedImages: 4, radius: v1.history[0].radius });
    expect(first.version.addedVectors).toBeGreaterThan(0);
    expect(first.version.addedVectors).toBeLessThan(4 * 64);
    expect(first.version.bankVectors).toBe(v1.bank.vectors + first.version.addedVectors);
    expect(await vectorsOf(dir)).toBe(first.version.bankVectors);
    // The same images again: every patch is now within r of the bank, so nothing joins.
    const second = await updateModel({ model: dir, data: newDay });
    expect(second.version).toMatchObject({ version: 3, addedVectors: 0, bankVectors: first.version.bankVectors });
    // v1's files stay for rollback beside v2's and v3's.
    expect(readdirSync(dir).sort()).toEqual(['bank-v2.f32', 'bank-v3.f32', 'bank.f32', 'index-v2.faiss', 'index-v3.faiss', 'index.faiss', 'manifest.json']);

    const back = await rollbackModel({ model: dir });
    expect(back.manifest).toEqual(readManifest(dir));
    expect(back.version).toMatchObject({ version: 4, kind: 'rollback', bankVectors: first.version.bankVectors, note: 'rolled back version 3 to version 2' });
    expect(existsSync(path.join(dir, 'index-v3.faiss'))).toBe(false);
    const { version: again } = await rollbackModel({ model: dir });
    expect(again.note).toBe('rolled back version 2 to version 1');
    const m = readManifest(dir);
    expect(m.bank.indexFile).toBe('index.faiss');
    expect(m.history.map((h) => [h.version, h.kind, h.rolledBack ?? false])).toEqual([
      [1, 'fit', false],
      [2, 'update', true],
      [3, 'update', true],
      [4, 'rollback', false],
      [5, 'rollback', false],
    ]);
    await verifyModelFiles(dir, m);
    expect(await vectorsOf(dir)).toBe(v1.bank.vectors);
    await expect(rollbackModel({ model: dir })).rejects.toThrow(/nothing to roll back to; version 1 is the model's first/);
    // Updating after a rollback continues from the version in force.
    const third = await updateModel({ model: dir, data: newDay });
    expect(third.version).toMatchObject({ version: 6, addedVectors: first.version.addedVectors });
  });

  it('keeps only the newest versions on disk', async () => {
    const dir = await fitted();
    for (let i = 0; i < 3; i++) await updateModel({ model: dir, data: newDay, keepVersions: 2 });
    const m = readManifest(dir);
    expect(m.history.filter((h) => h.filesRemoved).map((h) => h.version)).toEqual([1, 2]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.faiss')).sort()).toEqual(['index-v3.faiss', 'index-v4.faiss']);
    await rollbackModel({ model: dir });
    await expect(rollbackModel({ model: dir })).rejects.toThrow(/files of version 2 are no longer kept/);
  });

  it('discards orphaned version files and temp files, never the files in force', async () => {
    const dir = await fitted();
    const junk = ['index-v7.faiss', 'bank-v7.f32', '.index-v7.faiss.tmp-123-0', 'manifest.json.123.0badcafe.tmp'];
    for (const f of junk) writeFileSync(path.join(dir, f), 'x');
    expect(await discardPartial(dir, readManifest(dir))).toEqual([...junk].sort());
    expect(readdirSync(dir).sort()).toEqual(['bank.f32', 'index.faiss', 'manifest.json']);
  });

  it('refuses a second writer, and takes over a dead writer\'s lock', async () => {
    const dir = await fitted();
    const release = await lockModel(dir);
    writeFileSync(path.join(dir, '.update.lock'), String(process.ppid));
    await expect(updateModel({ model: dir, data: newDay })).rejects.toThrow(/another update or rollback \(process \d+\) is running/);
    await release();
    writeFileSync(path.join(dir, '.update.lock'), '999999999');
    await expect(updateModel({ model: dir, data: newDay })).resolves.toMatchObject({ version: { version: 2 } });
    expect(existsSync(path.join(dir, '.update.lock'))).toBe(false);
  });

  it('survives kill -9 mid-update: the previous version stays usable, the next run discards the partial files', async () => {
    const dir = await fitted();
    const before = readManifest(dir);
    const child = (phase: string, done: number) =>
      new Promise<{ killed: boolean; out: string }>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'testing', 'update-child.ts'), dir, newDay], {
          env: process.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let killed = false;
        p.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          for (const line of out.split('\n').slice(0, -1)) {
            const e = JSON.parse(line) as { phase?: string; done?: number };
            if (!killed && e.phase === phase && (e.done ?? 0) >= done) {
              killed = true;
              p.kill('SIGKILL');
            }
          }
        });
        p.on('error', reject);
        p.on('exit', () => resolve({ killed, out }));
      });

    // Killed while extracting: nothing was written; the lock is left behind by the dead process.
    const a = await child('update', 2);
    expect(a.killed).toBe(true);
    expect(readManifest(dir).history).toEqual(before.history);
    await verifyModelFiles(dir, readManifest(dir));
    expect(await vectorsOf(dir)).toBe(before.bank.vectors);

    // Killed while writing the new version's files: the manifest is the old one, or (if the kill came after the
    // commit point) the new one; either way it is complete and loadable.
    const b = await child('write', 1);
    expect(b.killed).toBe(true);
    const mid = readManifest(dir);
    await verifyModelFiles(dir, mid);
    expect([before.history.length, before.history.length + 1]).toContain(mid.history.length);
    const orphans = readdirSync(dir).filter((f) => /-v\d+\./.test(f) && f !== mid.bank.indexFile && f !== mid.bank.bankFile);
    if (mid.history.length === before.history.length) expect(orphans.length).toBeGreaterThan(0);

    // The next update discards the partial files (if any) and succeeds.
    const r = await updateModel({ model: dir, data: newDay });
    expect(r.discarded).toEqual(mid.history.length === before.history.length ? orphans.sort() : []);
    const after = readManifest(dir);
    expect(after.history.filter((h) => h.kind === 'update')).toHaveLength(mid.history.length - before.history.length + 1);
    expect(await discardPartial(dir, after)).toEqual([]);
    expect(existsSync(path.join(dir, '.update.lock'))).toBe(false);
    expect(await vectorsOf(dir)).toBe(after.bank.vectors);
  }, 120_000);
});
