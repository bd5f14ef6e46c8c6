#!/usr/bin/env node
// Packaging step: puts the default backbone's ONNX file (never committed to the repository) into dist/resources/models,
// which electron-builder packs as resources/models, so an installed app scores parts on an offline PC from its first
// start. The file is taken from, in order: $PATCHLINE_MODELS, ../shared/models beside the checkout (development and CI),
// or the card's download URL; whichever it is, its sha256 must match the card's before it is staged.
//
//   node scripts/stage-models.mjs [--out DIR] [--card ID ...]     (default: the default backbone, into dist/resources/models)
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainModule } from './main-module.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** electron/engine/backbone/card.ts DEFAULT_BACKBONE: the one a new model uses. */
export const DEFAULT_CARDS = ['mobilenetv2-int8'];
export const DEFAULT_OUT = path.join(root, 'dist', 'resources', 'models');

async function sha256(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

/**
 * @param {{ cards?: string[], out?: string, cardsDir?: string, env?: NodeJS.ProcessEnv, sharedDir?: string, fetch?: typeof fetch, log?: (m: string) => void }} o
 * @returns {Promise<{ id: string, file: string, from: string, source: 'env' | 'shared' | 'download' | 'staged' }[]>}
 */
export async function stageModels(o = {}) {
  const env = o.env ?? process.env;
  const out = path.resolve(o.out ?? DEFAULT_OUT);
  const cardsDir = o.cardsDir ?? path.join(root, 'assets', 'backbones');
  const shared = o.sharedDir ?? env.PATCHLINE_SHARED ?? path.resolve(root, '..', 'shared');
  const log = o.log ?? ((m) => process.stdout.write(`[stage-models] ${m}\n`));
  const doFetch = o.fetch ?? globalThis.fetch;
  mkdirSync(out, { recursive: true });
  const staged = [];
  for (const id of o.cards ?? DEFAULT_CARDS) {
    const cardFile = path.join(cardsDir, `${id}.json`);
    if (!existsSync(cardFile)) throw new Error(`No backbone card ${cardFile}.`);
    const card = JSON.parse(readFileSync(cardFile, 'utf8'));
    if (!card.file || !/^[0-9a-f]{64}$/.test(card.sha256 ?? '')) throw new Error(`Backbone card ${cardFile} needs "file" and a "sha256" to be packaged.`);
    const target = path.join(out, card.file);
    if (existsSync(target) && (await sha256(target)) === card.sha256) {
      staged.push({ id, file: target, from: target, source: 'staged' });
      log(`${id}: ${card.file} already staged`);
      continue;
    }
    const tmp = `${target}.${randomBytes(4).toString('hex')}.part`;
    const candidates = [
      ...(env.PATCHLINE_MODELS ? [{ from: path.join(env.PATCHLINE_MODELS, card.file), source: 'env' }] : []),
      { from: path.join(shared, 'models', card.file), source: 'shared' },
    ];
    let done = null;
    for (const c of candidates) {
      if (!existsSync(c.from)) continue;
      const actual = await sha256(c.from);
      if (actual !== card.sha256) throw new Error(`${c.from} has sha256 ${actual}, but card ${id} expects ${card.sha256}: not packaging it.`);
      copyFileSync(c.from, tmp);
      done = c;
      break;
    }
    if (!done) {
      if (!card.url) throw new Error(`${card.file} for ${id} is in none of ${candidates.map((c) => c.from).join(', ')}, and the card has no download URL.`);
      log(`${id}: downloading ${card.url}`);
      let res;
      try {
        res = await doFetch(card.url);
      } catch (e) {
        throw new Error(`Could not download ${card.url} (${e.message}). Put ${card.file} in $PATCHLINE_MODELS and run again.`, { cause: e });
      }
      if (!res.ok) throw new Error(`Could not download ${card.url}: HTTP ${res.status}. Put ${card.file} in $PATCHLINE_MODELS and run again.`);
      const bytes = Buffer.from(await res.arrayBuffer());
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== card.sha256) throw new Error(`Downloaded ${card.url} has sha256 ${actual}, but card ${id} expects ${card.sha256}: refused.`);
      writeFileSync(tmp, bytes);
      done = { from: card.url, source: 'download' };
    }
    try {
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    staged.push({ id, file: target, from: done.from, source: done.source });
    log(`${id}: ${card.file} from ${done.source} (${done.from})`);
  }
  return staged;
}

if (isMainModule(import.meta.url)) {
  const argv = process.argv.slice(2);
  const outIdx = argv.indexOf('--out');
  const cards = argv.flatMap((a, i) => (argv[i - 1] === '--card' ? [a] : []));
  stageModels({ out: outIdx >= 0 ? argv[outIdx + 1] : undefined, cards: cards.length ? cards : undefined }).catch((e) => {
    process.stderr.write(`[stage-models] ${e.message}\n`);
    process.exit(1);
  });
}
