// Entry of the engine's worker: a worker thread (live inference) or a child process (training and evaluation, at a
// lower CPU priority). It loads the engine module it is given and serves main's requests; nothing here runs on main's
// thread, so a slow fit or a burst of predictions cannot stall IPC or the window.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { mapOntoImage, quantizeMap } from '../../../shared/heatmap';
import { auroc, labelled } from '../../../shared/roc';
import type { EvalImageResult, Model, Progress } from '../../engine/api';
import type { EngineModule, FromWorker, ToWorker, WorkerRequest, WorkerResults } from './protocol';

interface WorkerInit {
  engineModule: string;
}

/** The channel to main: a worker thread's port, or a child process's IPC channel ('advanced' serialisation). */
interface Port {
  post(msg: FromWorker, transfer: ArrayBuffer[]): void;
  onMessage(listener: (msg: ToWorker) => void): void;
}

function openPort(): { port: Port; init: WorkerInit } {
  if (parentPort) {
    const p = parentPort;
    return { port: { post: (m, t) => p.postMessage(m, t), onMessage: (l) => p.on('message', l) }, init: workerData as WorkerInit };
  }
  if (process.send && process.env.PATCHLINE_WORKER_ENGINE) {
    const send = process.send.bind(process);
    // If main goes away, so does this process: a trainer must never outlive its app.
    process.on('disconnect', () => process.exit(0));
    return {
      port: { post: (m) => void send(m), onMessage: (l) => process.on('message', (m) => l(m as ToWorker)) },
      init: { engineModule: process.env.PATCHLINE_WORKER_ENGINE },
    };
  }
  throw new Error('engine-worker must run in a worker thread or a child process started by main');
}

const { port, init } = openPort();
const engine = (await import(init.engineModule)) as EngineModule;

const models = new Map<string, Model>();
const jobs = new Map<number, AbortController>();

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.post(msg, transfer);
}

/** At most ~10 progress messages a second reach main (and from there the window), plus the last one. */
function throttledProgress(id: number): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    post({ type: 'progress', id, progress: { ...p } });
  };
}

const IMAGE_FILE = /\.(png|jpe?g|bmp|tiff?|webp)$/i;
const GOOD_CLASS = /^(good|ok)$/i;

/**
 * A labelled folder's images: its subfolders are classes ('good' or 'ok' is good, any other name a defect), either
 * directly or under test/ (the MVTec AD layout; masks are not needed).
 */
