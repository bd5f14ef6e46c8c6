import { afterEach, describe, expect, it } from 'vitest';
import { open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HotFolder } from './hotfolder';
import { AppError } from '../../shared/errors';
import type { HotFolderEvent, InspectionResult } from '../../shared/domain';
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
    return { recordId: seen.length, sourceName: name } as unknown as InspectionResult;
  };
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
        return { recordId: 1, sourceName: name } as unknown as InspectionResult;
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
