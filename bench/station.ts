// `npm run bench:station [-- --quick] [-- --files N] [-- --speedup S] [-- --engine fake|real --model DIR] [-- --json FILE]`
//
// The line station over a shift: `patchline watch` (a child process, exactly as a service manager runs it) with
// sorting into OK/NG, fed at the line rate of 2,000 parts an hour, accelerated S times, for 8 simulated hours
// (16,000 files; --quick: 2,000). Measures, at the first and at the last 1,000 files:
//   - the hot folder's cost per poll (wall time of its listing, and stat() calls per poll): flat, since each poll
//     costs in proportion to new files, not to every file ever seen;
//   - the station process's CPU per part and per second (all its threads: scoring, records, journal, sorting);
//   - its RSS, and the growth from the first to the last 1,000 files (target ≤ 50 MB);
// and at the end: every file exactly once in OK/NG and once in the records (no part lost or duplicated).
//
// Engine: by default the services' test double (electron/services/testing/fake-engine.ts): it decodes every image
// and writes a real heatmap, but costs a few ms where the CNN costs ~15-20 ms a part on 2 cores. What this bench
// measures is the station around the engine (polls, journal, records, sorting, memory over a shift); with the real
// engine 16,000 parts are ~5 min of CPU that would only add a constant to every figure. `--engine real --model DIR`
// runs it with a real model folder all the same.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { engine as fakeEngine } from '../electron/services/testing/fake-engine';
import { datasetImages, fakeEngineModule, goodFolder, repoRoot, tempDir } from '../electron/services/testing/fixtures';
import { describeMachine, machine, median, parseBenchArgs, table, writeJson } from './lib/report';

const args = parseBenchArgs();
function option(name: string, fallback: string): string {
  const i = args.rest.indexOf(name);
  return i >= 0 && args.rest[i + 1] ? args.rest[i + 1] : fallback;
}
const LINE_RATE = 2000; // parts an hour
const files = Number(option('--files', args.quick ? '2000' : '16000'));
const speedup = Number(option('--speedup', '60'));
const engine = option('--engine', 'fake');
const window = Math.min(1000, Math.floor(files / 4));

function procStat(pid: number): { cpu: number; rssMiB: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(') ') + 2).split(' ');
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpu: (Number(f[11]) + Number(f[12])) / 100, rssMiB: Number(rss?.[1] ?? 0) / 1024 };
}

interface Heartbeat {
  t: number;
  processed: number;
  backlog: number;
  folder: { polls: number; listed: number; stats: number; scanMs: number };
  memory: { rssMiB: number; heapMiB: number; externalMiB: number };
  cpu: number;
  rssMiB: number;
}

