// The only module that loads the compiled addon. Everything else imports the typed wrappers from native/index.ts.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawIndexBinding } from './raw-index';
import type { RawCoresetBinding } from './raw-coreset';
import type { RawEpsilonNetBinding } from './raw-epsilon-net';

/** Set from JS (an AbortSignal listener); polled by native worker threads between chunks of work. */
export interface RawCancelToken {
  cancel(): void;
  isCancelled(): boolean;
}

export interface RawKernelInfo {
  active: string;
  detected: string;
  /** Best first. */
  available: string[];
}

export interface RawBinding extends RawIndexBinding, RawCoresetBinding, RawEpsilonNetBinding {
  CancelToken: new () => RawCancelToken;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** The SIMD level of the coreset and index kernels; a level ('auto' = the default) forces it process-wide. */
  simdKernels(level?: string): RawKernelInfo;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function candidates(): string[] {
  const list: string[] = [];
  if (process.env.PATCHLINE_NATIVE_PATH) list.push(process.env.PATCHLINE_NATIVE_PATH);
  // Source checkout (native/lib → native/build) and the packaged app (resources/native/build, unpacked from asar).
  list.push(path.join(here, '..', 'build', 'Release', 'patchline_native.node'));
  list.push(path.join(here.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`), '..', 'build', 'Release', 'patchline_native.node'));
  return list;
}

let cached: RawBinding | undefined;

export function binding(): RawBinding {
  if (cached) return cached;
  const file = candidates().find((f) => existsSync(f));
  if (!file) {
    throw new Error(
      'The PatchLine native addon is not built (native/build/Release/patchline_native.node is missing). ' +
        'Run `npm install` (or `npm run build:native`); it names anything the system lacks.',
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(file) as RawBinding;
  return cached;
}