async function labelledImages(root: string): Promise<{ path: string; defect: string; label: 0 | 1 }[]> {
  const test = path.join(root, 'test');
  const base = (await stat(test).catch(() => null))?.isDirectory() ? test : root;
  const classes = (await readdir(base, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const out: { path: string; defect: string; label: 0 | 1 }[] = [];
  for (const c of classes) {
    for (const f of (await readdir(path.join(base, c))).filter((n) => IMAGE_FILE.test(n)).sort()) {
      out.push({ path: path.join(base, c, f), defect: c, label: GOOD_CLASS.test(c) ? 0 : 1 });
    }
  }
  if (!out.some((x) => x.label === 0) && !out.some((x) => x.label === 1)) {
    throw new Error(`${base} has no labelled images: it needs a good/ folder and one folder per defect kind.`);
  }
  return out;
}

/** Width and height with the image's aspect and the given long side (never larger than the image). */
function aspectSize(size: { width: number; height: number }, longSide: number): [number, number] {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  return [Math.max(1, Math.round(size.width * scale)), Math.max(1, Math.round(size.height * scale))];
}

/** A model folder's manifest, cheaply where the engine can read it without loading the backbone. */
async function manifestOf(dir: string) {
  if (engine.readManifest) return engine.readManifest(dir);
  const m = await engine.loadModel(dir);
  const manifest = m.manifest;
  await m.close();
  return manifest;
}

/** The engine's incremental update, or an operator-readable refusal where this engine has none. */
function versions(): Required<Pick<EngineModule, 'updateModel' | 'rollbackModel'>> {
  const { updateModel, rollbackModel } = engine;
  if (!updateModel || !rollbackModel) {
    throw Object.assign(new Error('This engine cannot update a model with new images; train a new model instead.'), { name: 'Unsupported' });
  }
  return { updateModel, rollbackModel };
}

async function withModel<T>(key: string, dir: string, fn: (m: Model) => Promise<T>): Promise<T> {
  const loaded = models.get(key);
  if (loaded) return fn(loaded);
  const m = await engine.loadModel(dir);
  try {
    return await fn(m);
  } finally {
    await m.close();
  }
}

async function handle(id: number, req: WorkerRequest, signal: AbortSignal): Promise<{ result: unknown; transfer?: ArrayBuffer[] }> {
  const onProgress = throttledProgress(id);
  switch (req.op) {
    case 'fit': {
      await engine.fit({ data: req.data, out: req.out, backbone: req.backbone, coreset: req.coreset, seed: req.seed, signal, onProgress });
      return { result: { manifest: await manifestOf(req.out) } satisfies WorkerResults['fit'] };
    }
    case 'load': {
      const m = await engine.loadModel(req.dir);
      await models.get(req.key)?.close();
      models.set(req.key, m);
      return { result: { manifest: m.manifest } satisfies WorkerResults['load'] };
    }
    case 'unload': {
      const m = models.get(req.key);
      models.delete(req.key);
      await m?.close();
      return { result: { unloaded: Boolean(m) } satisfies WorkerResults['unload'] };
    }
    case 'manifest':
      return { result: { manifest: await manifestOf(req.dir) } satisfies WorkerResults['manifest'] };
    case 'predict': {
      const m = models.get(req.key);
      if (!m) throw Object.assign(new Error(`Model ${req.key} is not loaded in the engine.`), { name: 'NotLoaded' });
      const input = req.input;
      const p =
        input.kind === 'raw'
          ? await m.predictRaw(input.image)
          : input.kind === 'encoded'
            ? await m.predictBuffer(input.bytes)
            : await m.predictFile(input.path);
      const size = req.imageSize ?? (p.crop ? { width: p.crop.imageWidth, height: p.crop.imageHeight } : p.map);
      const [hw, hh] = aspectSize(size, req.heatmapMax);
      // Onto the part's own frame (the map covers only the engine's centre crop) at twice the heatmap's size (about
      // the map's own resolution: it is blurred, nothing finer exists), then max-pooled down so a peak survives.
      const [mw, mh] = aspectSize(size, req.heatmapMax * 2);
      const onImage = p.crop ? mapOntoImage(p.map, p.crop, mw, mh) : m.mapToSize(p.map, mw, mh).data;
      const heatmap = quantizeMap(onImage, mw, mh, p.threshold, hw, hh);
      const result: WorkerResults['predict'] = {
        score: p.score,
        normalizedScore: p.normalizedScore,
        threshold: p.threshold,
        verdict: p.verdict,
        timings: { ...p.timings },
        heatmap,
        heatmapWidth: hw,
        heatmapHeight: hh,
        imageWidth: size.width,
        imageHeight: size.height,
      };
      return { result, transfer: [heatmap.buffer as ArrayBuffer] };
    }
    case 'addGood':
      return withModel(req.key, req.dir, async (m) => {
        const version = await m.addGood(req.paths, { signal, onProgress });
        return { result: { version, manifest: m.manifest } satisfies WorkerResults['addGood'] };
      });
    case 'setThreshold':
      return withModel(req.key, req.dir, async (m) => {
        await m.setThreshold(req.threshold);
        return { result: { manifest: m.manifest } satisfies WorkerResults['setThreshold'] };
      });
    case 'update': {
      const r = await versions().updateModel({ model: req.dir, data: req.data, signal, onProgress });
      return { result: { version: r.version, skipped: r.skipped.length, manifest: await manifestOf(req.dir) } satisfies WorkerResults['update'] };
    }
    case 'rollback': {
      const version = await versions().rollbackModel({ model: req.dir });
      return { result: { version, manifest: await manifestOf(req.dir) } satisfies WorkerResults['rollback'] };
    }
    case 'scoreFolder':
      return withModel(`score:${req.dir}`, req.dir, async (m) => {
        const items = await labelledImages(req.data);
        const images: EvalImageResult[] = [];
        let skipped = 0;
        const t0 = Date.now();
        for (let i = 0; i < items.length; i++) {
          if (signal.aborted) throw Object.assign(new Error('Cancelled.'), { name: 'AbortError' });
          const t = performance.now();
          try {
            const p = await m.predictFile(items[i].path);
            images.push({ ...items[i], score: p.score, msPerImage: performance.now() - t });
          } catch {
            skipped++; // an unreadable file is counted, not fatal
          }
          const perImage = (Date.now() - t0) / (i + 1) / 1000;
          onProgress({ phase: 'evaluate', done: i + 1, total: items.length, etaSeconds: i >= 1 ? perImage * (items.length - i - 1) : null });
        }
        const good = images.filter((x) => x.label === 0).map((x) => x.score);
        const bad = images.filter((x) => x.label === 1).map((x) => x.score);
        return { result: { images, skipped, imageAuroc: (({ scores, labels }) => auroc(scores, labels))(labelled(good, bad)) } satisfies WorkerResults['scoreFolder'] };
      });
  }
}

port.onMessage((msg: ToWorker) => {
  if (msg.type === 'cancel') {
    jobs.get(msg.id)?.abort();
    return;
  }
  const ac = new AbortController();
  jobs.set(msg.id, ac);
  handle(msg.id, msg.req, ac.signal)
    .then(({ result, transfer }) => post({ type: 'result', id: msg.id, result }, transfer))
    .catch((e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ type: 'error', id: msg.id, error: { name: ac.signal.aborted ? 'AbortError' : err.name, message: err.message } });
    })
    .finally(() => jobs.delete(msg.id));
});

post({ type: 'ready' });
