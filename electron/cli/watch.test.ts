// `patchline watch` as a real child process (engine test double, real services): usage errors, then crash safety —
// killed with SIGKILL mid-stream and restarted, every input file ends up exactly once in OK/NG/error and exactly once
// in the records, and (against mosquitto, where installed) every record reaches an MQTT subscriber.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect } from 'mqtt';
import { main } from './main';
import { engine as fakeEngine } from '../services/testing/fake-engine';
import { datasetImages, fakeEngineModule, goodFolder, repoRoot, tempDir } from '../services/testing/fixtures';
import { mosquittoMissing, startMosquitto, type Broker } from '../services/testing/mosquitto';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), progress: null });
  return { code, out, err };
}

describe('patchline watch: usage', () => {
  it('documents itself and names what is wrong with its flags', async () => {
    const help = await run(['watch', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--sort OK_DIR NG_DIR', '--mqtt URL', '--opcua PORT', '--modbus PORT', '--http PORT', '--device', '--recursive', '--sidecar']) {
      expect(help.out).toContain(flag);
    }
    expect((await run(['--help'])).out).toMatch(/watch\s+the line station/);
    const r = await run(['watch', '--model', 'm', '--in', 'x', '--sort', 'ok']);
    expect([r.code, r.err]).toEqual([2, expect.stringContaining('--sort needs two folders')]);
    expect((await run(['watch', '--in', 'x'])).err).toContain('watch needs --model');
    expect((await run(['watch', '--model', 'm', '--in', 'x', '--error-dir', 'e'])).err).toContain('--error-dir goes with --sort');
    expect((await run(['watch', '--model', 'm', '--in', 'x', '--modbus', '70000'])).err).toContain('--modbus must be at most 65535');
    expect((await run(['watch', '--model', 'm', '--in', 'x', '--device', 'tpu'])).err).toContain('--device must be one of');
  });
});

const children: ChildProcess[] = [];
let broker: Broker | null = null;
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await broker?.stop();
});

