// The feature extractor: an onnxruntime-node session over the tapped graph, on the execution provider asked for.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';

// Probing absent providers (auto) makes onnxruntime log errors it also throws; the thrown ones are reported clearly.
if (!process.env.PATCHLINE_ORT_LOG) ort.env.logLevel = 'fatal';
import type { Device } from '../api';
import type { BackboneCard, TapSpec } from './card';
import { tapGraph, type Dequant } from './graph';

export type Provider = 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';

const PROVIDER_HELP: Record<Exclude<Provider, 'cpu'>, string> = {
  cuda: 'CUDA needs an NVIDIA GPU, its driver, and onnxruntime-node installed with its optional CUDA libraries (reinstall with ONNXRUNTIME_NODE_INSTALL_CUDA=v12)',
  webgpu: 'WebGPU needs a GPU with a Vulkan (Linux), D3D12 (Windows) or Metal (macOS) driver',
  dml: 'DirectML exists only on Windows',
  coreml: 'CoreML exists only on macOS',
};

/** The order `auto` tries providers in, per platform; CPU always ends the list. */
export function autoOrder(platform: NodeJS.Platform = process.platform): Provider[] {
  if (platform === 'win32') return ['dml', 'cuda', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'webgpu', 'cpu'];
}

export interface ExtractorOptions {
  device?: Device;
  /** Intra-op threads for the CPU provider; 0 lets onnxruntime choose (one per physical core). */
  threads?: number;
  /** onnxruntime's graph optimisation (default 'all': every fusion, and the int8 kernels need the QDQ ones). */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let idle intra-op threads spin (onnxruntime's default); default off, or PATCHLINE_ORT_SPIN=1. */
  spin?: boolean;
  /** Network input side when it differs from the card's (e.g. 320). */
  inputSize?: number;
  /** Messages such as "cuda unavailable, using cpu" for `auto`. */
  onNote?: (msg: string) => void;
}

/** One tapped map for a batch: [n, channels, height, width], already dequantized to float. */
export interface TapOutput {
  tap: TapSpec;
  data: Float32Array;
  n: number;
  channels: number;
  height: number;
  width: number;
}

function spinning(o: ExtractorOptions): boolean {
  return o.spin ?? process.env.PATCHLINE_ORT_SPIN === '1';
}

export class Extractor {
  private constructor(
    readonly card: BackboneCard,
    readonly taps: TapSpec[],
    readonly provider: Provider,
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly dequant: Map<string, Dequant>,
    readonly inputSize: number,
  ) {}

  static async create(card: BackboneCard, taps: TapSpec[], modelFile: string, opts: ExtractorOptions = {}): Promise<Extractor> {
    const tapped = tapGraph(await readFile(modelFile), taps, modelFile, opts.inputSize);
    const device = opts.device ?? 'cpu';
    const order: Provider[] = device === 'auto' ? autoOrder() : [device];
    const failures: string[] = [];
    for (const provider of order) {
      try {
        const session = await ort.InferenceSession.create(tapped.bytes, {
          executionProviders: [provider],
          intraOpNumThreads: opts.threads ?? 0,
          interOpNumThreads: 1,
          graphOptimizationLevel: opts.graphOptimization ?? 'all',
          // Spinning intra-op threads keep polling for work after a run; the search that follows each extract needs
          // those cores (PATCHLINE_ORT_SPIN=1 restores onnxruntime's default; bench:ort measures both).
          extra: { session: { intra_op: { allow_spinning: spinning(opts) ? '1' : '0' }, inter_op: { allow_spinning: spinning(opts) ? '1' : '0' } } },
          // Probing providers that are absent logs loudly at lower levels; the failure is reported below instead.
          logSeverityLevel: 4,
        });
        if (failures.length) opts.onNote?.(`device auto: ${failures.join('; ')}; using ${provider}`);
        return new Extractor(card, taps, provider, session, tapped.inputName, tapped.dequant, opts.inputSize ?? card.input.size);
      } catch (err) {
        const reason = firstLine((err as Error).message);
        if (provider === 'cpu' || device !== 'auto') {
          const help = provider === 'cpu' ? '' : ` ${PROVIDER_HELP[provider]}. Use --device cpu, or --device auto to fall back.`;
          throw new Error(`The ${provider} execution provider is not available on this machine (${reason}).${help}`, { cause: err });
        }
        failures.push(`${provider} unavailable (${reason})`);
      }
    }
    throw new Error(`No execution provider could run ${modelFile}: ${failures.join('; ')}`);
  }

  /** Runs a batch of preprocessed images (n × 3 × size × size, float32, normalised) and returns each tapped map. */
  async run(batch: Float32Array, n: number, size = this.inputSize): Promise<TapOutput[]> {
    if (batch.length !== n * 3 * size * size) throw new Error(`batch has ${batch.length} floats, expected ${n}×3×${size}×${size}`);
    const input = new ort.Tensor('float32', batch, [n, 3, size, size]);
    const out = await this.session.run({ [this.inputName]: input }, this.taps.map((t) => t.name));
    return this.taps.map((tap) => {
      const t = out[tap.name];
      const [bn, c, h, w] = t.dims.map(Number);
      if (t.dims.length !== 4 || bn !== n) throw new Error(`tap ${tap.name} returned shape [${t.dims.join(', ')}], expected [${n}, C, H, W]`);
      if (c !== tap.channels) throw new Error(`tap ${tap.name} has ${c} channels, the card says ${tap.channels}`);
      const q = this.dequant.get(tap.name);
      let data: Float32Array;
      if (q) {
        const src = t.data as Uint8Array | Int8Array;
        data = new Float32Array(src.length);
        const { scale, zeroPoint } = q;
        for (let i = 0; i < src.length; i++) data[i] = (src[i] - zeroPoint) * scale;
      } else {
        if (t.type !== 'float32') throw new Error(`tap ${tap.name} is ${t.type}; float taps must be float32 (or give quant in the card)`);
        data = t.data as Float32Array;
      }
      return { tap, data, n, channels: c, height: h, width: w };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function firstLine(msg: string): string {
  const line = msg.split('\n')[0].replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
