// A child process for the crash test of `updateModel` (electron/engine/model/update.test.ts): runs one update and
// prints every progress event as a JSON line, so the parent can kill -9 it at a chosen point.
import { updateModel } from '../model/update';

const [model, data] = process.argv.slice(2);
updateModel({ model, data, onProgress: (p) => process.stdout.write(JSON.stringify(p) + '\n') })
  .then((r) => process.stdout.write(JSON.stringify({ done: r.version.version }) + '\n'))
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
