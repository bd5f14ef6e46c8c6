// Backbones are data: a JSON card names the ONNX file, where to get it, the input normalisation and the tensors to tap.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { backboneCardsDir } from '../paths';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits');

const tapSchema = z.object({
  /** Name of the tensor inside the graph (need not be a graph output). */
  name: z.string().min(1),
  stride: z.number().int().positive(),
  channels: z.number().int().positive(),
  /** For quantized tensors: the initializers holding the scalar scale and zero point. */
  quant: z.object({ scale: z.string().min(1), zeroPoint: z.string().min(1) }).optional(),
});

export const cardSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'an id is lowercase letters, digits, dot, dash or underscore'),
  name: z.string(),
  license: z.string().optional(),
  file: z.string().min(1),
  /** null for user-exported files whose bytes differ between exports; the artifact then pins the sha it was fitted with. */
  sha256: sha256.nullable(),
  bytes: z.number().int().positive().nullable().optional(),
  url: z.string().url().nullable().optional(),
  input: z.object({
    name: z.string().min(1),
    size: z.number().int().positive(),
    channelOrder: z.enum(['RGB', 'BGR']),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  }),
  taps: z.array(tapSchema).min(1),
  optionalTaps: z.array(tapSchema).default([]),
  /** Adaptive average pooling of the concatenated channels to this many dimensions; null keeps them all. */
  embedDimension: z.number().int().positive().nullable().default(null),
});

export type BackboneCard = z.infer<typeof cardSchema>;
export type TapSpec = z.infer<typeof tapSchema>;

export const DEFAULT_BACKBONE = 'mobilenetv2-int8';

export function parseCard(json: unknown, source: string): BackboneCard {
  const r = cardSchema.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`Backbone card ${source} is invalid: ${issues}`);
  }
  return r.data;
}

export function builtinCardIds(): string[] {
  const dir = backboneCardsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A card path (anything ending in .json or containing a path separator) or a built-in card id. */
export function loadCard(ref: string = DEFAULT_BACKBONE): BackboneCard {
  const isPath = ref.endsWith('.json') || ref.includes('/') || ref.includes(path.sep);
  const file = isPath ? path.resolve(ref) : path.join(backboneCardsDir(), `${ref}.json`);
  if (!existsSync(file)) {
    throw new Error(
      isPath
        ? `Backbone card ${file} does not exist.`
        : `Unknown backbone "${ref}". Built-in cards: ${builtinCardIds().join(', ') || '(none found)'}; or pass a card .json path.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Backbone card ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseCard(json, file);
}

/** The taps a fit uses: the card's defaults, or the named ones picked from the default and optional taps. */
export function selectTaps(card: BackboneCard, names?: string[]): TapSpec[] {
  if (!names || names.length === 0) return card.taps;
  const all = [...card.taps, ...card.optionalTaps];
  const picked = names.map((n) => {
    const t = all.find((x) => x.name === n);
    if (!t) throw new Error(`Backbone ${card.id} has no tap "${n}". Available: ${all.map((x) => x.name).join(', ')}.`);
    return t;
  });
  return picked.sort((a, b) => a.stride - b.stride);
}