function watchProcess(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'electron/cli/run.ts'), 'watch', ...args], {
    cwd: repoRoot,
    env: { ...process.env, PATCHLINE_ENGINE_MODULE: fakeEngineModule },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function until(pred: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const images = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.') && !n.endsWith('.json'));

describe('patchline watch: crash safety', () => {
  it('after kill -9 mid-stream and a restart, every file ends up once in OK/NG/error and once in the records', async () => {
    const root = await tempDir('watch');
    const d = { in: path.join(root, 'in'), ok: path.join(root, 'ok'), ng: path.join(root, 'ng'), err: path.join(root, 'error'), data: path.join(root, 'data') };
    await mkdir(d.in);
    const model = path.join(root, 'model');
    await fakeEngine.fit({ data: await goodFolder(10), out: model });
    // 40 parts: good and defective tiles, and two files that are not images at all.
    const sources = [...(await datasetImages('test/good', 4)), ...(await datasetImages('test/blowhole', 4))];
    const parts = Array.from({ length: 40 }, (_, i) => ({ name: `part-${String(i).padStart(3, '0')}.png`, src: sources[i % sources.length] }));
    const broken = new Set(['part-007.png', 'part-031.png']);
    const drop = async (from: number, to: number, gapMs: number) => {
      for (const p of parts.slice(from, to)) {
        const tmp = path.join(d.in, `.${p.name}.part`);
        if (broken.has(p.name)) await writeFile(tmp, 'not an image');
        else await copyFile(p.src, tmp);
        await import('node:fs/promises').then((fs) => fs.rename(tmp, path.join(d.in, p.name)));
        await new Promise((r) => setTimeout(r, gapMs));
      }
    };
    const mqttMissing = mosquittoMissing();
    if (mqttMissing) console.warn(`[skip] MQTT part of the crash test: ${mqttMissing}`);
    const got: number[] = [];
    const mqttArgs: string[] = [];
    if (!mqttMissing) {
      broker = await startMosquitto();
      const sub = connect(broker.url, { clientId: 'crash-test', clean: false, reconnectPeriod: 100 });
      sub.on('message', (_t, payload) => got.push((JSON.parse(payload.toString()) as { recordId: number }).recordId));
      await new Promise<void>((resolve) => sub.once('connect', () => sub.subscribe('line/results', { qos: 1 }, () => resolve())));
      afterAll(() => void sub.end(true));
      mqttArgs.push('--mqtt', broker.url, '--topic', 'line/results');
    }
    const args = ['--model', model, '--in', d.in, '--sort', d.ok, d.ng, '--error-dir', d.err, '--data-dir', d.data, '--settle-ms', '30', ...mqttArgs];

    const first = watchProcess(args);
    const dripping = drop(0, 30, 40);
    const sorted = async () => (await images(d.ok)).length + (await images(d.ng)).length + (await images(d.err)).length;
    await until(async () => (await sorted()) >= 12, 60_000, `the first station to sort 12 parts\n${first.out()}`);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(await sorted()).toBeLessThan(30); // killed mid-stream, with parts still arriving
    await dripping;
    await drop(30, 40, 0); // more parts arrive while the station is down

    const second = watchProcess(args);
    await until(async () => (await sorted()) === 40, 60_000, `every part to be sorted after the restart\n${second.out()}`);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const resumed = Number(/stopped: (\d+) part\(s\) scored/.exec(second.out())?.[1]);
    expect(resumed).toBeGreaterThanOrEqual(10);

    expect(await images(d.in)).toEqual([]);
    const placed = [...(await images(d.ok)), ...(await images(d.ng)), ...(await images(d.err))].sort();
    expect(placed).toEqual(parts.map((p) => p.name).sort()); // each exactly once
    expect((await images(d.err)).sort()).toEqual([...broken].sort());
    const db = new Database(path.join(d.data, 'patchline.db'), { readonly: true });
    const rows = db.prepare("SELECT id, source_name AS name, verdict, part_key FROM inspections WHERE source = 'hotfolder' ORDER BY id").all() as {
      id: number;
      name: string;
      verdict: string;
      part_key: string;
    }[];
    db.close();
    expect(rows.map((r) => r.name).sort()).toEqual(parts.filter((p) => !broken.has(p.name)).map((p) => p.name).sort());
    for (const r of rows) {
      const folder = r.verdict === 'OK' ? d.ok : d.ng;
      const side = JSON.parse(await readFile(path.join(folder, `${r.name}.json`), 'utf8')) as { recordId: number; verdict: string };
      expect(side).toMatchObject({ recordId: r.id, verdict: r.verdict });
    }
    const reason = JSON.parse(await readFile(path.join(d.err, 'part-007.png.json'), 'utf8')) as { error: { code: string } };
    expect(reason.error.code).toBe('BAD_IMAGE');
    if (!mqttMissing) {
      await until(() => rows.every((r) => got.includes(r.id)), 10_000, 'every record to reach the MQTT subscriber');
    }
  });
});

describe('patchline watch: outputs that cannot open', () => {
  it('names a broker, OPC UA port and Modbus port it cannot open, and goes on scoring, sorting and recording', async () => {
    const root = await tempDir('watch-bad');
    const d = { in: path.join(root, 'in'), ok: path.join(root, 'ok'), ng: path.join(root, 'ng'), data: path.join(root, 'data') };
    await mkdir(d.in);
    const model = path.join(root, 'model');
    await fakeEngine.fit({ data: await goodFolder(6), out: model });
    const { createServer } = await import('node:net');
    const { freePort } = await import('../services/testing/mosquitto');
    const blocker = createServer();
    const busy = await freePort();
    await new Promise<void>((r) => blocker.listen(busy, () => r()));
    const closed = await freePort();
    try {
      const w = watchProcess([
        '--model', model, '--in', d.in, '--sort', d.ok, d.ng, '--data-dir', d.data, '--settle-ms', '30', '--quiet',
        '--mqtt', `mqtt://127.0.0.1:${closed}`, '--opcua', String(busy), '--modbus', String(busy), '--http', String(busy),
      ]);
      for (const f of await datasetImages('test/good', 3)) await copyFile(f, path.join(d.in, path.basename(f)));
      await until(async () => (await images(d.ok)).length + (await images(d.ng)).length === 3, 30_000, `three parts sorted\n${w.out()}`);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      const all = w.out();
      expect(all).toContain(`OPC UA port ${busy} cannot be opened: it is in use by another program.`);
      expect(all).toContain(`Modbus TCP port ${busy} cannot be opened: it is in use by another program.`);
      expect(all).toContain(`HTTP port ${busy} cannot be opened`);
      expect(all).toMatch(new RegExp(`MQTT broker mqtt://127.0.0.1:${closed}.*ECONNREFUSED`));
      expect(all).toContain('stay queued; they are sent at the next start');
      const db = new Database(path.join(d.data, 'patchline.db'), { readonly: true });
      expect((db.prepare('SELECT COUNT(*) AS n FROM inspections').get() as { n: number }).n).toBe(3);
      db.close();
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
