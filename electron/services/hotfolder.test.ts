import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HotFolder } from './hotfolder';
import { PartJournal, partKey } from './journal';
import { openDatabase } from './db';
import { AppError } from '../../shared/errors';
import type { HotFolderEvent, InspectionRecord, InspectionResult } from '../../shared/domain';
import { tempDir } from './testing/fixtures';

let folder: HotFolder | null = null;
afterEach(() => {
  folder?.stop();
  folder = null;
});

/** A stand-in inspection: "decodes" files that start with IMG, fails others like a corrupt image would. */
function fakeInspect(seen: string[]) {
  return async (bytes: Uint8Array, name: string): Promise<InspectionResult> => {
    seen.push(name);
    if (Buffer.from(bytes.subarray(0, 3)).toString() !== 'IMG') throw new AppError('BAD_IMAGE', `Could not read image "${name}": corrupt`);
    return fakeResult(seen.length, name);
  };
}

function fakeResult(recordId: number, name: string, verdict: 'OK' | 'NG' = 'OK'): InspectionResult {
  return { recordId, sourceName: name, verdict, at: Date.now(), score: 1, normalizedScore: 0.5, threshold: 2, modelId: 'm', latencyMs: 3 } as unknown as InspectionResult;
}

function collect(f: HotFolder) {
  const events: HotFolderEvent[] = [];
  f.subscribe((e) => events.push(e));
  const waitFor = async (pred: (e: HotFolderEvent[]) => boolean, ms = 5000) => {
    const t0 = Date.now();
    while (!pred(events)) {
      if (Date.now() - t0 > ms) throw new Error(`timed out; events: ${JSON.stringify(events.map((e) => e.kind))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { events, waitFor };
}

describe('hot folder', () => {
  it('scores each new image once, reports a corrupt one, and carries on', async () => {
    const dir = await tempDir('hot');
    await writeFile(path.join(dir, 'old.png'), 'IMG old');
    const seen: string[] = [];
    folder = new HotFolder(fakeInspect(seen), { settleMs: 60, scanMs: 100 });
    const { events, waitFor } = collect(folder);
    await folder.start(dir);
    await writeFile(path.join(dir, 'a.png'), 'IMG a');
    await writeFile(path.join(dir, 'broken.jpg'), 'garbage');
    await writeFile(path.join(dir, 'notes.txt'), 'IMG but not an image name');
    await writeFile(path.join(dir, '.hidden.png'), 'IMG');
    await waitFor((e) => e.filter((x) => x.kind !== 'status').length >= 2);
    await writeFile(path.join(dir, 'b.png'), 'IMG b');
    await waitFor((e) => e.some((x) => x.kind === 'result' && x.file === 'b.png'));
    await new Promise((r) => setTimeout(r, 300)); // more scans: nothing is scored twice
    expect(seen.sort()).toEqual(['a.png', 'b.png', 'broken.jpg']);
    const err = events.find((e) => e.kind === 'error');
    expect(err).toMatchObject({ kind: 'error', file: 'broken.jpg' });
    expect(err && err.kind === 'error' && err.message).toMatch(/corrupt/);
    expect(folder.status()).toMatchObject({ running: true, processed: 2, errors: 1 });
  });

  it('waits until a file stops growing before reading it', async () => {
    const dir = await tempDir('hot');
    const seen: string[] = [];
    folder = new HotFolder(fakeInspect(seen), { settleMs: 150, scanMs: 50 });
    const { waitFor } = collect(folder);
    await folder.start(dir);
    const fh = await open(path.join(dir, 'slow.png'), 'w');
    await fh.write('IMG');
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 60));
      await fh.write(' more');
    }
    expect(seen).toEqual([]); // still being written
    await fh.close();
    await waitFor((e) => e.some((x) => x.kind === 'result'));
    expect(seen).toEqual(['slow.png']);
  });

  it('picks up files renamed into place and, on request, files already there', async () => {
    const dir = await tempDir('hot');
    await writeFile(path.join(dir, 'before.png'), 'IMG');
    const seen: string[] = [];
    folder = new HotFolder(fakeInspect(seen), { settleMs: 40, scanMs: 100 });
    const { waitFor } = collect(folder);
    await folder.start(dir, true);
    await writeFile(path.join(dir, 'x.png.part'), 'IMG x');
    await rename(path.join(dir, 'x.png.part'), path.join(dir, 'x.png'));
    await waitFor((e) => e.filter((x) => x.kind === 'result').length >= 2);
    expect(seen.sort()).toEqual(['before.png', 'x.png']);
  });

  it('retries a part while the inspection queue is busy instead of dropping it', async () => {
    const dir = await tempDir('hot');
    let calls = 0;
    folder = new HotFolder(
      async (_b, name) => {
        if (++calls < 3) throw new AppError('BUSY', 'full');
        return fakeResult(1, name);
      },
      { settleMs: 20, scanMs: 50 },
    );
    const { waitFor } = collect(folder);
    await folder.start(dir);
    await writeFile(path.join(dir, 'p.png'), 'IMG');
    await waitFor((e) => e.some((x) => x.kind === 'result'));
    expect(calls).toBe(3);
  });

  it('refuses a folder that does not exist, naming it', async () => {
    folder = new HotFolder(fakeInspect([]));
    await expect(folder.start('/no/such/folder')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('/no/such/folder') });
    expect(folder.status().running).toBe(false);
  });
});

describe('hot folder sorting and journal', () => {
  async function sortDirs() {
    const root = await tempDir('sort');
    const d = { in: path.join(root, 'in'), ok: path.join(root, 'ok'), ng: path.join(root, 'ng'), err: path.join(root, 'error') };
    await mkdir(d.in);
    return { root, ...d, sort: { enabled: true, okDir: d.ok, ngDir: d.ng, errorDir: d.err, sidecar: true } };
  }
  /** Verdict from the content: "IMG NG…" is NG, "IMG…" OK, anything else a corrupt image. */
  const verdictInspect = (seen: string[]) => async (bytes: Uint8Array, name: string): Promise<InspectionResult> => {
    seen.push(name);
    const text = Buffer.from(bytes).toString();
    if (!text.startsWith('IMG')) throw new AppError('BAD_IMAGE', `Could not read image "${name}": corrupt`);
    return fakeResult(seen.length, name, text.startsWith('IMG NG') ? 'NG' : 'OK');
  };

  it('moves each part to OK or NG with a sidecar, and a corrupt one to the error folder with its reason', async () => {
    const d = await sortDirs();
    const seen: string[] = [];
    folder = new HotFolder(verdictInspect(seen), { settleMs: 30, scanMs: 50, sort: d.sort, context: () => ({ modelVersion: 3, device: 'cpu' }) });
    const { waitFor } = collect(folder);
    await folder.start(d.in, true);
    await writeFile(path.join(d.in, 'a.png'), 'IMG a');
    await writeFile(path.join(d.in, 'b.png'), 'IMG NG b');
    await writeFile(path.join(d.in, 'c.png'), 'junk');
    await waitFor(() => existsSync(path.join(d.ok, 'a.png')) && existsSync(path.join(d.ng, 'b.png')) && existsSync(path.join(d.err, 'c.png')));
    await folder.idle();
    expect(await readdir(d.in)).toEqual([]);
    const side = JSON.parse(await readFile(path.join(d.ng, 'b.png.json'), 'utf8'));
    expect(side).toMatchObject({ file: 'b.png', verdict: 'NG', score: 1, threshold: 2, model: { id: 'm', version: 3 }, device: 'cpu', latencyMs: 3 });
    const err = JSON.parse(await readFile(path.join(d.err, 'c.png.json'), 'utf8'));
    expect(err).toMatchObject({ verdict: null, error: { code: 'BAD_IMAGE', message: expect.stringContaining('corrupt') } });
    expect(seen.sort()).toEqual(['a.png', 'b.png', 'c.png']);
  });

  it('sends a file that vanishes or stays locked while being read to the error folder, naming why', async () => {
    const d = await sortDirs();
    const reads = new Map<string, number>();
    const readFileHook = async (file: string) => {
      const name = path.basename(file);
      reads.set(name, (reads.get(name) ?? 0) + 1);
      if (name === 'locked.png') throw Object.assign(new Error('resource busy or locked'), { code: 'EBUSY' });
      if (name === 'gone.png') await rm(file);
      return new Uint8Array(await readFile(file));
    };
    folder = new HotFolder(verdictInspect([]), { settleMs: 30, scanMs: 50, sort: d.sort, readFile: readFileHook, readRetries: 3, readRetryMs: 10 });
    const { events, waitFor } = collect(folder);
    await folder.start(d.in, true);
    await writeFile(path.join(d.in, 'locked.png'), 'IMG');
    await writeFile(path.join(d.in, 'gone.png'), 'IMG');
    await waitFor(() => existsSync(path.join(d.err, 'locked.png.json')) && existsSync(path.join(d.err, 'gone.png.json')));
    await folder.idle();
    expect(reads.get('locked.png')).toBe(3);
    expect(existsSync(path.join(d.err, 'locked.png'))).toBe(true);
    expect(JSON.parse(await readFile(path.join(d.err, 'locked.png.json'), 'utf8')).error).toMatchObject({ code: 'LOCKED', message: expect.stringContaining('EBUSY') });
    expect(JSON.parse(await readFile(path.join(d.err, 'gone.png.json'), 'utf8')).error).toMatchObject({ code: 'VANISHED' });
    const messages = events.flatMap((e) => (e.kind === 'error' ? [e.message] : []));
    expect(messages.some((m) => m.includes('vanished'))).toBe(true);
  });

  it('stops sorting with a clear error when the OK folder cannot be written, keeps every verdict, and resumes', async () => {
    const d = await sortDirs();
    await writeFile(d.ok, 'a file where the OK folder should be'); // mkdir fails even for root
    const seen: string[] = [];
    folder = new HotFolder(verdictInspect(seen), { settleMs: 30, scanMs: 50, sort: d.sort, sortRetryMs: 100 });
    const { events, waitFor } = collect(folder);
    await folder.start(d.in, true);
    await writeFile(path.join(d.in, 'a.png'), 'IMG a');
    await writeFile(path.join(d.in, 'b.png'), 'IMG b');
    await writeFile(path.join(d.in, 'n.png'), 'IMG NG n');
    await waitFor(() => seen.length === 3 && folder!.sortStatus().pending >= 1);
    await new Promise((r) => setTimeout(r, 300));
    const sortErr = events.find((e) => e.kind === 'error' && e.file === '(sorting)');
    expect(sortErr?.kind === 'error' && sortErr.message).toMatch(new RegExp(`cannot write to the OK folder ${d.ok}.*Verdicts are still recorded`));
    expect(folder.sortStatus().halted).toMatch(/Sorting stopped/);
    expect((await readdir(d.in)).sort()).toEqual(expect.arrayContaining(['a.png', 'b.png']));
    expect(seen.sort()).toEqual(['a.png', 'b.png', 'n.png']); // scored once each, not again while waiting
    await rm(d.ok);
    await waitFor(() => existsSync(path.join(d.ok, 'a.png')) && existsSync(path.join(d.ok, 'b.png')) && existsSync(path.join(d.ng, 'n.png')));
    expect(folder.sortStatus()).toMatchObject({ halted: null, pending: 0 });
    expect(seen).toHaveLength(3);
  });

  it('resumes from its journal: a claimed part with a record is not scored again, one without is, a scored one is moved', async () => {
    const d = await sortDirs();
    const db = openDatabase(':memory:');
    const journal = new PartJournal(db);
    for (const n of ['recorded.png', 'unscored.png', 'scored.png']) await writeFile(path.join(d.in, n), `IMG ${n}`);
    const st = async (n: string) => stat(path.join(d.in, n));
    const recorded = journal.claim(d.in, 'recorded.png', (await st('recorded.png')).size, (await st('recorded.png')).mtimeMs);
    journal.claim(d.in, 'unscored.png', 1, 1);
    const scored = journal.claim(d.in, 'scored.png', 1, 1);
    journal.scored(scored, 7, 'NG', { file: 'scored.png', verdict: 'NG' }, null);
    const record = { id: 5, verdict: 'OK', score: 1, normalizedScore: 0.5, threshold: 2, modelId: 'm', at: Date.now(), latencyMs: 1 } as InspectionRecord;
    const seen: string[] = [];
    folder = new HotFolder(verdictInspect(seen), {
      settleMs: 30,
      scanMs: 50,
      sort: d.sort,
      journal,
      recordOf: (key) => (key === partKey(recorded) ? record : null),
    });
    const { waitFor } = collect(folder);
    await folder.start(d.in, true);
    await waitFor(() => ['recorded.png', 'unscored.png'].every((n) => existsSync(path.join(d.ok, n))) && existsSync(path.join(d.ng, 'scored.png')));
    await folder.idle();
    expect(seen).toEqual(['unscored.png']);
    expect(JSON.parse(await readFile(path.join(d.ok, 'recorded.png.json'), 'utf8'))).toMatchObject({ verdict: 'OK', recordId: 5, timings: null });
    expect(journal.unfinished(d.in)).toEqual([]);
  });

  it('remembers parts left in place across a restart, and scores one rewritten while it was stopped', async () => {
    const dir = await tempDir('hot');
    const journal = new PartJournal(openDatabase(':memory:'));
    const seen: string[] = [];
    folder = new HotFolder(verdictInspect(seen), { settleMs: 30, scanMs: 50, journal });
    let c = collect(folder);
    await folder.start(dir, true);
    await writeFile(path.join(dir, 'a.png'), 'IMG a');
    await writeFile(path.join(dir, 'b.png'), 'IMG b');
    await c.waitFor(() => seen.length === 2);
    await folder.idle();
    folder.stop();
    await writeFile(path.join(dir, 'b.png'), 'IMG b, a new part under an old name');
    folder = new HotFolder(verdictInspect(seen), { settleMs: 30, scanMs: 50, journal });
    c = collect(folder);
    await folder.start(dir, true);
    await c.waitFor(() => seen.length === 3);
    await new Promise((r) => setTimeout(r, 250));
    expect(seen.sort()).toEqual(['a.png', 'b.png', 'b.png']);
  });

  it('costs each poll in proportion to new files: no stat of files already handled', async () => {
    const dir = await tempDir('hot');
    const seen: string[] = [];
    folder = new HotFolder(verdictInspect(seen), { settleMs: 20, scanMs: 30 });
    const { waitFor } = collect(folder);
    await folder.start(dir, true);
    await Promise.all(Array.from({ length: 200 }, (_, i) => writeFile(path.join(dir, `p${i}.png`), 'IMG')));
    await waitFor(() => seen.length === 200);
    const before = { ...folder.stats };
    // Polls counted, not timed: on a loaded machine a 30 ms interval can stretch far beyond it.
    await waitFor(() => folder!.stats.polls - before.polls > 3, 20_000);
    const after = folder.stats;
    expect(after.polls - before.polls).toBeGreaterThan(3);
    expect(after.stats - before.stats).toBe(0); // 200 handled files stay in place, none is stat'ed again
  });
});
