// Process wrapper for bin/patchline.mjs and `npm run demo`: runs main() and exits with its code.
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`patchline: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