async function main(): Promise<void> {
  const root = await tempDir('bench-station');
  const d = { in: path.join(root, 'in'), ok: path.join(root, 'ok'), ng: path.join(root, 'ng'), err: path.join(root, 'error'), data: path.join(root, 'data') };
  await mkdir(d.in, { recursive: true });
  // Parts: real tiles, good and defective, made small (a line camera's crop; 16,000 of them stay ~100 MB on disk).
  const sources = [...(await datasetImages('test/good', 6)), ...(await datasetImages('test/blowhole', 2))];
  const parts: string[] = [];
  for (const [i, src] of sources.entries()) {
    const p = path.join(root, `src-${i}.png`);
    await sharp(src).resize(128, 128, { fit: 'inside' }).png().toFile(p);
    parts.push(p);
  }
  let model = option('--model', '');
  const env = { ...process.env };
  if (engine === 'fake') {
    env.PATCHLINE_ENGINE_MODULE = fakeEngineModule;
    model = path.join(root, 'model');
    await fakeEngine.fit({ data: await goodFolder(20), out: model });
  } else if (!model) throw new Error('--engine real needs --model DIR (a folder from `patchline fit`)');

  const intervalMs = 3_600_000 / LINE_RATE / speedup;
  console.log(`station bench: ${files} files at ${LINE_RATE}/h × ${speedup} (one every ${intervalMs.toFixed(1)} ms, ${((files * intervalMs) / 1000).toFixed(0)} s), engine ${engine}`);
  console.log(`machine: ${describeMachine()}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'electron/cli/run.ts'), 'watch', '--model', model, '--in', d.in, '--sort', d.ok, d.ng, '--error-dir', d.err,
      '--data-dir', d.data, '--quiet', '--status-every', '0.5', '--settle-ms', String(Math.max(20, Math.min(200, intervalMs * 2)))],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const beats: Heartbeat[] = [];
  let out = '';
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.startsWith('watching ')) ready();
      if (!line.startsWith('{"status"')) continue;
      const j = JSON.parse(line) as Omit<Heartbeat, 't' | 'cpu' | 'rssMiB'>;
      try {
        beats.push({ t: performance.now(), processed: j.processed, backlog: j.backlog, folder: j.folder, memory: j.memory, ...procStat(child.pid!) });
      } catch {
        // exited meanwhile
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  await started;

  // The line: one part every intervalMs, on a schedule that does not drift.
  const t0 = performance.now();
  let late = 0;
  for (let i = 0; i < files; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else late = Math.max(late, -wait);
    const name = `part-${String(i).padStart(6, '0')}.png`;
    const tmp = path.join(d.in, `.${name}.part`);
    await copyFile(parts[i % parts.length], tmp);
    await rename(tmp, path.join(d.in, name));
  }
  const fed = performance.now();
  while (!beats.length || beats[beats.length - 1].processed < files || beats[beats.length - 1].backlog > 0) {
    if (performance.now() - fed > 300_000) throw new Error('the station did not finish within 5 minutes of the last part');
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  const code = await exited;

  // Lost or duplicated parts.
  const names = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.') && !n.endsWith('.json'));
  const placed = [...(await names(d.ok)), ...(await names(d.ng)), ...(await names(d.err))];
  const left = await names(d.in);
  const db = new Database(path.join(d.data, 'patchline.db'), { readonly: true });
  const rec = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT source_name) AS names, COUNT(DISTINCT part_key) AS keys FROM inspections WHERE source = 'hotfolder'").get() as {
    n: number;
    names: number;
    keys: number;
  };
  db.close();
  const expected = new Set(Array.from({ length: files }, (_, i) => `part-${String(i).padStart(6, '0')}.png`));
  const placedSet = new Set(placed);
  const lost = [...expected].filter((n) => !placedSet.has(n)).length;
  const duplicated = placed.length - placedSet.size + (rec.n - rec.names);

  // The first and the last `window` files, from the heartbeats that bracket them.
  const span = (from: number, to: number) => {
    const a = beats.find((b) => b.processed >= from) ?? beats[0];
    const b = beats.find((x) => x.processed >= to) ?? beats[beats.length - 1];
    const polls = b.folder.polls - a.folder.polls;
    const parts = b.processed - a.processed;
    const seconds = (b.t - a.t) / 1000;
    return {
      files: `${from}–${to}`,
      'poll ms (listing)': polls ? (b.folder.scanMs - a.folder.scanMs) / polls : null,
      'stat() / new file': parts ? (b.folder.stats - a.folder.stats) / parts : null,
      'names / poll': polls ? (b.folder.listed - a.folder.listed) / polls : null,
      'CPU ms / part': parts ? ((b.cpu - a.cpu) * 1000) / parts : null,
      'CPU % of a core': seconds ? ((b.cpu - a.cpu) / seconds) * 100 : null,
      'RSS MiB': b.rssMiB,
      'JS heap MiB': b.memory.heapMiB,
    };
  };
  const first = span(0, window);
  const last = span(files - window, files);
  const rssGrowth = (last['RSS MiB'] ?? 0) - (first['RSS MiB'] ?? 0);
  const ratio = (k: keyof typeof first) => (typeof first[k] === 'number' && typeof last[k] === 'number' && first[k] ? (last[k] as number) / (first[k] as number) : null);
  console.log(table([first, last]));
  console.log(
    table([
      {
        files,
        'in OK/NG/error': placed.length,
        'left in folder': left.length,
        records: rec.n,
        lost,
        duplicated,
        'RSS growth MiB': rssGrowth,
        'poll ms last/first': ratio('poll ms (listing)'),
        'CPU/part last/first': ratio('CPU ms / part'),
        'max feed lag ms': late,
        exit: code,
      },
    ]),
  );
  const pass = lost === 0 && duplicated === 0 && left.length === 0 && rec.n === files && rssGrowth <= 50;
  console.log(pass ? 'PASS: no part lost or duplicated, RSS growth ≤ 50 MB' : 'FAIL');
  console.log(`median heartbeat backlog: ${median(beats.map((b) => b.backlog))} part(s)`);
  const step = Math.max(1, Math.floor(beats.length / 8));
  console.log(`RSS MiB over the run: ${beats.filter((_, i) => i % step === 0).map((b) => `${b.processed}: ${b.rssMiB.toFixed(0)} (heap ${b.memory.heapMiB.toFixed(0)})`).join(', ')}`);
  if (args.json) {
    writeJson(args.json, {
      bench: 'station',
      machine: machine(),
      loadavg: loadavg(),
      engine,
      files,
      lineRatePerHour: LINE_RATE,
      speedup,
      window,
      first,
      last,
      lost,
      duplicated,
      leftInFolder: left.length,
      records: rec.n,
      rssGrowthMiB: rssGrowth,
      // RSS and JS heap every ~1/16 of the run: a plateau or a trend.
      memory: beats.filter((_, i) => i % Math.max(1, Math.floor(beats.length / 16)) === 0).map((b) => ({ processed: b.processed, rssMiB: b.rssMiB, heapMiB: b.memory.heapMiB, externalMiB: b.memory.externalMiB })),
      pass,
    });
  }
  if (!args.rest.includes('--keep')) await rm(root, { recursive: true, force: true });
  else console.log(`kept: ${root}`);
  if (!pass) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
